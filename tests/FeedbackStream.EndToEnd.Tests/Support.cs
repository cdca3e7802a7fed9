using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ClickHouse.Driver;
using Confluent.Kafka;
using FeedbackStream.Auth;
using FeedbackStream.Cli;
using FeedbackStream.Hosting;
using FeedbackStream.Contracts;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.Gateway;
using Microsoft.Extensions.Configuration;

[assembly: AssemblyFixture(typeof(FeedbackStream.EndToEnd.Tests.EngineFixture))]


namespace FeedbackStream.EndToEnd.Tests;

/// <summary>The one ClickHouse data folder of this test process (chDB: one data path per process); each test uses its own database.</summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture()
    {
        DataPath = Path.Combine(Path.GetTempPath(), $"fs-e2e-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Server = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = DataPath });
    }

    public string DataPath { get; }

    /// <summary>Holds the engine open for the whole run so hosts started by tests share it.</summary>
    public EmbeddedClickHouseServer Server { get; }

    public void Dispose()
    {
        Server.Dispose();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // Temp folder; best effort.
        }
    }
}

/// <summary>Every test here runs whole processes' worth of engines; one collection runs them one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class EnginesCollection
{
    public const string Name = "engines";
}

internal static class E2E
{
    public const string ApiKey = "e2e-key";
    public const string App = "chat-web";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string NewDatabase() => "e2e_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Starts a host on the embedded engines with its own database (and its own Kafka cluster unless one is given).</summary>
    public static Task<FeedbackHost> StartHostAsync(EngineFixture engine, HostRoles roles = HostRoles.All, Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>(FeedbackHost.Defaults)
        {
            ["Gateway:Urls"] = "http://127.0.0.1:0",
            ["Gateway:ApiKeys:0:Name"] = "e2e",
            ["Gateway:ApiKeys:0:Sha256"] = ApiKeyRing.Hash(ApiKey),
            ["Gateway:ApiKeys:0:Apps:0"] = App,
            ["ClickHouse:DataPath"] = engine.DataPath,
            ["ClickHouse:Database"] = NewDatabase(),
            ["Pipeline:BatchMaxAge"] = "00:00:00.100",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return FeedbackHost.StartAsync(configuration, roles, Ct);
    }

    /// <summary>A realistic mix of the five event types for <paramref name="count"/> events.</summary>
    public static List<FeedbackEvent> Events(int count, string prefix = "e")
    {
        var now = DateTimeOffset.UtcNow.AddSeconds(-5);
        var events = new List<FeedbackEvent>(count);
        for (var i = 0; i < count; i++)
        {
            var conversation = $"conv-{i / 5}";
            var response = $"resp-{i / 5}";
            EventPayload payload = (i % 5) switch
            {
                0 => new ResponseServed(response, i % 7, $"answer {i} ❤ with\nnew lines", "model-a", PromptText: $"question {i}", LatencyMs: 120.5, Surface: "web", Locale: "en-US"),
                1 => new ReactionSet(response, i % 2 == 0 ? Reaction.Love : Reaction.Dislike, 2500),
                2 => new ReactionCleared(response, Reaction.Like, 4000),
                3 => new FollowupSent(response, $"thanks, that helped {i}", 9000),
                _ => new ResponseAction(response, i % 2 == 0 ? ActionKind.Edit : ActionKind.Copy, i % 2 == 0 ? $"edited {i}" : null, 1200),
            };
            events.Add(FeedbackEvent.Create($"{prefix}-{i:D7}", App, now.AddMilliseconds(i), $"user-{i % 50}", conversation, payload));
        }

        return events;
    }

    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, IEnumerable<FeedbackEvent> events)
    {
        var body = "[" + string.Join(",", events.Select(e => Encoding.UTF8.GetString(FeedbackJson.Serialize(e)))) + "]";
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return await http.SendAsync(request, Ct);
    }

    /// <summary>Sends the same events (same ids) until the gateway accepts them, as a client retrying after 503 does.</summary>
    public static async Task<HttpStatusCode> PostUntilAcceptedAsync(HttpClient http, IReadOnlyList<FeedbackEvent> events, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        HttpStatusCode status;
        do
        {
            using var retry = await PostAsync(http, events);
            status = retry.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(500, Ct);
            }
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < until);

        return status;
    }

    public static async Task<ulong> ScalarAsync(ClickHouseClient client, string sql) =>
        Convert.ToUInt64(await client.ExecuteScalarAsync(sql, null, null, Ct), CultureInfo.InvariantCulture);

    /// <summary>Waits until <paramref name="sql"/> returns at least <paramref name="expected"/>, or fails after the deadline.</summary>
    public static async Task<ulong> WaitForCountAsync(ClickHouseClient client, string sql, ulong expected, TimeSpan deadline)
    {
        var watch = Stopwatch.StartNew();
        ulong last = 0;
        while (watch.Elapsed < deadline)
        {
            last = await ScalarAsync(client, sql);
            if (last >= expected)
            {
                return last;
            }

            await Task.Delay(100, Ct);
        }

        Assert.Fail($"Waited {deadline.TotalSeconds} s for `{sql}` to reach {expected}; it is {last}.");
        return last;
    }

    public static IProducer<string, byte[]> Producer(string bootstrap) =>
        new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, LingerMs = 5 })
            .SetLogHandler((_, _) => { })
            .Build();

    /// <summary>
    /// Runs <c>feedbackstream</c> with <paramref name="arguments"/> as a child process (bounded at 3 minutes); a null value
    /// in <paramref name="environment"/> removes that variable.
    /// </summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunCliAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "feedbackstream.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start feedbackstream");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
