using System.Diagnostics;
using System.Text.Json;
using FeedbackStream.Auth;
using FeedbackStream.Hosting;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench ingest --peer</c>: the gateway as deployed, each component in its own process (the Kafka
/// mock cluster by <c>kafka serve</c>, ClickHouse by <c>clickhouse serve</c>, the gateway by <c>serve --role gateway</c>,
/// this process the HTTP client), against a peer on the same cluster: a plain Confluent.Kafka producer in its own
/// process (<c>bench peer-produce</c>) with the gateway's producer settings, sending the records the gateway writes
/// (the same serialized events with received_at, keyed by conversation id). Rounds alternate product and peer; each
/// figure is also given as the median over rounds.
/// </summary>
internal static class IngestPeerBenchmark
{
    public sealed record ProductRound(
        int Round, double Seconds, double EventsPerSec, long Accepted, long Refused, double RequestP50Ms, double RequestP99Ms,
        double GatewayCpuSeconds, double KafkaCpuSeconds, double ClientCpuSeconds, double EventsPerGatewayCpuSecond);

    public sealed record PeerRound(int Round, double Seconds, double MessagesPerSec, long Acknowledged, double ProducerCpuSeconds, double KafkaCpuSeconds, double MessagesPerProducerCpuSecond);

    public sealed record Median(
        double EventsPerSec, double EventsPerGatewayCpuSecond, double GatewayCpuSeconds, double KafkaCpuSecondsProduct,
        double PeerMessagesPerSec, double MessagesPerProducerCpuSecond, double PeerCpuSeconds, double KafkaCpuSecondsPeer, double Ratio);

    public sealed record Result(
        string Mode, string Kind, int Events, int BatchEvents, int Concurrency, int Rounds, int WarmupEvents, int Partitions, int Brokers,
        string ProducerSettings, int ProcessorCount, IReadOnlyList<ProductRound> Product, IReadOnlyList<PeerRound> Peer, IReadOnlyList<double> Ratios, Median Median);

    private const string Topic = "feedback.events.v1";

    public static async Task<Result> RunAsync(
        int eventCount, int batchEvents, int concurrency, int rounds, int warmup, string kind, int partitions, int brokers, bool verbose, string? perfDirectory, CancellationToken cancellationToken)
    {
        var dataPath = BenchSupport.TempDataPath("ingest-peer");
        var children = new List<ChildProcess>();
        Process? perf = null;
        try
        {
            var kafka = Start(children, "kafka", ["kafka", "serve", "--brokers", $"{brokers}", "--topic", $"{Topic}:{partitions}", "--json"], null, verbose);
            var bootstrap = (await kafka.ReadJsonAsync(TimeSpan.FromSeconds(60), cancellationToken)).GetProperty("bootstrap_servers").GetString()!;
            var (clickHouse, connectionString) = await PeerEngines.StartClickHouseAsync(children, dataPath, perfDirectory, verbose, cancellationToken);
            await PeerEngines.MigrateAsync(connectionString, PeerEngines.Database, cancellationToken);

            var gateway = Start(
                children,
                "gateway",
                [
                    "serve", "--role", "gateway", "--json",
                    $"--Kafka:BootstrapServers={bootstrap}", $"--Kafka:Topic={Topic}",
                    "--Gateway:Urls=http://127.0.0.1:0",
                    "--Gateway:ApiKeys:0:Name=bench", $"--Gateway:ApiKeys:0:Sha256={ApiKeyRing.Hash(BenchSupport.ApiKey)}", $"--Gateway:ApiKeys:0:Apps:0={BenchSupport.App}",
                    "--Gateway:RateLimitRequestsPerSecond=0",
                    "--ClickHouse:Mode=Server", $"--ClickHouse:ConnectionString={connectionString}", $"--ClickHouse:Database={PeerEngines.Database}",
                    "--Logging:LogLevel:Default=Error", "--Logging:LogLevel:FeedbackStream=Warning",
                ],
                PeerEngines.ProfileEnvironment(perfDirectory),
                verbose);
            var address = new Uri((await gateway.ReadJsonAsync(TimeSpan.FromSeconds(120), cancellationToken)).GetProperty("gateway").GetString()!);
            AnsiConsole.MarkupLine($"[grey]processes: kafka serve {kafka.Id}, clickhouse serve {clickHouse.Id}, gateway {gateway.Id}, client (this) {Environment.ProcessId}; {Environment.ProcessorCount} cores[/]");
            AnsiConsole.MarkupLine($"[grey]producer settings (gateway and peer): {BenchSupport.Describe(BenchSupport.GatewayProducerConfig(bootstrap))}[/]");

            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            if (warmup > 0)
            {
                AnsiConsole.MarkupLine($"[grey]warming the gateway up on {warmup:N0} events[/]");
                // Two passes with a pause after each: the runtime promotes methods to their optimized tier only after a
                // quiet spell without new compilations (measured: right after one pass, the first round ran at half the
                // rate of the next ones).
                await BenchSupport.SendAsync(http, Bodies(kind, warmup / 2, batchEvents, "warm1"), concurrency, cancellationToken);
                await Task.Delay(PeerEngines.TieringPause, cancellationToken);
                await BenchSupport.SendAsync(http, Bodies(kind, warmup - (warmup / 2), batchEvents, "warm2"), concurrency, cancellationToken);
                await Task.Delay(PeerEngines.TieringPause, cancellationToken);
            }

            var product = new List<ProductRound>();
            var peer = new List<PeerRound>();
            for (var round = 1; round <= rounds; round++)
            {
                // Distinct event ids per round: the gateway's duplicate filter must not drop a round's events.
                var bodies = Bodies(kind, eventCount, batchEvents, $"r{round}");
                if (perfDirectory is not null && round == 1)
                {
                    perf = PeerEngines.StartPerf(perfDirectory, "gateway", gateway.Id);
                }

                var gatewayCpu = gateway.CpuSeconds;
                var kafkaCpu = kafka.CpuSeconds;
                var self = Process.GetCurrentProcess();
                var clientCpu = self.TotalProcessorTime.TotalSeconds;
                var sent = await BenchSupport.SendAsync(http, bodies, concurrency, cancellationToken);
                self.Refresh();
                var gatewaySpent = gateway.CpuSeconds - gatewayCpu;
                if (perf is not null && round == 1)
                {
                    await PeerEngines.StopPerfAsync(perf);
                }

                var p = new ProductRound(
                    round, Stats.Round(sent.Seconds), Math.Round(sent.Accepted / sent.Seconds), sent.Accepted, sent.Refused, Stats.Round(sent.P50Ms), Stats.Round(sent.P99Ms),
                    Stats.Round(gatewaySpent), Stats.Round(kafka.CpuSeconds - kafkaCpu), Stats.Round(self.TotalProcessorTime.TotalSeconds - clientCpu),
                    Math.Round(sent.Accepted / Math.Max(gatewaySpent, 0.001)));
                product.Add(p);
                AnsiConsole.MarkupLine($"[grey]round {round} gateway: {p.EventsPerSec:N0} events/s, {p.EventsPerGatewayCpuSecond:N0} events per gateway CPU-second, kafka CPU {p.KafkaCpuSeconds} s[/]");

                var producer = Start(
                    children, $"peer-produce-{round}",
                    ["bench", "peer-produce", "--bootstrap", bootstrap, "--topic", Topic, "--events", $"{eventCount}", "--kind", kind, "--prefix", $"r{round}p"], null, verbose);
                await producer.ReadJsonAsync(TimeSpan.FromSeconds(120), cancellationToken);
                kafkaCpu = kafka.CpuSeconds;
                await producer.WriteLineAsync("go");
                var figures = await producer.ReadJsonAsync(TimeSpan.FromMinutes(5), cancellationToken);
                var kafkaSpent = kafka.CpuSeconds - kafkaCpu;
                var acknowledged = figures.GetProperty("acknowledged").GetInt64();
                var seconds = Math.Max(figures.GetProperty("seconds").GetDouble(), 0.001);
                var cpu = figures.GetProperty("cpu_seconds").GetDouble();
                var q = new PeerRound(round, Stats.Round(seconds), Math.Round(acknowledged / seconds), acknowledged, Stats.Round(cpu), Stats.Round(kafkaSpent), Math.Round(acknowledged / Math.Max(cpu, 0.001)));
                peer.Add(q);
                children.Remove(producer);
                await producer.DisposeAsync();
                AnsiConsole.MarkupLine($"[grey]round {round} peer producer: {q.MessagesPerSec:N0} messages/s, {q.MessagesPerProducerCpuSecond:N0} per producer CPU-second, kafka CPU {q.KafkaCpuSeconds} s[/]");
            }

            var ratios = product.Zip(peer, (a, b) => Stats.Round(a.EventsPerSec / Math.Max(b.MessagesPerSec, 1))).ToList();
            var median = new Median(
                PeerEngines.Median(product.Select(r => r.EventsPerSec)),
                PeerEngines.Median(product.Select(r => r.EventsPerGatewayCpuSecond)),
                PeerEngines.Median(product.Select(r => r.GatewayCpuSeconds)),
                PeerEngines.Median(product.Select(r => r.KafkaCpuSeconds)),
                PeerEngines.Median(peer.Select(r => r.MessagesPerSec)),
                PeerEngines.Median(peer.Select(r => r.MessagesPerProducerCpuSecond)),
                PeerEngines.Median(peer.Select(r => r.ProducerCpuSeconds)),
                PeerEngines.Median(peer.Select(r => r.KafkaCpuSeconds)),
                Stats.Round(PeerEngines.Median(product.Select(r => r.EventsPerSec)) / Math.Max(PeerEngines.Median(peer.Select(r => r.MessagesPerSec)), 1)));
            return new Result(
                "separate processes", kind, eventCount, batchEvents, concurrency, rounds, warmup, partitions, brokers,
                BenchSupport.Describe(BenchSupport.GatewayProducerConfig(bootstrap)), Environment.ProcessorCount, product, peer, ratios, median);
        }
        finally
        {
            await BenchSupport.StopAllAsync([perf], children, dataPath);
        }
    }

    public static void Print(Result result)
    {
        var table = new RoundsTable(result.Product.Count);
        var m = result.Median;
        var Row = table.Row;
        Row("gateway events/s (acknowledged)", i => $"{result.Product[i].EventsPerSec:N0}", $"{m.EventsPerSec:N0}");
        Row("events per gateway CPU-second", i => $"{result.Product[i].EventsPerGatewayCpuSecond:N0}", $"{m.EventsPerGatewayCpuSecond:N0}");
        Row("CPU s: gateway / kafka / client", i => $"{result.Product[i].GatewayCpuSeconds} / {result.Product[i].KafkaCpuSeconds} / {result.Product[i].ClientCpuSeconds}", $"{m.GatewayCpuSeconds} / {m.KafkaCpuSecondsProduct} / -");
        Row("request ms p50 / p99", i => $"{result.Product[i].RequestP50Ms} / {result.Product[i].RequestP99Ms}", "-");
        Row("peer producer messages/s", i => $"{result.Peer[i].MessagesPerSec:N0}", $"{m.PeerMessagesPerSec:N0}");
        Row("messages per producer CPU-second", i => $"{result.Peer[i].MessagesPerProducerCpuSecond:N0}", $"{m.MessagesPerProducerCpuSecond:N0}");
        Row("CPU s: producer / kafka", i => $"{result.Peer[i].ProducerCpuSeconds} / {result.Peer[i].KafkaCpuSeconds}", $"{m.PeerCpuSeconds} / {m.KafkaCpuSecondsPeer}");
        Row("ratio gateway / producer", i => $"{result.Ratios[i]}", $"{m.Ratio}");
        AnsiConsole.MarkupLine($"{result.Events:N0} {result.Kind} events x {result.BatchEvents} per request x {result.Concurrency} in flight, {result.Rounds} rounds, {result.ProcessorCount} cores; topic {result.Partitions} partitions on {result.Brokers} brokers");
        AnsiConsole.Write(table.Table);
        AnsiConsole.MarkupLine("[grey]ratio = gateway events/s (Kafka-acknowledged, answered) / raw producer messages/s (acknowledged) on the same cluster; the median ratio is the ratio of the medians.[/]");
    }

    private static ChildProcess Start(List<ChildProcess> children, string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, bool verbose)
    {
        var child = ChildProcess.Start(name, arguments, environment, verbose);
        children.Add(child);
        return child;
    }

    private static byte[][] Bodies(string kind, int eventCount, int batchEvents, string prefix)
    {
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, (eventCount + batchEvents - 1) / batchEvents)
            .Select(b => BenchSupport.JsonArray(Enumerable.Range(b * batchEvents, Math.Min(batchEvents, eventCount - (b * batchEvents))).Select(i => BenchSupport.Event(kind, i, now, prefix))))
            .ToArray();
    }
}
