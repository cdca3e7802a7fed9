using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Confluent.Kafka;
using FeedbackStream.Contracts;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Hosting;
using FeedbackStream.Storage;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench labeling</c>: the labeller in its own process (<c>serve --role labeler</c>), as deployed,
/// against a Kafka cluster, a pipeline and a ClickHouse HTTP endpoint served by this process.
/// throughput: after a warm-up backlog, a backlog of settled conversations stored while the labeller is suspended,
/// timed from its first write of new labels to its last (the rate counts the labels written after that first write),
/// with the CPU it spent from its resume;
/// freshness: events at a fixed rate with occurred_at = send time, and the delay from a response's last event to its
/// label (label computed_at - last_signal_at), as percentiles; it includes the settle window by design.
/// </summary>
internal static class LabelingBenchmark
{
    private const string Topic = "feedback.events.v1";

    /// <summary>
    /// The largest backlog a round may produce: with 400,000 events (and 200,000 before them), 86,009 aged out of the mock
    /// cluster's partitions before the labeller read them, and only its reconciliation sweep labelled them.
    /// </summary>
    private const int MaxBacklog = 250_000;

    /// <summary>One timed backlog: seconds from the labeller's first write to its last, and the rate and CPU of that round.</summary>
    public sealed record Round(double BacklogSeconds, double LabelingEventsPerSec, double LabelerCpuSeconds, double EventsPerCpuSecond);

    /// <summary>The figures; the backlog ones are the medians of <see cref="Rounds"/>.</summary>
    public sealed record Result(
        long WarmupEvents,
        long BacklogEvents,
        long BacklogResponses,
        IReadOnlyList<Round> Rounds,
        double BacklogSeconds,
        double LabelingEventsPerSec,
        double LabelerCpuSeconds,
        double EventsPerCpuSecond,
        int FreshnessRatePerSec,
        double FreshnessSeconds,
        long FreshnessResponses,
        double SettleWindowMs,
        double FreshnessP50Ms,
        double FreshnessP99Ms,
        double FreshnessMaxMs,
        int Prompts);

