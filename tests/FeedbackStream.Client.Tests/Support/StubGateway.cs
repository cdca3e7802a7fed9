using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using FeedbackStream.Contracts;

namespace FeedbackStream.Client.Tests.Support;

/// <summary>One request the stub received.</summary>
internal sealed record ReceivedRequest(
    HttpMethod Method,
    Uri? Uri,
    string? Authorization,
    string? ContentType,
    byte[] Body,
    IReadOnlyList<string> Lines)
{
    /// <summary>event_id of each NDJSON line, in order.</summary>
    public IReadOnlyList<string> EventIds { get; } =
        [.. Lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("event_id").GetString()!)];

    public int Count => Lines.Count;
}

/// <summary>
/// An <see cref="HttpMessageHandler"/> standing in for the gateway: records each request and answers from a script
/// (in order), then with <see cref="Fallback"/> (every event accepted unless changed).
/// </summary>
internal sealed class StubGateway : HttpMessageHandler
{
    private readonly Lock _lock = new();
    private readonly Queue<Func<ReceivedRequest, CancellationToken, Task<HttpResponseMessage>>> _script = new();
    private readonly List<ReceivedRequest> _requests = [];
    private readonly Channel<ReceivedRequest> _arrivals = Channel.CreateUnbounded<ReceivedRequest>();

    public Func<ReceivedRequest, CancellationToken, Task<HttpResponseMessage>> Fallback { get; set; } =
        (request, _) => Task.FromResult(Answers.AcceptAll(request));

    public IReadOnlyList<ReceivedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Every event the stub received, in order, retries included.</summary>
    public IReadOnlyList<string> AllEventIds => [.. Requests.SelectMany(r => r.EventIds)];

    public StubGateway Then(Func<ReceivedRequest, HttpResponseMessage> respond) =>
        ThenAsync((request, _) => Task.FromResult(respond(request)));

    public StubGateway ThenAsync(Func<ReceivedRequest, CancellationToken, Task<HttpResponseMessage>> respond)
    {
        lock (_lock)
        {
            _script.Enqueue(respond);
        }

        return this;
    }

    public StubGateway ThenThrow(Exception exception) => ThenAsync((_, _) => Task.FromException<HttpResponseMessage>(exception));

    /// <summary>Answers only once <paramref name="release"/> completes (or the client cancels the request).</summary>
    public StubGateway ThenWaitFor(Task release, Func<ReceivedRequest, HttpResponseMessage>? respond = null) =>
        ThenAsync(async (request, cancellationToken) =>
        {
            await release.WaitAsync(cancellationToken);
            return (respond ?? Answers.AcceptAll)(request);
        });

    /// <summary>The next request not yet taken by this method, within the deadline.</summary>
    public async Task<ReceivedRequest> NextRequestAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(Until.Deadline);
        try
        {
            return await _arrivals.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"No request arrived within {Until.Deadline}; {Requests.Count} arrived before.");
            throw;
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var lines = Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var received = new ReceivedRequest(
            request.Method, request.RequestUri, request.Headers.Authorization?.ToString(), request.Content?.Headers.ContentType?.MediaType, body, lines);
        Func<ReceivedRequest, CancellationToken, Task<HttpResponseMessage>> respond;
        lock (_lock)
        {
            _requests.Add(received);
            respond = _script.Count > 0 ? _script.Dequeue() : Fallback;
        }

        _arrivals.Writer.TryWrite(received);
        return await respond(received, cancellationToken);
    }
}

/// <summary>Gateway answers, as <c>POST /v1/events</c> writes them.</summary>
internal static class Answers
{
    public static HttpResponseMessage AcceptAll(ReceivedRequest request) => Results(request, _ => "accepted");

    /// <summary>A 200 with one result per event; <paramref name="status"/> maps the event's index to its status.</summary>
    public static HttpResponseMessage Results(ReceivedRequest request, Func<int, string> status, Func<int, JsonArray?>? errors = null)
    {
        var results = new JsonArray();
        var counts = new Dictionary<string, int> { ["accepted"] = 0, ["duplicate"] = 0, ["rejected"] = 0 };
        for (var i = 0; i < request.Count; i++)
        {
            var s = status(i);
            counts[s]++;
            var result = new JsonObject { ["index"] = i, ["event_id"] = request.EventIds[i], ["status"] = s };
            if (errors?.Invoke(i) is { } list)
            {
                result["errors"] = list;
            }

            results.Add(result);
        }

        var body = new JsonObject
        {
            ["accepted"] = counts["accepted"],
            ["duplicates"] = counts["duplicate"],
            ["rejected"] = counts["rejected"],
            ["results"] = results,
        };
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
    }

