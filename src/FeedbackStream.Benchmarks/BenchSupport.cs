using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FeedbackStream.Auth;
using FeedbackStream.Contracts;
using FeedbackStream.Gateway;
using FeedbackStream.Storage;
using FeedbackStream.Hosting;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>What the ingest and pipeline benchmarks share: a host on the embedded engines in a temporary folder, and event bodies.</summary>
internal static class BenchSupport
{
    public const string ApiKey = "bench-key";
    public const string App = "bench-app";

    public static IConfiguration Configuration(string dataPath, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var values = new Dictionary<string, string?>(FeedbackHost.Defaults)
        {
            ["Gateway:Urls"] = "http://127.0.0.1:0",
            ["Gateway:ApiKeys:0:Name"] = "bench",
            ["Gateway:ApiKeys:0:Sha256"] = ApiKeyRing.Hash(ApiKey),
            ["Gateway:ApiKeys:0:Apps:0"] = App,
            ["ClickHouse:DataPath"] = dataPath,
            // Benchmarks measure throughput: the per-key request limit would measure itself.
            ["Gateway:RateLimitRequestsPerSecond"] = "0",
            ["Logging:LogLevel:Default"] = "Error",
            ["Logging:LogLevel:FeedbackStream"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    /// <summary>One event of a realistic mix; <paramref name="occurredAt"/> is the client clock.</summary>
    public static FeedbackEvent Event(long i, DateTimeOffset occurredAt, string prefix, int prompts = 1)
    {
        var response = $"resp-{i / 4}";
        var prompt = prompts <= 1 ? "How do I do this?" : $"How do I do this, case {i / 4 % prompts}?";
        EventPayload payload = (i % 4) switch
        {
            0 => new ResponseServed(response, (int)(i % 9), "Here is a short answer about the topic you asked for, with an example.", "model-a", PromptText: prompt, LatencyMs: 340, Surface: "web", Locale: "en-US"),
            1 => new ReactionSet(response, Reaction.Love, 3000),
            2 => new FollowupSent(response, "thanks, that worked", 12000),
            _ => new ResponseAction(response, ActionKind.Copy, null, 2500),
        };
        return FeedbackEvent.Create($"{prefix}-{i:D10}", App, occurredAt, $"user-{i % 5000}", $"conv-{i / 8}", payload);
    }

    /// <summary>A <c>reaction.set</c> event (the smallest common event; 8 per conversation, 4 per response).</summary>
    public static FeedbackEvent ReactionEvent(long i, DateTimeOffset occurredAt, string prefix) =>
        FeedbackEvent.Create($"{prefix}-{i:D10}", App, occurredAt, $"user-{i % 5000}", $"conv-{i / 8}", new ReactionSet($"resp-{i / 4}", Reaction.Love, 3000));

    /// <summary>Event <paramref name="i"/> of <paramref name="kind"/> (<c>mix</c>: the realistic mix; <c>reaction</c>: <see cref="ReactionEvent"/>).</summary>
    public static FeedbackEvent Event(string kind, long i, DateTimeOffset occurredAt, string prefix) =>
        kind == "reaction" ? ReactionEvent(i, occurredAt, prefix) : Event(i, occurredAt, prefix);

    /// <summary>
    /// The producer settings the gateway's publisher uses (KafkaEventPublisher: idempotent, acks=all, linger 5 ms,
    /// batch.size 1,000,000 bytes, lz4, message timeout = Gateway:ProduceTimeout, 10 s by default), for clients that
    /// must write to Kafka as the gateway does.
    /// </summary>
    /// <summary>The gateway's own producer settings (its default produce timeout) on <paramref name="bootstrap"/>.</summary>
    public static ProducerConfig GatewayProducerConfig(string bootstrap) =>
        new Kafka.KafkaOptions { BootstrapServers = bootstrap }.CreateProducerConfig(c => KafkaEventPublisher.ProducerDefaults(c, new GatewayOptions().ProduceTimeout));

    public static string Describe(ProducerConfig config) =>
        $"enable.idempotence={config.EnableIdempotence}, acks={config.Acks}, linger.ms={config.LingerMs}, batch.size={config.BatchSize}, compression={config.CompressionType}, message.timeout.ms={config.MessageTimeoutMs}";

    /// <summary>
    /// Produces every (key, value) to <paramref name="topic"/> with the gateway's producer settings and waits for
    /// every acknowledgement; returns how many were acknowledged.
    /// </summary>
    public static long ProduceAll(string bootstrap, string topic, IReadOnlyList<(string Key, byte[] Value)> records, CancellationToken cancellationToken)
    {
        using var producer = new ProducerBuilder<string, byte[]>(GatewayProducerConfig(bootstrap)).SetLogHandler((_, _) => { }).Build();
        long acknowledged = 0;
        void OnDelivery(DeliveryReport<string, byte[]> report)
        {
            if (!report.Error.IsError)
            {
                Interlocked.Increment(ref acknowledged);
            }
        }

        foreach (var (key, value) in records)
        {
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = value }, OnDelivery);
                    break;
                }
                catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(20));
                }
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (producer.Flush(TimeSpan.FromMilliseconds(200)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Kafka did not acknowledge every record within 60 s of the last send.");
            }
        }

