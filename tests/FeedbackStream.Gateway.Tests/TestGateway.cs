using FeedbackStream.Auth;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Gateway.Tests;

/// <summary>A gateway on the in-memory test server (or on Kestrel at a loopback port) with Kafka replaced by <see cref="RecordingPublisher"/>.</summary>
internal sealed class TestGateway : IAsyncDisposable
{
    public const string Key = "test-key-chat";

    private TestGateway(WebApplication app, RecordingPublisher publisher)
    {
        App = app;
        Publisher = publisher;
    }

    public WebApplication App { get; }

    public RecordingPublisher Publisher { get; }

    public static async Task<TestGateway> StartAsync(Dictionary<string, string?>? settings = null, bool kestrel = false, ILoggerProvider? logs = null, Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>? kestrelOptions = null, CancellationToken cancellationToken = default)
    {
        var config = new Dictionary<string, string?>
        {
            ["Gateway:ApiKeys:0:Name"] = "chat",
            ["Gateway:ApiKeys:0:Sha256"] = ApiKeyRing.Hash(Key),
            ["Gateway:ApiKeys:0:Apps:0"] = "chat-web",
        };
        foreach (var (k, v) in settings ?? [])
        {
            config[k] = v;
        }

        var builder = WebApplication.CreateSlimBuilder();
        if (kestrel)
        {
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(System.Net.IPAddress.Loopback, 0);
                kestrelOptions?.Invoke(k);
            });
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddFeedbackGateway(builder.Configuration);
        var publisher = new RecordingPublisher();
        builder.Services.AddSingleton<IEventPublisher>(publisher);
        var app = builder.Build();
        app.UseFeedbackGateway();
        app.MapFeedbackGateway();
        await app.StartAsync(cancellationToken);
        return new TestGateway(app, publisher);
    }

    public HttpClient Client() => App.GetTestClient();

    public Uri Address => new(App.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());

    public ValueTask DisposeAsync() => App.DisposeAsync();

    public static string Event(string id, string app = "chat-web", string? payload = null, string type = "reaction.set", string extra = "") =>
        $$"""{"event_id":"{{id}}","type":"{{type}}","schema_version":1,"app_id":"{{app}}","occurred_at":"{{DateTimeOffset.UtcNow:O}}","user_id":"u1","conversation_id":"c1"{{extra}},"payload":{{payload ?? """{"response_id":"r1","reaction":"love"}"""}}}""";

    public static HttpRequestMessage Post(byte[] body, string contentType = "application/json", string? key = Key, string path = "/v1/events")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    public static HttpRequestMessage Post(string body, string contentType = "application/json", string? key = Key, string path = "/v1/events") =>
        Post(Encoding.UTF8.GetBytes(body), contentType, key, path);

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
}