    /// <summary>A problem-details answer, with the gateway's limit extensions and Retry-After when given.</summary>
    public static HttpResponseMessage Problem(int status, string title, string? limit = null, string? limitValue = null, TimeSpan? retryAfter = null)
    {
        var body = new JsonObject { ["type"] = "about:blank", ["title"] = title, ["status"] = status, ["detail"] = $"{title} (stub)" };
        if (limit is not null)
        {
            body["limit"] = limit;
            body["limit_value"] = limitValue;
        }

        var response = new HttpResponseMessage((HttpStatusCode)status)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/problem+json"),
        };
        if (retryAfter is { } after)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(after);
        }

        return response;
    }
}

/// <summary>A client wired to a <see cref="StubGateway"/> and a <see cref="ManualTimeProvider"/>, recording rejections.</summary>
internal sealed class ClientHarness : IAsyncDisposable
{
    private readonly List<FeedbackRejection> _rejections = [];
    private readonly HttpClient _http;

    private ClientHarness(Action<FeedbackStreamClientOptions>? configure, double jitter)
    {
        Options = new FeedbackStreamClientOptions
        {
            Endpoint = new Uri("http://gateway.test/"),
            ApiKey = "test-key",
            AppId = "chat-web",
            FlushInterval = TimeSpan.FromHours(1),
            RequestTimeout = TimeSpan.FromHours(1),
            InitialBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromMilliseconds(1600),
            DisposeTimeout = TimeSpan.FromSeconds(10),
            OnRejected = r =>
            {
                lock (_rejections)
                {
                    _rejections.Add(r);
                }
            },
        };
        configure?.Invoke(Options);
        _http = new HttpClient(Gateway);
        Client = new FeedbackStreamClient(Options, _http, Time, new FixedRandom(jitter));
    }

    public ManualTimeProvider Time { get; } = new();

    public StubGateway Gateway { get; } = new();

    public FeedbackStreamClientOptions Options { get; }

    public FeedbackStreamClient Client { get; }

    public IReadOnlyList<FeedbackRejection> Rejections
    {
        get
        {
            lock (_rejections)
            {
                return [.. _rejections];
            }
        }
    }

    /// <summary>A harness; <paramref name="jitter"/> is every random draw (0.5: each retry waits half its backoff ceiling).</summary>
    public static ClientHarness Create(Action<FeedbackStreamClientOptions>? configure = null, double jitter = 0.5) => new(configure, jitter);

    /// <summary>Enqueues <paramref name="count"/> reactions and returns their ids.</summary>
    public List<string> EnqueueReactions(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Client.ReactionSet($"user-{i}", "conv-1", $"resp-{i}", Reaction.Like))];

    /// <summary>Flushes with the deadline.</summary>
    public Task FlushAsync() => Until.CompletesAsync(Client.FlushAsync(TestContext.Current.CancellationToken), "FlushAsync completes");

    /// <summary>Checks the statistics add up once delivery settled.</summary>
    public void AssertCountersAddUp()
    {
        var s = Client.Statistics;
        Assert.Equal(s.Enqueued, s.Accepted + s.Duplicates + s.Rejected + s.Failed + s.Dropped + s.Buffered);
    }

    /// <summary>
    /// Disposes the client, moving the clock on only if it still waits after a second of real time (a test that left
    /// a retry pending): moving it sooner would expire the dispose timeout while a delivery is merely slow under load.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var disposing = Client.DisposeAsync().AsTask();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var lastAdvance = started;
        while (await Task.WhenAny(disposing, Task.Delay(5, TestContext.Current.CancellationToken)) != disposing)
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > Until.Deadline)
            {
                Assert.Fail("DisposeAsync did not complete.");
            }

            if (System.Diagnostics.Stopwatch.GetElapsedTime(lastAdvance) > TimeSpan.FromSeconds(1))
            {
                Time.Advance(Options.DisposeTimeout);
                lastAdvance = System.Diagnostics.Stopwatch.GetTimestamp();
            }
        }

        await disposing;
        _http.Dispose();
        Gateway.Dispose();
    }
}
