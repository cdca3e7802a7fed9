using FeedbackStream.Auth;
using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Gateway;

/// <summary>Registration and routes of the ingest gateway.</summary>
public static partial class GatewayEndpoints
{
    public const string ApiKeyHeader = ApiKeyHeaders.ApiKeyHeader;

    /// <summary>The rate-limiting policy of the keyed routes (<c>/v1/events</c>, <c>/v1/score</c>): one token bucket per API key.</summary>
    public const string PerKeyRateLimit = PerKeyRateLimiter.PolicyName;

    /// <summary>
    /// Adds the gateway's services, bound from the <c>Gateway</c> section. The host registers
    /// <see cref="KafkaOptions"/> once (<c>AddKafkaOptions</c>) for every component.
    /// </summary>
    public static IServiceCollection AddFeedbackGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new ApiKeyRing(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.ApiKeys));
        services.AddSingleton<IEventPublisher, KafkaEventPublisher>();
        services.AddSingleton<IngestService>();
        services.AddHostedService<MemoryTrimmer>();
        services.AddProblemDetails();
        services.AddHealthChecks().AddCheck<KafkaPublisherHealthCheck>("kafka", tags: [HealthResponses.Ready]);
        services.AddPerKeyRateLimiter(sp =>
        {
            var limits = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return new KeyedRouteLimits(limits.RateLimitRequestsPerSecond, limits.RateLimitBurstRequests, limits.MaxBodyBytes);
        });
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });
        services.AddOpenApi();
        return services;
    }

    /// <summary>
    /// The gateway's middleware, before its routes are mapped: empty error answers (404, 405, 415 ...) get a
    /// problem-details body.
    /// </summary>
    public static IApplicationBuilder UseFeedbackGateway(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseStatusCodePages();
        app.Use(RefuseAmbiguousFraming);
        app.UseRateLimiter();
        return app;
    }

    /// <summary>
    /// A request that carries both <c>Transfer-Encoding</c> and <c>Content-Length</c> is ambiguous (the shape of
    /// request smuggling, RFC 9112 section 6.3): refused with 400 instead of trusting either header. Kestrel decodes
    /// such a request as chunked and moves the Content-Length value to <c>X-Content-Length</c>, so both names count.
    /// </summary>
    private static Task RefuseAmbiguousFraming(HttpContext context, RequestDelegate next)
    {
        var headers = context.Request.Headers;
        if (headers.TransferEncoding.Count == 0 || (headers.ContentLength is null && !headers.ContainsKey("X-Content-Length")))
        {
            return next(context);
        }

        context.Response.Headers.Connection = "close";
        return Problem(new RequestRefusal(
            StatusCodes.Status400BadRequest,
            "Ambiguous request framing",
            "The request has both Transfer-Encoding and Content-Length; send exactly one of them.")).ExecuteAsync(context);
    }

    /// <summary>Maps <c>POST /v1/events</c>, health endpoints and the OpenAPI document.</summary>
    public static IEndpointRouteBuilder MapFeedbackGateway(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOpenApi("/openapi/{documentName}.json");
        var v1 = endpoints.MapGroup("/v1").WithTags("events");
        v1.MapPost("/events", PostEventsAsync)
            .WithName("PostEvents")
            .WithSummary("Ingest a batch of feedback events (JSON array or NDJSON).")
            .WithDescription("Answers after Kafka acknowledged every accepted event. Each event gets its own result: accepted, duplicate, or rejected with the JSON path of the offending field and a reason.")
            .Accepts<JsonElement[]>("application/json", "application/x-ndjson")
            .Produces<IngestResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireRateLimiting(PerKeyRateLimit);
        endpoints.MapHealthChecks("/health/live", HealthResponses.Liveness).WithTags("health");
        endpoints.MapHealthChecks("/health/ready", HealthResponses.Readiness).WithTags("health");
        return endpoints;
    }

    internal static async Task<IResult> PostEventsAsync(HttpContext context, ApiKeyRing keys, IngestService ingest, IOptions<GatewayOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var caller = keys.Find(ApiKeyHeaders.Read(context.Request));
        if (caller is null)
        {
            return Problem(new RequestRefusal(
                StatusCodes.Status401Unauthorized,
                "Missing or unknown API key",
                $"Send the app's API key as 'Authorization: Bearer <key>' or '{ApiKeyHeader}: <key>'."));
        }

        if (context.Request.ContentLength > limits.MaxBodyBytes)
        {
            return Problem(BodyTooLarge(limits));
        }

        IMemoryOwner<byte>? body;
        try
        {
            body = await ReadBodyAsync(context.Request, limits.MaxBodyBytes, cancellationToken);
        }
        catch (Exception e) when (RequestRefusal.UnreadableBody(e, context) is { } refusal)
        {
            // The client's fault (too slow, malformed chunking): one line, no stack trace; the client gets the status.
            LogBodyNotRead(loggers.CreateLogger(typeof(GatewayEndpoints).FullName!), refusal.StatusCode, e.Message);
            return Problem(refusal);
        }

        if (body is null)
        {
            return Problem(BodyTooLarge(limits));
        }

        using var owner = body;
        var ndjson = IsNdjson(context.Request.ContentType);
        List<ParsedEvent> batch;
        var documents = new List<JsonDocument>();
        try
        {
            var parsed = ndjson ? ParseNdjson(owner.Memory, documents, limits.MaxEventsPerBatch) : ParseArray(owner.Memory, documents, limits.MaxEventsPerBatch);
            if (parsed.Refusal is not null)
            {
                return Problem(parsed.Refusal);
            }

            batch = parsed.Events!;
            var (response, refusal) = await ingest.IngestAsync(caller, batch, cancellationToken);
            return refusal is not null ? Problem(refusal) : TypedResults.Ok(response);
        }
        catch (PublishFailedException e)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(limits.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Problem(new RequestRefusal(
                StatusCodes.Status503ServiceUnavailable,
                "Events not acknowledged by Kafka",
                $"{e.Message} No event of this request may be considered accepted; retry the same events (same event_id) after the Retry-After delay."));
        }
        finally
        {
            foreach (var document in documents)
            {
                document.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "Request body not read, answered {Status}: {Reason}")]
    private static partial void LogBodyNotRead(ILogger logger, int status, string reason);

    private static RequestRefusal BodyTooLarge(GatewayOptions limits) => RequestRefusal.BodyTooLarge(limits.MaxBodyBytes);

    private static RequestRefusal TooManyEvents(int count, GatewayOptions limits) => new(
        StatusCodes.Status413PayloadTooLarge,
        "Too many events in one request",
        $"The request holds {count} events; max_events_per_batch = {limits.MaxEventsPerBatch}.",
        "max_events_per_batch",
        limits.MaxEventsPerBatch.ToString(CultureInfo.InvariantCulture));

    private static bool IsNdjson(string? contentType) =>
        contentType is not null &&
        (contentType.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) ||
         contentType.StartsWith("application/ndjson", StringComparison.OrdinalIgnoreCase) ||
         contentType.StartsWith("application/jsonl", StringComparison.OrdinalIgnoreCase) ||
         contentType.StartsWith("application/x-jsonlines", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the body into pooled memory; null when it is larger than <paramref name="maxBytes"/>.</summary>
    private static async Task<IMemoryOwner<byte>?> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new PooledBuffer((int)Math.Min(maxBytes + 1, Math.Max(request.ContentLength ?? 64 * 1024, 4096)));
        try
        {
            while (true)
            {
                var span = buffer.GetFreeMemory();
                var read = await request.Body.ReadAsync(span, cancellationToken);
                if (read == 0)
                {
                    return buffer;
                }

                buffer.Advance(read);
                if (buffer.Length > maxBytes)
                {
                    buffer.Dispose();
                    return null;
                }
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static (List<ParsedEvent>? Events, RequestRefusal? Refusal) ParseArray(ReadOnlyMemory<byte> body, List<JsonDocument> documents, int maxEvents)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            return (null, new RequestRefusal(StatusCodes.Status400BadRequest, "Body is not valid JSON", $"Send a JSON array of events, or NDJSON with Content-Type application/x-ndjson. {e.Message}"));
        }

        documents.Add(document);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object)
        {
            return ([new ParsedEvent(root, null)], null);
        }

        if (root.ValueKind != JsonValueKind.Array)
        {
            return (null, new RequestRefusal(StatusCodes.Status400BadRequest, "Body is not a batch", "The body must be a JSON array of event objects (or one event object, or NDJSON)."));
        }

        var count = root.GetArrayLength();
        if (count > maxEvents)
        {
            return (null, TooManyEvents(count, new GatewayOptions { MaxEventsPerBatch = maxEvents }));
        }

        return (root.EnumerateArray().Select(e => new ParsedEvent(e, e.ValueKind == JsonValueKind.Object ? null : "must be an event object")).ToList(), null);
    }

    private static (List<ParsedEvent>? Events, RequestRefusal? Refusal) ParseNdjson(ReadOnlyMemory<byte> body, List<JsonDocument> documents, int maxEvents)
    {
        var events = new List<ParsedEvent>();
        var rest = body;
        while (!rest.IsEmpty)
        {
            var newline = rest.Span.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? ReadOnlyMemory<byte>.Empty : rest[(newline + 1)..];
            if (line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            if (events.Count == maxEvents)
            {
                return (null, TooManyEvents(events.Count + 1 + CountLines(rest), new GatewayOptions { MaxEventsPerBatch = maxEvents }));
            }

            try
            {
                var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 16 });
                documents.Add(document);
                events.Add(new ParsedEvent(document.RootElement, document.RootElement.ValueKind == JsonValueKind.Object ? null : "must be an event object"));
            }
            catch (JsonException e)
            {
                events.Add(new ParsedEvent(default, $"line is not valid JSON: {e.Message}"));
            }
        }

        return (events, null);
    }

    private static int CountLines(ReadOnlyMemory<byte> rest)
    {
        var count = 0;
        foreach (var range in rest.Span.Split((byte)'\n'))
        {
            if (!rest.Span[range].Trim(" \t\r"u8).IsEmpty)
            {
                count++;
            }
        }

        return count;
    }

    private static ProblemHttpResult Problem(RequestRefusal refusal) => refusal.ToProblem();

    /// <summary>
    /// Request bodies' buffers: a pool of its own, bounded (arrays up to 1 MiB, 16 per size), instead of the shared pool,
    /// whose per-thread caches keep the largest bodies of a burst for as long as the process lives. Larger bodies get
    /// plain arrays that the collector takes back.
    /// </summary>
    private static readonly ArrayPool<byte> BodyPool = ArrayPool<byte>.Create(1024 * 1024, 16);

    /// <summary>A growable buffer from <see cref="BodyPool"/>.</summary>
    private sealed class PooledBuffer(int initialCapacity) : IMemoryOwner<byte>
    {
        private byte[] _array = BodyPool.Rent(initialCapacity);

        public int Length { get; private set; }

        public Memory<byte> Memory => _array.AsMemory(0, Length);

        public Memory<byte> GetFreeMemory()
        {
            if (Length == _array.Length)
            {
                var bigger = BodyPool.Rent(_array.Length * 2);
                _array.AsSpan(0, Length).CopyTo(bigger);
                BodyPool.Return(_array);
                _array = bigger;
            }

            return _array.AsMemory(Length);
        }

        public void Advance(int count) => Length += count;

        public void Dispose()
        {
            var array = Interlocked.Exchange(ref _array, []);
            if (array.Length > 0)
            {
                BodyPool.Return(array);
            }
        }
    }
}
