using System.Net.Http.Headers;
using System.Text;
using FeedbackStream.Auth;
using FeedbackStream.Contracts;
using FeedbackStream.Gateway;
using FeedbackStream.Storage;
using FeedbackStream.Hosting;
using Microsoft.Extensions.Configuration;

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
    public static FeedbackEvent Event(long i, DateTimeOffset occurredAt, string prefix)
    {
        var response = $"resp-{i / 4}";
        EventPayload payload = (i % 4) switch
        {
            0 => new ResponseServed(response, (int)(i % 9), "Here is a short answer about the topic you asked for, with an example.", "model-a", PromptText: "How do I do this?", LatencyMs: 340, Surface: "web", Locale: "en-US"),
            1 => new ReactionSet(response, Reaction.Love, 3000),
            2 => new FollowupSent(response, "thanks, that worked", 12000),
            _ => new ResponseAction(response, ActionKind.Copy, null, 2500),
        };
        return FeedbackEvent.Create($"{prefix}-{i:D10}", App, occurredAt, $"user-{i % 5000}", $"conv-{i / 8}", payload);
    }

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
}