    public static Command Create()
    {
        var events = new Option<int>("--events")
        {
            Description = $"Backlog events of each timed round (4 per response, 8 per conversation), at most {MaxBacklog:N0}: the mock cluster keeps about 5 MB per partition, so a longer backlog ages out of the log before the suspended labeller reads it.",
            DefaultValueFactory = _ => 200_000,
        };
        events.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 8_000 or > MaxBacklog)
            {
                r.AddError($"--events must be between 8,000 and {MaxBacklog:N0}.");
            }
        });
        var warmup = new Option<int?>("--warmup")
        {
            Description = "Events the labeller labels before the timed backlog, so its hot paths are compiled at their final tier (default: as many as --events; with a fifth as many it still spent a third of its CPU in the JIT).",
        };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Timed backlogs, one after another in the same labeller; the figures are their medians.",
            DefaultValueFactory = _ => 3,
        };
        rounds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--rounds must be at least 1.");
            }
        });
        var rate = new Option<int>("--rate") { Description = "Events per second produced in the freshness phase.", DefaultValueFactory = _ => 10_000 };
        var seconds = new Option<int>("--seconds") { Description = "Length of the freshness phase.", DefaultValueFactory = _ => 20 };
        var prompts = new Option<int>("--prompts")
        {
            Description = "Distinct prompts the responses answer, in turn (1: every response answers the same prompt, whose sibling candidates the labeller holds; many: every chunk reads the candidates of its prompts).",
            DefaultValueFactory = _ => 1,
        };
        var settle = new Option<TimeSpan>("--settle-window") { Description = "Mining:SettleWindow of the labeller.", DefaultValueFactory = _ => TimeSpan.FromSeconds(2) };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long.", DefaultValueFactory = _ => TimeSpan.FromMinutes(10) };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object on the last line." };
        var verbose = new Option<bool>("--verbose") { Description = "Forward the labeller's per-chunk timings (its debug log) to stderr." };
        var command = new Command("labeling", "Labelling events/s with the labeller in its own process, and label freshness (last event -> label) at a fixed rate.")
        {
            events, warmup, rounds, rate, seconds, prompts, settle, timeout, json, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(parse.GetValue(timeout));
            var result = await RunAsync(parse.GetValue(events), parse.GetValue(warmup) ?? parse.GetValue(events), parse.GetValue(rounds), parse.GetValue(rate), parse.GetValue(seconds), parse.GetValue(prompts), parse.GetValue(settle), parse.GetValue(verbose), deadline.Token);
            var table = new Table().AddColumns("figure", "value");
            table.AddRow(
                $"labelling a stored backlog (median of {result.Rounds.Count})",
                $"{result.LabelingEventsPerSec:N0} events/s; rounds {string.Join(" / ", result.Rounds.Select(r => r.LabelingEventsPerSec.ToString("N0", CultureInfo.InvariantCulture)))} ({result.BacklogEvents:N0} events, {result.BacklogResponses:N0} responses answering {result.Prompts:N0} prompt(s) per round; median {result.BacklogSeconds} s from the labeller's first write to its last; after a warm-up of {result.WarmupEvents:N0})");
            table.AddRow("labeller CPU (median)", $"{result.LabelerCpuSeconds} s, {result.EventsPerCpuSecond:N0} events per CPU-second");
            table.AddRow($"freshness at {result.FreshnessRatePerSec:N0} events/s", $"p50 {result.FreshnessP50Ms} ms, p99 {result.FreshnessP99Ms} ms, max {result.FreshnessMaxMs} ms ({result.FreshnessResponses:N0} responses; settle window {result.SettleWindowMs} ms)");
            AnsiConsole.Write(table);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(result);
            }

            return 0;
        });
        return command;
    }

    public static async Task<Result> RunAsync(int backlog, int warmup, int roundCount, int rate, int seconds, int prompts, TimeSpan settle, bool verbose, CancellationToken cancellationToken)
    {
        var dataPath = BenchSupport.TempDataPath("labeling");
        using var cluster = KafkaMockCluster.Start(3);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        cluster.CreateTopic(Topic, 24);
        using var engine = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = dataPath });
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Core, 0, cancellationToken: cancellationToken);
        const string database = "bench";
        using (var admin = engine.CreateClient())
        {
            await new Migrator(admin, database).MigrateAsync(cancellationToken);
        }

        await using var pipeline = await FeedbackHost.StartAsync(
            BenchSupport.Configuration(dataPath, new Dictionary<string, string?> { ["Kafka:BootstrapServers"] = cluster.BootstrapServers, ["ClickHouse:Database"] = database, ["Pipeline:Urls"] = "http://127.0.0.1:0" }),
            HostRoles.Pipeline,
            cancellationToken);
        using var client = engine.CreateClient(database);
        Process? labeler = null;
        try
        {
            // Warm-up: a long-running labeller has compiled its hot paths at their final tier; a fresh process spends its
            // first tens of thousands of events in the JIT (tiered compilation recompiles hot methods with profile data).
            var warm = Math.Max(8_000, warmup) / 8 * 8;
            AnsiConsole.MarkupLine($"[grey]warming the labeller up on {warm:N0} events[/]");
            labeler = StartLabeler(cluster.BootstrapServers, listener.ConnectionString(), database, settle, verbose);
            Produce(cluster.BootstrapServers, 0, warm, _ => DateTimeOffset.UtcNow.AddHours(-1), null, prompts, cancellationToken);
            await WaitForAsync(client, "SELECT count() FROM response_labels FINAL", warm / 4, cancellationToken);

            // Throughput: a stored backlog of conversations that settled an hour ago, stored while the labeller is
            // suspended (SIGSTOP), so that what is timed is labelling alone; several rounds in the same labeller, each
            // backlog at most what the cluster keeps per partition (a longer one ages out of the log before it is read).
            var responses = backlog / 4;
            var rounds = new List<Round>();
            for (var round = 0; round < roundCount; round++)
            {
                var from = warm + ((long)round * backlog);
                Signal(labeler, "STOP");
                AnsiConsole.MarkupLine($"[grey]round {round + 1} of {roundCount}: producing {backlog:N0} events and storing them through the pipeline (labeller suspended)[/]");
                Produce(cluster.BootstrapServers, from, backlog, _ => DateTimeOffset.UtcNow.AddHours(-1), null, prompts, cancellationToken);
                await WaitForAsync(client, "SELECT count() FROM events_raw", from + backlog, cancellationToken);
                rounds.Add(await TimeBacklogAsync(labeler, client, backlog, responses, cancellationToken));
            }

            // Freshness: a steady rate of new conversations; each label's delay behind its response's last event.
            AnsiConsole.MarkupLine($"[grey]producing {rate:N0} events/s for {seconds} s[/]");
            var freshStart = DateTime.UtcNow;
            var total = rate * seconds;
            Produce(cluster.BootstrapServers, warm + ((long)roundCount * backlog), total, _ => DateTimeOffset.UtcNow, TimeSpan.FromSeconds(seconds), prompts, cancellationToken);
            await WaitForAsync(
                client, $"SELECT uniqExact(label_id) FROM response_labels WHERE served_at >= toDateTime64('{freshStart:yyyy-MM-dd HH:mm:ss.fff}', 3, 'UTC')", total / 4, cancellationToken);
            var delay = await BenchSupport.DelaysAsync(
                client,
                $"SELECT dateDiff('millisecond', last_signal_at, computed_at) AS d FROM response_labels FINAL WHERE served_at >= toDateTime64('{freshStart:yyyy-MM-dd HH:mm:ss.fff}', 3, 'UTC')",
                cancellationToken);
            return new Result(
                warm,
                backlog,
                responses,
                rounds,
                Stats.Round(PeerEngines.Median(rounds.Select(r => r.BacklogSeconds))),
                PeerEngines.Median(rounds.Select(r => r.LabelingEventsPerSec)),
                Stats.Round(PeerEngines.Median(rounds.Select(r => r.LabelerCpuSeconds))),
                PeerEngines.Median(rounds.Select(r => r.EventsPerCpuSecond)),
                rate,
                seconds,
                delay.Count,
                settle.TotalMilliseconds,
                delay.P50,
                delay.P99,
                delay.Max,
                prompts);
        }
        finally
        {
            if (labeler is { HasExited: false })
            {
                labeler.Kill(entireProcessTree: true);
                await labeler.WaitForExitAsync(CancellationToken.None);
            }

            labeler?.Dispose();
            await pipeline.DisposeAsync();
            BenchSupport.DeleteQuietly(dataPath);
        }
    }

    /// <summary>Resumes the suspended labeller and times its labelling of the stored backlog.</summary>
    private static async Task<Round> TimeBacklogAsync(Process labeler, ClickHouse.Driver.ClickHouseClient client, int backlog, int responses, CancellationToken cancellationToken)
    {
        labeler.Refresh();
        var cpuBefore = labeler.TotalProcessorTime.TotalSeconds;
        var resumed = DateTime.UtcNow;
        Signal(labeler, "CONT");
        // Polled lightly (labels written since the resume, without FINAL, every 500 ms): the poll shares the engine
        // with the labeller. The time is read from the labels themselves (computed_at is the write's clock), whatever
        // the polling interval.
        var since = $"computed_at >= toDateTime64('{resumed:yyyy-MM-dd HH:mm:ss.fff}', 3, 'UTC')";
        await WaitForAsync(client, $"SELECT uniqExact(label_id) FROM response_labels WHERE {since}", responses, cancellationToken);
        labeler.Refresh();
        var cpu = labeler.TotalProcessorTime.TotalSeconds - cpuBefore;
        // The rate counts the labels written after the first write, over the span from that write to the last (as the
        // pipeline benchmark times its backlog after the first batch): the first chunk's labels took time before the span.
        var after = $"{since} AND computed_at > (SELECT min(computed_at) FROM response_labels WHERE {since})";
        var spanMs = await client.ValueAsync<double>($"SELECT dateDiff('millisecond', min(computed_at), max(computed_at)) FROM response_labels WHERE {since}", null, cancellationToken);
        var timed = await client.ValueAsync<long>($"SELECT uniqExact(label_id) FROM response_labels WHERE {after}", null, cancellationToken);
        if (timed == 0)
        {
            throw new InvalidOperationException($"the labeller wrote the whole backlog in one write, so no rate can be timed between writes: use a larger --events than {backlog:N0}");
        }

        var seconds = Math.Max(0.001, spanMs / 1000);
        return new Round(Stats.Round(seconds), Math.Round(backlog * (double)timed / responses / seconds), Stats.Round(cpu), Math.Round(backlog / Math.Max(cpu, 0.001)));
    }

    private static Process StartLabeler(string bootstrap, string clickHouse, string database, TimeSpan settle, bool verbose)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var argument in new[]
                 {
                     "serve", "--role", "labeler", $"--Kafka:BootstrapServers={bootstrap}",
                     "--ClickHouse:Mode=Server", $"--ClickHouse:ConnectionString={clickHouse}", $"--ClickHouse:Database={database}",
                     $"--Mining:SettleWindow={settle.ToString("c", CultureInfo.InvariantCulture)}", "--Labeling:Interval=00:00:00.200",
                     "--Labeling:SessionTimeout=00:02:00",
                     "--Logging:LogLevel:Default=Error", "--Logging:LogLevel:FeedbackStream=Warning", $"--Logging:LogLevel:FeedbackStream.Pipeline.Labeling={(verbose ? "Debug" : "Warning")}",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the labeller process");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine("labeler: " + line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Suspends (STOP) or resumes (CONT) <paramref name="process"/>.</summary>
    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} exited {kill.ExitCode}");
        }
    }

    /// <summary>Events <paramref name="from"/> .. from + count, evenly over <paramref name="over"/> (or as fast as possible).</summary>
    private static void Produce(string bootstrap, long from, long count, Func<long, DateTimeOffset> occurredAt, TimeSpan? over, int prompts, CancellationToken cancellationToken)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, LingerMs = 5 })
            .SetLogHandler((_, _) => { })
            .Build();
        var watch = Stopwatch.StartNew();
        for (var i = 0L; i < count; i++)
        {
            var e = BenchSupport.Event(from + i, occurredAt(from + i), "lb", prompts);
            var value = FeedbackJson.Serialize(e with { ReceivedAt = DateTimeOffset.UtcNow });
            while (true)
            {
                try
                {
                    producer.Produce(Topic, new Message<string, byte[]> { Key = e.ConversationId, Value = value });
                    break;
                }
                catch (ProduceException<string, byte[]> error) when (error.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }

            if (over is { } span && i % 100 == 99)
            {
                var ahead = TimeSpan.FromTicks(span.Ticks * (i + 1) / count) - watch.Elapsed;
                if (ahead > TimeSpan.Zero)
                {
                    Thread.Sleep(ahead);
                }
            }
        }

        producer.Flush(cancellationToken);
    }

    private static async Task WaitForAsync(ClickHouse.Driver.ClickHouseClient client, string sql, long expected, CancellationToken cancellationToken)
    {
        while (await client.ValueAsync<long>(sql, null, cancellationToken) < expected)
        {
            await Task.Delay(500, cancellationToken);
        }
    }
}
