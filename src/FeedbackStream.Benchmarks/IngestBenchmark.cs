using System.CommandLine;
using System.Diagnostics;
using FeedbackStream.Hosting;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench ingest</c>: events per second through the gateway's batched HTTP API, each request answered
/// only after Kafka acknowledged its events (embedded Kafka cluster, gateway role only). Client and server share
/// this machine's cores.
/// </summary>
internal static class IngestBenchmark
{
    public sealed record Result(long Events, int BatchEvents, int Concurrency, double Seconds, double EventsPerSec, double RequestP50Ms, double RequestP99Ms, long Accepted, long Refused);

    public static Command Create()
    {
        var events = new Option<int>("--events") { Description = "Events to send.", DefaultValueFactory = _ => 300_000 };
        var batch = new Option<int>("--batch") { Description = "Events per request.", DefaultValueFactory = _ => 1000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight.", DefaultValueFactory = _ => 4 };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long.", DefaultValueFactory = _ => TimeSpan.FromMinutes(5) };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object on the last line." };
        var peer = new Option<bool>("--peer")
        {
            Description = "Each component in its own process (kafka serve, clickhouse serve, serve --role gateway; this process the HTTP client), " +
                          "against a plain Confluent.Kafka producer in its own process with the gateway's settings sending the same records; rounds alternate, medians printed.",
        };
        var rounds = new Option<int>("--rounds") { Description = "With --peer: rounds, alternating product and peer (3 or more for a meaningful median).", DefaultValueFactory = _ => 3 };
        rounds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--rounds must be at least 1.");
            }
        });
        var warmup = new Option<int>("--warmup") { Description = "With --peer: events sent before the timed rounds (JIT at its final tier, connections; with 50,000 the first round still ran at half the rate of the next).", DefaultValueFactory = _ => 200_000 };
        var kind = PeerClients.KindOption(null);
        kind.Description = "Events sent: reaction (reaction.set only; the default with --peer) or mix (served, reaction, follow-up, action; the default without).";
        var partitions = new Option<int>("--partitions") { Description = "With --peer: partitions of the topic.", DefaultValueFactory = _ => 6 };
        var verbose = new Option<bool>("--verbose") { Description = "With --peer: forward the child processes' standard error." };
        var perf = new Option<string?>("--perf") { Description = "With --peer: record the gateway process with perf (perf record -g) during round 1 into this folder (perf map enabled).", Hidden = true };
        var command = new Command("ingest", "Events/s through POST /v1/events, acknowledged by Kafka.") { events, batch, concurrency, timeout, json, peer, rounds, warmup, kind, partitions, verbose, perf };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(parse.GetValue(timeout));
            if (parse.GetValue(peer))
            {
                var figures = await IngestPeerBenchmark.RunAsync(
                    parse.GetValue(events), parse.GetValue(batch), parse.GetValue(concurrency), parse.GetValue(rounds), parse.GetValue(warmup), parse.GetValue(kind) ?? "reaction",
                    parse.GetValue(partitions), 3, parse.GetValue(verbose), parse.GetValue(perf), deadline.Token);
                IngestPeerBenchmark.Print(figures);
                if (parse.GetValue(json))
                {
                    JsonOutput.WriteLast(figures);
                }

                return figures.Product.All(r => r.Accepted == figures.Events) && figures.Peer.All(r => r.Acknowledged == figures.Events) ? 0 : 1;
            }

            if (parse.GetValue(kind) is "reaction")
            {
                Console.Error.WriteLine("--kind reaction is for --peer; the in-process benchmark sends the mix.");
                return 2;
            }

            var result = await RunAsync(parse.GetValue(events), parse.GetValue(batch), parse.GetValue(concurrency), deadline.Token);
            var table = new Table().AddColumns("figure", "value");
            table.AddRow("events x batch x concurrency", $"{result.Events:N0} x {result.BatchEvents} x {result.Concurrency}");
            table.AddRow("ingest (Kafka-acknowledged)", $"{result.EventsPerSec:N0} events/s ({result.Seconds} s)");
            table.AddRow("request latency", $"p50 {result.RequestP50Ms} ms, p99 {result.RequestP99Ms} ms");
            table.AddRow("accepted / refused", $"{result.Accepted:N0} / {result.Refused:N0}");
            AnsiConsole.Write(table);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(result);
            }

            return result.Accepted == result.Events ? 0 : 1;
        });
        return command;
    }

    public static async Task<Result> RunAsync(int eventCount, int batchEvents, int concurrency, CancellationToken cancellationToken)
    {
        var dataPath = BenchSupport.TempDataPath("ingest");
        try
        {
            await using var host = await FeedbackHost.StartAsync(BenchSupport.Configuration(dataPath, new Dictionary<string, string?> { ["Kafka:TopicPartitions"] = "6" }), HostRoles.Gateway, cancellationToken);
            using var http = new HttpClient { BaseAddress = host.GatewayAddress };
            var now = DateTimeOffset.UtcNow;
            var bodies = Enumerable.Range(0, (eventCount + batchEvents - 1) / batchEvents)
                .Select(b => BenchSupport.JsonArray(Enumerable.Range(b * batchEvents, Math.Min(batchEvents, eventCount - (b * batchEvents))).Select(i => BenchSupport.Event(i, now, "ingest"))))
                .ToArray();

            // Warm-up request: JIT, connections, producer metadata.
            using (var warm = await http.SendAsync(BenchSupport.Post(BenchSupport.JsonArray([BenchSupport.Event(-1, now, "warm")])), cancellationToken))
            {
                warm.EnsureSuccessStatusCode();
            }

            var sent = await BenchSupport.SendAsync(http, bodies, concurrency, cancellationToken);
            return new Result(
                eventCount, batchEvents, concurrency, Stats.Round(sent.Seconds), Math.Round(eventCount / sent.Seconds),
                Stats.Round(sent.P50Ms), Stats.Round(sent.P99Ms), sent.Accepted, sent.Refused);
        }
        finally
        {
            BenchSupport.DeleteQuietly(dataPath);
        }
    }
}