        return Interlocked.Read(ref acknowledged);
    }

    /// <summary>The records the gateway writes for <paramref name="count"/> events: key = conversation id, value = the event's JSON with received_at.</summary>
    public static (string Key, byte[] Value)[] KafkaRecords(string kind, long from, int count, DateTimeOffset now, string prefix) =>
        Enumerable.Range(0, count).Select(j =>
        {
            var e = Event(kind, from + j, now, prefix) with { ReceivedAt = now };
            return (e.ConversationId, FeedbackJson.Serialize(e));
        }).ToArray();

    public static byte[] JsonArray(IEnumerable<FeedbackEvent> events)
    {
        using var stream = new MemoryStream();
        stream.WriteByte((byte)'[');
        var first = true;
        foreach (var e in events)
        {
            if (!first)
            {
                stream.WriteByte((byte)',');
            }

            stream.Write(FeedbackJson.Serialize(e));
            first = false;
        }

        stream.WriteByte((byte)']');
        return stream.ToArray();
    }

    public static HttpRequestMessage Post(byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return request;
    }

    public static void DeleteQuietly(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Temp folder; best effort.
        }
    }

    public static string TempDataPath(string name) => Path.Combine(Path.GetTempPath(), $"feedbackstream-bench-{name}-{Guid.NewGuid():N}");

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>Percentiles of the delays <c>d</c> (milliseconds) that <paramref name="delaysSql"/> selects.</summary>
    public static async Task<Delays> DelaysAsync(ClickHouse.Driver.ClickHouseClient client, string delaysSql, CancellationToken cancellationToken)
    {
        var rows = await client.RowsAsync<Delays>(
            $"SELECT toInt64(count()) AS count, toFloat64(quantileExact(0.5)(d)) AS p50, toFloat64(quantileExact(0.99)(d)) AS p99, toFloat64(max(d)) AS max FROM ({delaysSql})",
            null,
            cancellationToken);
        return rows[0];
    }

    /// <summary>Delay percentiles in milliseconds, mapped by column name.</summary>
    public sealed class Delays
    {
        public long Count { get; set; }

        public double P50 { get; set; }

        public double P99 { get; set; }

        public double Max { get; set; }
    }

    /// <summary>What <see cref="SendAsync"/> measured: the wall time, the events the gateway accepted, the requests it refused, request latency percentiles.</summary>
    public sealed record Sent(double Seconds, long Accepted, long Refused, double P50Ms, double P99Ms);

    /// <summary>Posts <paramref name="bodies"/> with <paramref name="concurrency"/> requests in flight; counts the events each answer accepted.</summary>
    public static async Task<Sent> SendAsync(HttpClient http, byte[][] bodies, int concurrency, CancellationToken cancellationToken)
    {
        var latencies = new double[bodies.Length];
        long accepted = 0;
        long refused = 0;
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < bodies.Length)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(BenchSupport.Post(bodies[index]), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
                    Interlocked.Add(ref accepted, document.RootElement.GetProperty("accepted").GetInt32());
                }
                else
                {
                    Interlocked.Increment(ref refused);
                }

                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }));
        watch.Stop();
        return new Sent(Math.Max(watch.Elapsed.TotalSeconds, 0.001), accepted, refused, Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 99));
    }

    /// <summary>Stops the perf recordings, then the child processes (last started first), then deletes the data folder.</summary>
    public static async Task StopAllAsync(IEnumerable<Process?> perfs, IReadOnlyList<ChildProcess> children, string dataPath)
    {
        foreach (var perf in perfs)
        {
            if (perf is not null)
            {
                await PeerEngines.StopPerfAsync(perf);
            }
        }

        for (var i = children.Count - 1; i >= 0; i--)
        {
            await children[i].DisposeAsync();
        }

        DeleteQuietly(dataPath);
    }
}

/// <summary>A table of figures per round: one column per round, then the median.</summary>
internal sealed class RoundsTable
{
    private readonly int _rounds;

    public RoundsTable(int rounds)
    {
        _rounds = rounds;
        Table.AddColumn("figure");
        for (var round = 1; round <= rounds; round++)
        {
            Table.AddColumn($"round {round}");
        }

        Table.AddColumn("median");
    }

    public Table Table { get; } = new();

    /// <summary>Adds a figure: its text in each round (by index from 0) and its median.</summary>
    public void Row(string name, Func<int, string> round, string median) =>
        Table.AddRow([name, .. Enumerable.Range(0, _rounds).Select(round), median]);
}
