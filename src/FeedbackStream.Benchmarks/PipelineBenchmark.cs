using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using FeedbackStream.Contracts;
using FeedbackStream.Hosting;
using FeedbackStream.Storage;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench pipeline</c>, two phases on the embedded engines:
/// throughput: a backlog of events already in Kafka, timed from the pipeline's start until every event is in ClickHouse;
/// freshness: events sent through the gateway at a fixed rate, with occurred_at = send time, and the delay until each
/// row was written (ClickHouse's own insert time), as percentiles.
/// </summary>
internal static class PipelineBenchmark
{
    public sealed record Result(
        long BacklogEvents,
        double StartupSeconds,
        double BacklogSeconds,
        double PipelineEventsPerSec,
        int FreshnessRatePerSec,
        double FreshnessSeconds,
        long FreshnessEvents,
        double FreshnessP50Ms,
        double FreshnessP99Ms,
        double FreshnessMaxMs,
        bool WithLabeling);

    public static Command Create()
    {
        var events = new Option<int>("--events") { Description = "Backlog events for the throughput phase (must fit the embedded cluster's ~5 MiB per partition: about 11k of these events per partition).", DefaultValueFactory = _ => 200_000 };
        var rate = new Option<int>("--rate") { Description = "Events per second sent through the gateway in the freshness phase (with --peer: produced to Kafka with the gateway's producer settings; 0 seconds skips the phase).", DefaultValueFactory = _ => 10_000 };
        var seconds = new Option<int>("--seconds") { Description = "Length of the freshness phase.", DefaultValueFactory = _ => 15 };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long.", DefaultValueFactory = _ => TimeSpan.FromMinutes(5) };
        var labeling = new Option<bool>("--with-labeling") { Description = "Also run the labelling worker in the pipeline process (as a default deployment does)." };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object on the last line." };
        var peer = new Option<bool>("--peer")
        {
            Description = "Each component in its own process (kafka serve, clickhouse serve, serve --role pipeline without labelling), against a plain Confluent.Kafka " +
                          "consumer in its own process and the engine's own JSONEachRow insert of the same records; rounds alternate, medians printed.",
        };
        var rounds = new Option<int>("--rounds") { Description = "With --peer: rounds, alternating product and peers (3 or more for a meaningful median).", DefaultValueFactory = _ => 3 };
        rounds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--rounds must be at least 1.");
            }
        });
        var warmup = new Option<int>("--warmup") { Description = "With --peer: events the pipeline process stores before each timed backlog (JIT, connections; measured: after 50,000 the JIT thread still took 28% of the pipeline's samples in the timed part, after 300,000 18%).", DefaultValueFactory = _ => 200_000 };
        var kind = PeerClients.KindOption(null);
        kind.Description = "Events: reaction (reaction.set only; the default with --peer) or mix (served, reaction, follow-up, action; the default without).";
        var partitions = new Option<int>("--partitions")
        {
            Description = "With --peer: partitions of each round's topic (the mock cluster keeps ~5 MiB per partition: warm-up + backlog must fit).",
            DefaultValueFactory = _ => 48,
        };
        var insertRows = new Option<int>("--engine-insert-rows") { Description = "With --peer: rows per JSONEachRow insert of the engine peer (the pipeline's Pipeline:BatchMaxRecords).", DefaultValueFactory = _ => 20_000 };
        var verbose = new Option<bool>("--verbose") { Description = "With --peer: forward the child processes' standard error." };
        var perf = new Option<string?>("--perf") { Description = "With --peer: record the pipeline and ClickHouse processes with perf (perf record -g) during round 1 into this folder (perf map enabled).", Hidden = true };
        var command = new Command("pipeline", "Pipeline events/s into ClickHouse, and freshness (occurred -> queryable) at a fixed rate.")
        {
            events, rate, seconds, labeling, timeout, json, peer, rounds, warmup, kind, partitions, insertRows, verbose, perf,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(parse.GetValue(timeout));
            if (parse.GetValue(peer))
            {
                if (parse.GetValue(labeling))
                {
                    Console.Error.WriteLine("--with-labeling is not supported with --peer: the pipeline process runs without labelling.");
                    return 2;
                }

                var figures = await PipelinePeerBenchmark.RunAsync(
                    parse.GetValue(events), parse.GetValue(warmup), parse.GetValue(rounds), parse.GetValue(kind) ?? "reaction", parse.GetValue(partitions), 3,
                    parse.GetValue(insertRows), parse.GetValue(rate), parse.GetValue(seconds), parse.GetValue(verbose), parse.GetValue(perf), deadline.Token);
                PipelinePeerBenchmark.Print(figures);
                if (parse.GetValue(json))
                {
                    JsonOutput.WriteLast(figures);
                }

                return 0;
            }

            if (parse.GetValue(kind) is "reaction")
            {
                Console.Error.WriteLine("--kind reaction is for --peer; the in-process benchmark sends the mix.");
                return 2;
            }

            var result = await RunAsync(parse.GetValue(events), parse.GetValue(rate), parse.GetValue(seconds), parse.GetValue(labeling), deadline.Token);
            var table = new Table().AddColumns("figure", "value");
            table.AddRow("backlog Kafka -> ClickHouse", $"{result.PipelineEventsPerSec:N0} events/s ({result.BacklogEvents:N0} in {result.BacklogSeconds} s after the first batch)");
            table.AddRow("pipeline start-up to first batch", $"{result.StartupSeconds} s");
            table.AddRow($"freshness at {result.FreshnessRatePerSec:N0} events/s", $"p50 {result.FreshnessP50Ms} ms, p99 {result.FreshnessP99Ms} ms, max {result.FreshnessMaxMs} ms ({result.FreshnessEvents:N0} events)");
            AnsiConsole.Write(table);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(result);
            }

            return 0;
        });
        return command;
    }

    public static async Task<Result> RunAsync(int backlog, int rate, int seconds, bool withLabeling, CancellationToken cancellationToken)
    {
        var dataPath = BenchSupport.TempDataPath("pipeline");
        try
        {
            // Phase 1: the backlog is produced before the pipeline starts (gateway-only host), then a pipeline host drains it.
            await using var gateway = await FeedbackHost.StartAsync(BenchSupport.Configuration(dataPath, new Dictionary<string, string?> { ["Kafka:EmbeddedTopicPartitions"] = "24" }), HostRoles.Gateway, cancellationToken);
            var bootstrap = gateway.KafkaBootstrapServers;
            var now = DateTimeOffset.UtcNow;
            using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, LingerMs = 20, BatchSize = 1_000_000 }).SetLogHandler((_, _) => { }).Build())
            {
                for (var i = 0; i < backlog; i++)
                {
                    var e = BenchSupport.Event(i, now, "backlog") with { ReceivedAt = now };
                    while (true)
                    {
                        try
                        {
                            producer.Produce("feedback.events.v1", new Message<string, byte[]> { Key = e.ConversationId, Value = FeedbackJson.Serialize(e) });
                            break;
                        }
                        catch (ProduceException<string, byte[]> x) when (x.Error.Code == ErrorCode.Local_QueueFull)
                        {
                            producer.Poll(TimeSpan.FromMilliseconds(50));
                        }
                    }
                }

                producer.Flush(cancellationToken);
            }

            var pipelineConfig = BenchSupport.Configuration(dataPath, new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = bootstrap,
                ["ClickHouse:Database"] = gateway.Database,
                ["Pipeline:Urls"] = "http://127.0.0.1:0",
            });
            // Start-up (migrations, joining the group) is reported apart; throughput is timed from the first written batch.
            var startup = Stopwatch.StartNew();
            await using var pipeline = await FeedbackHost.StartAsync(pipelineConfig, withLabeling ? HostRoles.Pipeline | HostRoles.Labeler : HostRoles.Pipeline, cancellationToken);
            using var client = pipeline.CreateClickHouseClient();
            var status = pipeline.Pipeline!;
            var watch = new Stopwatch();
            long firstBatch = 0;
            await AnsiConsole.Progress().AutoClear(true).StartAsync(async progress =>
            {
                var task = progress.AddTask($"draining {backlog:N0} events", maxValue: backlog);
                var lastProgress = System.Diagnostics.Stopwatch.StartNew();
                var lastWritten = 0L;
                while (status.Written < backlog)
                {
                    if (status.Written != lastWritten)
                    {
                        lastWritten = status.Written;
                        lastProgress.Restart();
                    }
                    else if (lastProgress.Elapsed > TimeSpan.FromSeconds(20))
                    {
                        throw new InvalidOperationException(
                            $"The pipeline wrote {lastWritten:N0} of {backlog:N0} events and made no progress for 20 s. The embedded Kafka cluster keeps only " +
                            "the newest ~5 MiB per partition: a larger backlog loses its oldest records. Use a smaller --events.");
                    }

                    if (!watch.IsRunning && status.Written > 0)
                    {
                        watch.Start();
                        startup.Stop();
                        firstBatch = status.Written;
                    }

                    task.Value = status.Written;
                    await Task.Delay(5, cancellationToken);
                }
            });
            watch.Stop();
            var backlogSeconds = watch.Elapsed.TotalSeconds;
            var stored = await client.ValueAsync<long>("SELECT uniqExact(event_id) FROM events_raw", null, cancellationToken);
            if (stored != backlog)
            {
                throw new InvalidOperationException($"{stored} distinct events in ClickHouse, expected {backlog}.");
            }

            // Phase 2: a fixed rate through the gateway; the pipeline host above keeps running.
            using var http = new HttpClient { BaseAddress = gateway.GatewayAddress };
            const int Batch = 200;
            var interval = TimeSpan.FromSeconds((double)Batch / rate);
            var total = rate * seconds;
            var sent = 0L;
            var start = Stopwatch.GetTimestamp();
            var inFlight = new List<Task>();
            for (var b = 0; b * Batch < total; b++)
            {
                var due = TimeSpan.FromTicks(interval.Ticks * b) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }

                var sentAt = DateTimeOffset.UtcNow;
                var body = BenchSupport.JsonArray(Enumerable.Range(b * Batch, Batch).Select(i => BenchSupport.Event(i, sentAt, "fresh")));
                inFlight.Add(Task.Run(async () =>
                {
                    using var response = await http.SendAsync(BenchSupport.Post(body), cancellationToken);
                    response.EnsureSuccessStatusCode();
                }, cancellationToken));
                sent += Batch;
                inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
            }

            await Task.WhenAll(inFlight);
            var freshSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var waitUntil = Stopwatch.StartNew();
            while (await client.ValueAsync<long>("SELECT count() FROM events_raw WHERE event_id LIKE 'fresh-%'", null, cancellationToken) < sent
                   && waitUntil.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100, cancellationToken);
            }

            var delay = await BenchSupport.DelaysAsync(
                client, "SELECT dateDiff('millisecond', occurred_at, ingested_at) AS d FROM events_raw FINAL WHERE event_id LIKE 'fresh-%'", cancellationToken);
            return new Result(backlog, Stats.Round(startup.Elapsed.TotalSeconds), Stats.Round(backlogSeconds), Math.Round((backlog - firstBatch) / backlogSeconds), rate, Stats.Round(freshSeconds), delay.Count, delay.P50, delay.P99, delay.Max, withLabeling);
        }
        finally
        {
            BenchSupport.DeleteQuietly(dataPath);
        }
    }
}
