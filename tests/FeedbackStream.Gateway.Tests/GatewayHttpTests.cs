using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FeedbackStream.Auth;
using FeedbackStream.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Gateway.Tests;

/// <summary>Records what the gateway published; can be told to fail like an unreachable Kafka.</summary>
internal sealed class RecordingPublisher : IEventPublisher
{
    public ConcurrentQueue<OutgoingEvent> Published { get; } = new();

    public bool Fail { get; set; }

    public Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        if (Fail)
        {
            throw new PublishFailedException("Kafka did not acknowledge every event (test).");
        }

        foreach (var e in events)
        {
            Published.Enqueue(e);
        }

        return Task.CompletedTask;
    }

    public bool IsReachable(TimeSpan timeout) => !Fail;
}

/// <summary>The gateway's HTTP behaviour with Kafka replaced by <see cref="RecordingPublisher"/>: auth, limits, per-event results, redaction.</summary>
public sealed class GatewayHttpTests : IAsyncDisposable
{
    private const string Key = "test-key-chat";
    private const string OtherKey = "test-key-other";
    private readonly RecordingPublisher _publisher = new();
    private WebApplication? _app;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpClient> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Gateway:ApiKeys:0:Name"] = "chat",
            ["Gateway:ApiKeys:0:Sha256"] = ApiKeyRing.Hash(Key),
            ["Gateway:ApiKeys:0:Apps:0"] = "chat-web",
            ["Gateway:ApiKeys:1:Name"] = "other",
            ["Gateway:ApiKeys:1:Sha256"] = ApiKeyRing.Hash(OtherKey),
            ["Gateway:ApiKeys:1:Apps:0"] = "other-app",
        };
        foreach (var (k, v) in settings ?? [])
        {
            config[k] = v;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddFeedbackGateway(builder.Configuration);
        builder.Services.AddSingleton<IEventPublisher>(_publisher);
        _app = builder.Build();
        _app.UseFeedbackGateway();
        _app.MapFeedbackGateway();
        await _app.StartAsync(Ct);
        return _app.GetTestClient();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static string Event(string id, string app = "chat-web", string? occurredAt = null, string? payload = null, string type = "reaction.set") =>
        $$"""{"event_id":"{{id}}","type":"{{type}}","schema_version":1,"app_id":"{{app}}","occurred_at":"{{occurredAt ?? DateTimeOffset.UtcNow.ToString("O")}}","user_id":"u1","conversation_id":"c1","payload":{{payload ?? """{"response_id":"r1","reaction":"love"}"""}}}""";

    private static HttpRequestMessage Post(string body, string? key = Key, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    [Fact]
    public async Task MissingKey_Is401_AndNothingIsPublished()
    {
        var http = await StartAsync();
        using var response = await http.SendAsync(Post($"[{Event("a")}]", key: null), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public async Task UnknownKey_Is401()
    {
        var http = await StartAsync();
        using var response = await http.SendAsync(Post($"[{Event("a")}]", key: "not-a-key"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task XApiKeyHeader_IsAccepted()
    {
        var http = await StartAsync();
        var request = Post($"[{Event("a")}]", key: null);
        request.Headers.Add("X-Api-Key", Key);
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task KeyNotAllowedForTheEventsApp_Is403_NamingTheApp_AndNothingIsPublished()
    {
        var http = await StartAsync();
        using var response = await http.SendAsync(Post($"[{Event("a")},{Event("b", app: "other-app")}]"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("other-app", (await JsonAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public async Task BodyOverMaxBodyBytes_Is413_NamingTheLimitAndValue()
    {
        var http = await StartAsync(new() { ["Gateway:MaxBodyBytes"] = "2048" });
        var body = "[" + string.Join(",", Enumerable.Range(0, 20).Select(i => Event($"e{i}"))) + "]";
        using var response = await http.SendAsync(Post(body), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await JsonAsync(response);
        Assert.Equal("max_body_bytes", problem.GetProperty("limit").GetString());
        Assert.Equal("2048", problem.GetProperty("limit_value").GetString());
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/x-ndjson")]
    public async Task MoreEventsThanMaxEventsPerBatch_Is413_NamingTheLimit(string contentType)
    {
        var http = await StartAsync(new() { ["Gateway:MaxEventsPerBatch"] = "3" });
        var events = Enumerable.Range(0, 4).Select(i => Event($"e{i}")).ToList();
        var body = contentType == "application/json" ? "[" + string.Join(",", events) + "]" : string.Join("\n", events);
        using var response = await http.SendAsync(Post(body, contentType: contentType), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("max_events_per_batch", (await JsonAsync(response)).GetProperty("limit").GetString());
    }

    [Fact]
    public async Task TextOverMaxTextChars_IsRejected_NamingThePathAndLimit_OthersAccepted()
    {
        var http = await StartAsync(new() { ["Gateway:MaxTextChars"] = "10" });
        var longFollowup = Event("long", type: "followup.sent", payload: """{"response_id":"r1","text":"this is far longer than ten"}""");
        using var response = await http.SendAsync(Post($"[{Event("ok")},{longFollowup}]"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await JsonAsync(response)).GetProperty("results")[1];
        Assert.Equal("rejected", result.GetProperty("status").GetString());
        var error = result.GetProperty("errors")[0];
        Assert.Equal("$[1].payload.text", error.GetProperty("path").GetString());
        Assert.Contains("10", error.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task OccurredAtBeyondClockSkew_OrOlderThanMaxAge_IsRejectedWithTheLimit()
    {
        var http = await StartAsync(new() { ["Gateway:MaxClockSkew"] = "00:01:00", ["Gateway:MaxEventAge"] = "1.00:00:00" });
        var future = Event("future", occurredAt: DateTimeOffset.UtcNow.AddMinutes(10).ToString("O"));
        var old = Event("old", occurredAt: DateTimeOffset.UtcNow.AddDays(-2).ToString("O"));
        using var response = await http.SendAsync(Post($"[{future},{old},{Event("now")}]"), Ct);
        var results = (await JsonAsync(response)).GetProperty("results");
        Assert.Contains("max_clock_skew", results[0].GetProperty("errors")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("$[0].occurred_at", results[0].GetProperty("errors")[0].GetProperty("path").GetString());
        Assert.Contains("max_event_age", results[1].GetProperty("errors")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("accepted", results[2].GetProperty("status").GetString());
    }

    [Fact]
    public async Task InvalidEvents_AreRejectedWithPaths_ValidOnesBesideThemAreAccepted()
    {
        var http = await StartAsync();
        var badReaction = Event("bad", payload: """{"response_id":"r1","reaction":"lovely"}""");
        using var response = await http.SendAsync(Post($"[{Event("good1")},{badReaction},42,{Event("good2")}]"), Ct);
        var json = await JsonAsync(response);
        Assert.Equal(2, json.GetProperty("accepted").GetInt32());
        Assert.Equal(2, json.GetProperty("rejected").GetInt32());
        var results = json.GetProperty("results");
        Assert.Equal("$[1].payload.reaction", results[1].GetProperty("errors")[0].GetProperty("path").GetString());
        Assert.Equal("$[2]", results[2].GetProperty("errors")[0].GetProperty("path").GetString());
        Assert.Equal(["good1", "good2"], _publisher.Published.Select(p => FeedbackJson.Deserialize(p.Value).EventId));
    }

    [Fact]
    public async Task NdjsonWithABrokenLine_RejectsThatLineOnly()
    {
        var http = await StartAsync();
        using var response = await http.SendAsync(Post($"{Event("a")}\n{{broken\n\n{Event("b")}\n", contentType: "application/x-ndjson"), Ct);
        var json = await JsonAsync(response);
        Assert.Equal(2, json.GetProperty("accepted").GetInt32());
        Assert.Equal("$[1]", json.GetProperty("results")[1].GetProperty("errors")[0].GetProperty("path").GetString());
    }

    [Fact]
    public async Task UnparseableJsonArray_Is400Problem()
    {
        var http = await StartAsync();
        using var response = await http.SendAsync(Post("[{not json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SameEventTwice_IsAcceptedOnce_ThenDuplicate()
    {
        var http = await StartAsync();
        using (var first = await http.SendAsync(Post($"[{Event("same")},{Event("same")}]"), Ct))
        {
            var results = (await JsonAsync(first)).GetProperty("results");
            Assert.Equal("accepted", results[0].GetProperty("status").GetString());
            Assert.Equal("duplicate", results[1].GetProperty("status").GetString());
        }

        using (var retry = await http.SendAsync(Post($"[{Event("same")}]"), Ct))
        {
            Assert.Equal("duplicate", (await JsonAsync(retry)).GetProperty("results")[0].GetProperty("status").GetString());
        }

        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task KafkaNotAcknowledging_Is503WithRetryAfter_AndIdsAreNotRememberedAsAccepted()
    {
        var http = await StartAsync(new() { ["Gateway:RetryAfter"] = "00:00:03" });
        _publisher.Fail = true;
        using (var response = await http.SendAsync(Post($"[{Event("x")}]"), Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        }

        _publisher.Fail = false;
        using var retry = await http.SendAsync(Post($"[{Event("x")}]"), Ct);
        Assert.Equal("accepted", (await JsonAsync(retry)).GetProperty("results")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task FreeText_IsRedactedBeforePublishing_AndReceivedAtIsStamped()
    {
        var http = await StartAsync();
        var served = Event("s", type: "response.served", payload: """{"response_id":"r1","turn_index":0,"prompt_text":"my mail is a@b.io","response_text":"call +1 415 555 0100","model_version":"m1"}""");
        using var response = await http.SendAsync(Post($"[{served}]"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var published = FeedbackJson.Deserialize(Assert.Single(_publisher.Published).Value);
        var payload = Assert.IsType<ResponseServed>(published.Payload);
        Assert.Equal("my mail is [email]", payload.PromptText);
        Assert.Equal("call [phone]", payload.ResponseText);
        Assert.NotNull(published.ReceivedAt);
        Assert.Equal("c1", Assert.Single(_publisher.Published).Key);
    }

    [Fact]
    public async Task RedactionThatCannotFinish_RejectsTheEvent_FailClosed()
    {
        var http = await StartAsync(new()
        {
            ["Gateway:Redaction:MatchTimeout"] = "00:00:00.001",
            ["Gateway:Redaction:CustomPatterns:slow"] = "(a+)+$",
        });
        var followup = Event("f", type: "followup.sent", payload: $$"""{"response_id":"r1","text":"{{new string('a', 5000)}}!"}""");
        using var response = await http.SendAsync(Post($"[{followup}]"), Ct);
        var result = (await JsonAsync(response)).GetProperty("results")[0];
        Assert.Equal("rejected", result.GetProperty("status").GetString());
        Assert.Contains("could not be redacted", result.GetProperty("errors")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public async Task Health_LiveAlways_ReadyFollowsKafka_AndOpenApiIsServed()
    {
        var http = await StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready", Ct)).StatusCode);
        _publisher.Fail = true;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready", Ct)).StatusCode);
        var openApi = await http.GetStringAsync("/openapi/v1.json", Ct);
        Assert.Contains("/v1/events", openApi, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyRing_RejectsKeysConfiguredInClear()
    {
        var options = new ApiKeyOptions { Name = "bad", Sha256 = "plain-text-key" };
        options.Apps.Add("a");
        Assert.Throws<ArgumentException>(() => new ApiKeyRing([options]));
    }
}
