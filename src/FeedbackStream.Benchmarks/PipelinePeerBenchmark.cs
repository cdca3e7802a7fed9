using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using FeedbackStream.Hosting;
using FeedbackStream.Storage;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench pipeline --peer</c>: the pipeline as deployed, each component in its own process (the Kafka
/// mock cluster by <c>kafka serve</c>, ClickHouse by <c>clickhouse serve</c>, the pipeline by <c>serve --role pipeline</c>,
/// without labelling), against two peers on the same engines: a plain Confluent.Kafka consumer in its own process
/// (<c>bench peer-consume</c>) reading the same backlog under a fresh group, and the engine itself parsing and
/// inserting the same JSON records (<c>INSERT INTO events_raw_peer FORMAT JSONEachRow</c> over HTTP, a copy of
/// events_raw whose response_id the engine extracts from the payload).
/// Per round: a fresh topic; the pipeline process starts on it and drains a warm-up (its hot paths compiled), is
/// suspended (SIGSTOP) while the backlog is produced, and is timed from its resumption until ClickHouse holds every
/// backlog event (the last row's ingested_at), with the CPU the pipeline and ClickHouse processes spent meanwhile.
/// </summary>
internal static class PipelinePeerBenchmark
{
    private const string PeerTable = "events_raw_peer";

    public sealed record ProductRound(
        int Round, double Seconds, double EventsPerSec, double PipelineCpuSeconds, double ClickHouseCpuSeconds, double KafkaCpuSeconds, double EventsPerPipelineCpuSecond, long Inserts);

    public sealed record PeerRound(
        int Round, double ConsumerSeconds, double ConsumerMessagesPerSec, double ConsumerCpuSeconds, double MessagesPerConsumerCpuSecond, double KafkaCpuSeconds,
        double EngineSeconds, double EngineRowsPerSec, double EngineCpuSeconds, double RowsPerEngineCpuSecond);

    public sealed record Median(
        double EventsPerSec, double EventsPerPipelineCpuSecond, double PipelineCpuSeconds, double ClickHouseCpuSeconds,
        double ConsumerMessagesPerSec, double MessagesPerConsumerCpuSecond, double EngineRowsPerSec, double RowsPerEngineCpuSecond, double SlowerPeerPerSec, double Ratio);

    public sealed record Freshness(int RatePerSec, double Seconds, long Events, double P50Ms, double P99Ms, double MaxMs);

    public sealed record Result(
        string Mode, string Kind, int BacklogEvents, int WarmupEvents, int Rounds, int Partitions, int Brokers, int EngineInsertRows, long BacklogBytes,
        int ProcessorCount, IReadOnlyList<ProductRound> Product, IReadOnlyList<PeerRound> Peer, IReadOnlyList<double> Ratios, Median Median, Freshness? Freshness);

    public static async Task<Result> RunAsync(
        int backlog, int warmup, int rounds, string kind, int partitions, int brokers, int engineInsertRows, int rate, int seconds, bool verbose, string? perfDirectory, CancellationToken cancellationToken)
    {
        var dataPath = BenchSupport.TempDataPath("pipeline-peer");
        var children = new List<ChildProcess>();
        Process? perf = null;
        Process? perfClickHouse = null;
        try
        {
            // The mock cluster keeps about the newest 5 MiB per partition: say so before a round's warm-up and backlog would not fit.
            var perEvent = BenchSupport.KafkaRecords(kind, 0, 64, DateTimeOffset.UtcNow, "size").Average(r => r.Key.Length + r.Value.Length + 70.0);
            var neededMiB = perEvent * ((long)warmup + backlog) / 1_048_576;
            var keptMiB = partitions * 5.0;
            AnsiConsole.MarkupLine($"[grey]each round's topic: {warmup:N0} + {backlog:N0} events, about {neededMiB:F0} MiB before lz4, of the ~{keptMiB:F0} MiB its {partitions} partitions keep[/]");
            if (neededMiB > keptMiB * 0.8)
            {
                AnsiConsole.MarkupLine($"[yellow]warning: that is more than 80% of what the topic keeps; the oldest records may be deleted unread (use --partitions {(int)Math.Ceiling(neededMiB / 4)} or fewer --events)[/]");
            }

            var topics = Enumerable.Range(1, rounds).Select(r => $"bench.r{r}").Append("bench.fresh").ToArray();
            var kafka = Start(children, "kafka", ["kafka", "serve", "--brokers", $"{brokers}", .. topics.SelectMany(t => new[] { "--topic", $"{t}:{partitions}" }), "--json"], null, verbose);
            var bootstrap = (await kafka.ReadJsonAsync(TimeSpan.FromSeconds(60), cancellationToken)).GetProperty("bootstrap_servers").GetString()!;
            var (clickHouse, connectionString) = await PeerEngines.StartClickHouseAsync(children, dataPath, perfDirectory, verbose, cancellationToken);
            await PeerEngines.MigrateAsync(connectionString, PeerEngines.Database, cancellationToken);
            using var client = PeerEngines.Client(connectionString, PeerEngines.Database);
            await client.ExecuteNonQueryAsync($"CREATE TABLE {PeerTable} AS events_raw", null, null, cancellationToken);
            await client.ExecuteNonQueryAsync($"ALTER TABLE {PeerTable} MODIFY COLUMN response_id String DEFAULT JSONExtractString(payload, 'response_id')", null, null, cancellationToken);
            using var http = EngineHttp(connectionString);
            AnsiConsole.MarkupLine($"[grey]processes: kafka serve {kafka.Id}, clickhouse serve {clickHouse.Id}, this {Environment.ProcessId}; {Environment.ProcessorCount} cores; {rounds} topics of {partitions} partitions on {brokers} brokers (the mock cluster keeps ~5 MiB per partition)[/]");

            var product = new List<ProductRound>();
            var peer = new List<PeerRound>();
            long stored = 0;
            long backlogBytes = 0;
            for (var round = 1; round <= rounds; round++)
            {
                var topic = topics[round - 1];
                var pipeline = await StartPipelineAsync(children, bootstrap, topic, connectionString, $"bench-pipeline-r{round}", perfDirectory, verbose, cancellationToken);
                var warm = BenchSupport.KafkaRecords(kind, 0, warmup, DateTimeOffset.UtcNow, $"w{round}");
                BenchSupport.ProduceAll(bootstrap, topic, warm, cancellationToken);
                stored += warm.Length;
                await WaitForCountAsync(client, stored, pipeline, cancellationToken);
                // A suspended process compiles nothing: give the runtime its quiet spell to finish tiering up first.
                await Task.Delay(PeerEngines.TieringPause, cancellationToken);
                pipeline.Signal(suspend: true);
                var records = BenchSupport.KafkaRecords(kind, 0, backlog, DateTimeOffset.UtcNow, $"r{round}");
                backlogBytes = records.Sum(r => (long)r.Value.Length);
                var acknowledged = BenchSupport.ProduceAll(bootstrap, topic, records, cancellationToken);
                if (acknowledged != backlog)
                {
                    throw new InvalidOperationException($"Kafka acknowledged {acknowledged:N0} of {backlog:N0} backlog events.");
                }

                if (perfDirectory is not null && round == 1)
                {
                    perf = PeerEngines.StartPerf(perfDirectory, "pipeline", pipeline.Id);
                    perfClickHouse = PeerEngines.StartPerf(perfDirectory, "clickhouse", clickHouse.Id);
                }

                var pipelineCpu = pipeline.CpuSeconds;
                var clickHouseCpu = clickHouse.CpuSeconds;
                var kafkaCpu = kafka.CpuSeconds;
                var resumed = DateTime.UtcNow;
                pipeline.Signal(suspend: false);
                stored += backlog;
                await WaitForCountAsync(client, stored, pipeline, cancellationToken);
                var pipelineSpent = pipeline.CpuSeconds - pipelineCpu;
                var clickHouseSpent = clickHouse.CpuSeconds - clickHouseCpu;
                var kafkaSpent = kafka.CpuSeconds - kafkaCpu;
                if (perf is not null && perfClickHouse is not null && round == 1)
                {
                    await PeerEngines.StopPerfAsync(perf);
                    await PeerEngines.StopPerfAsync(perfClickHouse);
                }

                var prefix = $"r{round}-";
                var distinct = await client.ValueAsync<long>($"SELECT uniqExact(event_id) FROM events_raw WHERE startsWith(event_id, '{prefix}')", null, cancellationToken);
                if (distinct != backlog)
                {
                    throw new InvalidOperationException($"{distinct:N0} distinct backlog events in ClickHouse, expected {backlog:N0}.");
                }

                var last = await client.ValueAsync<DateTime>($"SELECT max(ingested_at) FROM events_raw WHERE startsWith(event_id, '{prefix}')", null, cancellationToken);
                // Rows of one insert share their ingested_at (now64(3) at the insert), so this counts the pipeline's inserts (two in the same millisecond count once).
                var inserts = await client.ValueAsync<long>($"SELECT uniqExact(ingested_at) FROM events_raw WHERE startsWith(event_id, '{prefix}')", null, cancellationToken);
                var drained = Math.Max((DateTime.SpecifyKind(last, DateTimeKind.Utc) - resumed).TotalSeconds, 0.001);
                children.Remove(pipeline);
                await pipeline.DisposeAsync();
                var p = new ProductRound(
                    round, Stats.Round(drained), Math.Round(backlog / drained), Stats.Round(pipelineSpent), Stats.Round(clickHouseSpent), Stats.Round(kafkaSpent),
                    Math.Round(backlog / Math.Max(pipelineSpent, 0.001)), inserts);
                product.Add(p);
                AnsiConsole.MarkupLine($"[grey]round {round} pipeline: {p.EventsPerSec:N0} events/s, {p.EventsPerPipelineCpuSecond:N0} events per pipeline CPU-second, ClickHouse CPU {p.ClickHouseCpuSeconds} s[/]");

                // Peer (a): a plain consumer reads the same topic (warm-up and backlog) under a fresh group.
                var consumer = Start(
                    children, $"peer-consume-{round}",
                    ["bench", "peer-consume", "--bootstrap", bootstrap, "--topic", topic, "--expected", $"{warmup + backlog}", "--group", $"bench-peer-r{round}"], null, verbose);
                await consumer.ReadJsonAsync(TimeSpan.FromSeconds(120), cancellationToken);
                kafkaCpu = kafka.CpuSeconds;
                await consumer.WriteLineAsync("go");
                var read = await consumer.ReadJsonAsync(TimeSpan.FromMinutes(3), cancellationToken);
                kafkaSpent = kafka.CpuSeconds - kafkaCpu;
                children.Remove(consumer);
                await consumer.DisposeAsync();
                var messages = read.GetProperty("messages").GetInt64();
                if (messages < warmup + backlog)
                {
                    throw new InvalidOperationException($"The peer consumer read {messages:N0} of {warmup + backlog:N0} messages.");
                }

                var consumerSeconds = Math.Max(read.GetProperty("seconds").GetDouble(), 0.001);
                var consumerCpu = read.GetProperty("cpu_seconds").GetDouble();

                // Peer (b): the engine parses and inserts the same JSON records, in requests of the pipeline's batch size.
                await client.ExecuteNonQueryAsync($"TRUNCATE TABLE {PeerTable}", null, null, cancellationToken);
                var bodies = records.Chunk(engineInsertRows).Select(JsonLines).ToArray();
                var engineCpu = clickHouse.CpuSeconds;
                var watch = Stopwatch.StartNew();
                foreach (var body in bodies)
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                    using var response = await http.PostAsync(
                        $"?database={PeerEngines.Database}&input_format_skip_unknown_fields=1&date_time_input_format=best_effort&input_format_json_read_objects_as_strings=1" +
                        $"&query={Uri.EscapeDataString($"INSERT INTO {PeerTable} FORMAT JSONEachRow")}",
                        content,
                        cancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"The engine refused the JSONEachRow insert: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    }
                }

                watch.Stop();
                var engineSpent = clickHouse.CpuSeconds - engineCpu;
                var engineRows = await client.ValueAsync<long>($"SELECT count() FROM {PeerTable} WHERE response_id != ''", null, cancellationToken);
                if (engineRows != backlog)
                {
                    throw new InvalidOperationException($"The engine stored {engineRows:N0} rows with a response_id, expected {backlog:N0}.");
                }

                var engineSeconds = Math.Max(watch.Elapsed.TotalSeconds, 0.001);
                var q = new PeerRound(
                    round, Stats.Round(consumerSeconds), Math.Round(messages / consumerSeconds), Stats.Round(consumerCpu), Math.Round(messages / Math.Max(consumerCpu, 0.001)), Stats.Round(kafkaSpent),
                    Stats.Round(engineSeconds), Math.Round(backlog / engineSeconds), Stats.Round(engineSpent), Math.Round(backlog / Math.Max(engineSpent, 0.001)));
                peer.Add(q);
                AnsiConsole.MarkupLine($"[grey]round {round} peers: consumer {q.ConsumerMessagesPerSec:N0} messages/s ({q.MessagesPerConsumerCpuSecond:N0} per CPU-second), engine JSONEachRow insert {q.EngineRowsPerSec:N0} rows/s ({q.RowsPerEngineCpuSecond:N0} per CPU-second)[/]");
            }

            var ratios = product.Zip(peer, (a, b) => Stats.Round(a.EventsPerSec / Math.Max(Math.Min(b.ConsumerMessagesPerSec, b.EngineRowsPerSec), 1))).ToList();
            var slower = Math.Min(PeerEngines.Median(peer.Select(r => r.ConsumerMessagesPerSec)), PeerEngines.Median(peer.Select(r => r.EngineRowsPerSec)));
            var median = new Median(
                PeerEngines.Median(product.Select(r => r.EventsPerSec)),
                PeerEngines.Median(product.Select(r => r.EventsPerPipelineCpuSecond)),
                PeerEngines.Median(product.Select(r => r.PipelineCpuSeconds)),
                PeerEngines.Median(product.Select(r => r.ClickHouseCpuSeconds)),
                PeerEngines.Median(peer.Select(r => r.ConsumerMessagesPerSec)),
                PeerEngines.Median(peer.Select(r => r.MessagesPerConsumerCpuSecond)),
                PeerEngines.Median(peer.Select(r => r.EngineRowsPerSec)),
                PeerEngines.Median(peer.Select(r => r.RowsPerEngineCpuSecond)),
                slower,
                Stats.Round(PeerEngines.Median(product.Select(r => r.EventsPerSec)) / Math.Max(slower, 1)));

            Freshness? freshness = null;
            if (seconds > 0)
            {
                freshness = await MeasureFreshnessAsync(children, client, bootstrap, topics[^1], connectionString, kind, warmup, rate, seconds, verbose, cancellationToken);
            }

            return new Result(
                "separate processes", kind, backlog, warmup, rounds, partitions, brokers, engineInsertRows, backlogBytes, Environment.ProcessorCount, product, peer, ratios, median, freshness);
        }
        finally
        {
            await BenchSupport.StopAllAsync([perf, perfClickHouse], children, dataPath);
        }
    }

    public static void Print(Result result)
    {
        var table = new RoundsTable(result.Product.Count);
        var m = result.Median;
        var Row = table.Row;
        Row("pipeline events/s (stored)", i => $"{result.Product[i].EventsPerSec:N0}", $"{m.EventsPerSec:N0}");
        Row("events per pipeline CPU-second", i => $"{result.Product[i].EventsPerPipelineCpuSecond:N0}", $"{m.EventsPerPipelineCpuSecond:N0}");
        Row("CPU s: pipeline / ClickHouse / kafka", i => $"{result.Product[i].PipelineCpuSeconds} / {result.Product[i].ClickHouseCpuSeconds} / {result.Product[i].KafkaCpuSeconds}", $"{m.PipelineCpuSeconds} / {m.ClickHouseCpuSeconds} / -");
        Row("pipeline inserts (rows per insert)", i => $"{result.Product[i].Inserts:N0} ({result.BacklogEvents / Math.Max(result.Product[i].Inserts, 1):N0})", "-");
        Row("peer consumer messages/s", i => $"{result.Peer[i].ConsumerMessagesPerSec:N0}", $"{m.ConsumerMessagesPerSec:N0}");
        Row("messages per consumer CPU-second", i => $"{result.Peer[i].MessagesPerConsumerCpuSecond:N0}", $"{m.MessagesPerConsumerCpuSecond:N0}");
        Row("peer engine JSONEachRow rows/s", i => $"{result.Peer[i].EngineRowsPerSec:N0}", $"{m.EngineRowsPerSec:N0}");
        Row("rows per engine CPU-second", i => $"{result.Peer[i].RowsPerEngineCpuSecond:N0}", $"{m.RowsPerEngineCpuSecond:N0}");
        Row("ratio pipeline / slower peer", i => $"{result.Ratios[i]}", $"{m.Ratio}");
        AnsiConsole.MarkupLine(
            $"backlog {result.BacklogEvents:N0} {result.Kind} events ({result.BacklogBytes / 1_048_576.0:F1} MiB of JSON) after a warm-up of {result.WarmupEvents:N0}, {result.Rounds} rounds, " +
            $"{result.Partitions} partitions x {result.Brokers} brokers, engine inserts of {result.EngineInsertRows:N0} rows, {result.ProcessorCount} cores");
        AnsiConsole.Write(table.Table);
        AnsiConsole.MarkupLine("[grey]pipeline: from SIGCONT to the last backlog row's ingested_at; consumer: first to last message; engine: the HTTP inserts. The median ratio is the median pipeline rate / the slower of the peers' medians.[/]");
        if (result.Freshness is { } f)
        {
            AnsiConsole.MarkupLine($"freshness at {f.RatePerSec:N0} events/s (produced to Kafka with the gateway's settings, occurred_at = send time, until ingested_at): p50 {f.P50Ms} ms, p99 {f.P99Ms} ms, max {f.MaxMs} ms ({f.Events:N0} events)");
        }
    }

    private static async Task<Freshness> MeasureFreshnessAsync(
        List<ChildProcess> children, ClickHouse.Driver.ClickHouseClient client, string bootstrap, string topic, string connectionString, string kind, int warmup, int rate, int seconds, bool verbose, CancellationToken cancellationToken)
    {
        var pipeline = await StartPipelineAsync(children, bootstrap, topic, connectionString, "bench-pipeline-fresh", null, verbose, cancellationToken);
        var before = await client.ValueAsync<long>("SELECT count() FROM events_raw", null, cancellationToken);
        BenchSupport.ProduceAll(bootstrap, topic, BenchSupport.KafkaRecords(kind, 0, warmup, DateTimeOffset.UtcNow, "fw"), cancellationToken);
        await WaitForCountAsync(client, before + warmup, pipeline, cancellationToken);
        AnsiConsole.MarkupLine($"[grey]freshness: {rate:N0} events/s for {seconds} s[/]");
        var total = rate * seconds;
        using (var producer = new Confluent.Kafka.ProducerBuilder<string, byte[]>(BenchSupport.GatewayProducerConfig(bootstrap)).SetLogHandler((_, _) => { }).Build())
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < total; i++)
            {
                var now = DateTimeOffset.UtcNow;
                var e = BenchSupport.Event(kind, i, now, "fresh") with { ReceivedAt = now };
                producer.Produce(topic, new Confluent.Kafka.Message<string, byte[]> { Key = e.ConversationId, Value = FeedbackStream.Contracts.FeedbackJson.Serialize(e) });
                if (i % 100 == 99)
                {
                    var ahead = TimeSpan.FromTicks(TimeSpan.FromSeconds(seconds).Ticks * (i + 1) / total) - watch.Elapsed;
                    if (ahead > TimeSpan.Zero)
                    {
                        await Task.Delay(ahead, cancellationToken);
                    }
                }
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await WaitForCountAsync(client, before + warmup + total, pipeline, cancellationToken);
        var delay = await BenchSupport.DelaysAsync(client, "SELECT dateDiff('millisecond', occurred_at, ingested_at) AS d FROM events_raw WHERE startsWith(event_id, 'fresh-')", cancellationToken);
        return new Freshness(rate, seconds, delay.Count, delay.P50, delay.P99, delay.Max);
    }

    private static async Task<ChildProcess> StartPipelineAsync(
        List<ChildProcess> children, string bootstrap, string topic, string connectionString, string group, string? perfDirectory, bool verbose, CancellationToken cancellationToken)
    {
        var pipeline = Start(
            children,
            "pipeline",
            [
                "serve", "--role", "pipeline", "--json",
                $"--Kafka:BootstrapServers={bootstrap}", $"--Kafka:Topic={topic}",
                // Suspended for as long as producing the backlog takes: the group must not drop the member meanwhile.
                "--Kafka:Consumer:session.timeout.ms=120000",
                $"--Pipeline:ConsumerGroup={group}", "--Pipeline:Urls=http://127.0.0.1:0",
                "--ClickHouse:Mode=Server", $"--ClickHouse:ConnectionString={connectionString}", $"--ClickHouse:Database={PeerEngines.Database}",
                "--Logging:LogLevel:Default=Error", "--Logging:LogLevel:FeedbackStream=Warning",
            ],
            PeerEngines.ProfileEnvironment(perfDirectory),
            verbose);
        await pipeline.ReadJsonAsync(TimeSpan.FromSeconds(120), cancellationToken);
        return pipeline;
    }

    /// <summary>Waits until events_raw holds <paramref name="expected"/> rows; fails after 30 s without progress or if the pipeline exits.</summary>
    private static async Task WaitForCountAsync(ClickHouse.Driver.ClickHouseClient client, long expected, ChildProcess pipeline, CancellationToken cancellationToken)
    {
        var last = -1L;
        var progress = Stopwatch.StartNew();
        while (true)
        {
            var count = await client.ValueAsync<long>("SELECT count() FROM events_raw", null, cancellationToken);
            if (count >= expected)
            {
                return;
            }

            if (count != last)
            {
                last = count;
                progress.Restart();
            }
            else if (progress.Elapsed > TimeSpan.FromSeconds(30) || pipeline.Process.HasExited)
            {
                throw new InvalidOperationException(
                    $"events_raw holds {count:N0} of {expected:N0} rows and the pipeline made no progress for 30 s (or exited). The mock cluster keeps only the newest " +
                    "~5 MiB per partition: a larger backlog loses its oldest records; use fewer --events or more --partitions.");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static ChildProcess Start(List<ChildProcess> children, string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, bool verbose)
    {
        var child = ChildProcess.Start(name, arguments, environment, verbose);
        children.Add(child);
        return child;
    }

    private static byte[] JsonLines((string Key, byte[] Value)[] records)
    {
        using var stream = new MemoryStream();
        foreach (var (_, value) in records)
        {
            stream.Write(value);
            stream.WriteByte((byte)'\n');
        }

        return stream.ToArray();
    }

    /// <summary>An HTTP client on the engine's endpoint with the credentials of <paramref name="connectionString"/>.</summary>
    private static HttpClient EngineHttp(string connectionString)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.OrdinalIgnoreCase);
        var http = new HttpClient { BaseAddress = new Uri($"http://{parts["Host"]}:{parts["Port"]}/"), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{parts["Username"]}:{parts["Password"]}")));
        return http;
    }
}
