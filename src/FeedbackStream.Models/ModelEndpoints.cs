using System.Text.Json.Serialization;
using ClickHouse.Driver;
using FeedbackStream.Auth;
using FeedbackStream.Training;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Models;

/// <summary>One item to score: the context (prompt) and the response, plus the optional features the model uses.</summary>
public sealed record ScoreItem(
    string? Context,
    string? Response,
    [property: JsonPropertyName("app_id")] string? AppId,
    string? Surface,
    [property: JsonPropertyName("model_version")] string? ModelVersion,
    [property: JsonPropertyName("turn_index")] int? TurnIndex,
    [property: JsonPropertyName("latency_ms")] double? LatencyMs,
    [property: JsonPropertyName("served_at")] DateTimeOffset? ServedAt);

public sealed record ScoreRequest(IReadOnlyList<ScoreItem>? Items);

public sealed record ScoreResponse([property: JsonPropertyName("model_version")] string ModelVersion, IReadOnlyList<ScoreResult> Scores);

public sealed record ScoreResult([property: JsonPropertyName("p_love")] double PLove);

public sealed record RetrainAccepted([property: JsonPropertyName("job_id")] Guid JobId, string Status);

/// <summary>The admin keys of <c>Models:AdminKeys</c>, hashed once; admin routes are closed while none is configured.</summary>
public sealed class AdminKeys
{
    private readonly ApiKeyRing? _ring;

    public AdminKeys(ModelsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ring = options.AdminKeys.Count == 0 ? null : new ApiKeyRing(options.AdminKeys.Select(key =>
        {
            var copy = new ApiKeyOptions { Name = key.Name, Sha256 = key.Sha256 };
            copy.Apps.Add("*");
            return copy;
        }));
    }

    /// <summary>Null when the request carries an admin key (its name in <paramref name="name"/>), else the refusal to answer with.</summary>
    public IResult? Refusal(HttpContext http, out string name)
    {
        ArgumentNullException.ThrowIfNull(http);
        name = "admin";
        if (_ring is null)
        {
            return Results.Problem(title: "No admin keys", detail: "Admin routes are closed until Models:AdminKeys lists at least one key (name and SHA-256).", statusCode: StatusCodes.Status403Forbidden);
        }

        if (_ring.Find(ApiKeyHeaders.Read(http.Request)) is not { } admin)
        {
            return Results.Problem(title: "Missing or unknown admin key", detail: "Send an admin key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.", statusCode: StatusCodes.Status401Unauthorized);
        }

        name = admin.Name;
        return null;
    }
}

/// <summary>Registration and routes of P[Love] scoring, the registry and the retraining job.</summary>
public static class ModelEndpoints
{
    /// <summary>
    /// Adds the model store, the scorer and its reloader (<paramref name="scoring"/>), and the retraining job service on
    /// MassTransit (<c>Messaging:Transport</c>: the in-memory bus of this process, or RabbitMQ shared by every process).
    /// The job service (submit, status, cancel, triggers) runs wherever there is a bus: with the in-memory transport only
    /// when this process trains (<c>Models:TrainingEnabled</c>), with RabbitMQ in every process. The trainer (the consumer
    /// of the one retrain queue) runs when <c>Models:TrainingEnabled</c> or <paramref name="trainer"/> says so.
    /// </summary>
    public static IServiceCollection AddFeedbackModels(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, ClickHouseClient> clickHouse, bool scoring, bool trainer = false)
    {
        var options = ModelsOptions.Read(configuration);
        var messaging = MessagingOptions.Read(configuration);
        services.AddSingleton(options);
        services.AddSingleton(messaging);
        services.AddSingleton<AdminKeys>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new ModelStore(clickHouse(sp), options.ModelName));
        services.AddSingleton(sp => new RetrainJobStore(clickHouse(sp), options.ModelName));
        services.AddSingleton<TrainingService>();
        services.AddSingleton<ModelServer>();
        if (scoring)
        {
            services.AddHostedService<ModelReloader>();
        }

        var trains = trainer || options.TrainingEnabled;
        var rabbit = messaging.Transport == MessagingTransport.RabbitMq;
        if (!trains && !rabbit)
        {
            return services;
        }

        services.AddSingleton<RetrainJobs>();
        services.AddSingleton<RetrainRunner>();
        // Each process hears cancellations and promotions on a queue of its own (deleted when it disconnects).
        var instance = NewId.NextGuid().ToString("N")[..12];
        services.AddMassTransit(x =>
        {
            if (trains)
            {
                x.AddConsumer<RetrainConsumer>().Endpoint(e =>
                {
                    e.Name = ControlPlane.RetrainQueue;
                    e.PrefetchCount = 1;
                    e.ConcurrentMessageLimit = 1;
                });
                x.AddConsumer<CancelRetrainConsumer>().Endpoint(e =>
                {
                    e.InstanceId = instance;
                    e.Temporary = true;
                });
            }

            if (scoring)
            {
                x.AddConsumer<ModelPromotedConsumer>().Endpoint(e =>
                {
                    e.InstanceId = instance;
                    e.Temporary = true;
                });
            }

            ControlPlane.UseTransport(x, messaging);
        });
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        services.AddHostedService<RetrainTriggers>();
        services.AddHostedService<RetrainLeaseSweeper>();
        return services;
    }

    /// <summary>Maps <c>POST /v1/score</c> (app API keys) and the admin routes under <c>/v1/admin</c> (admin keys).</summary>
    public static IEndpointRouteBuilder MapFeedbackModels(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/score", Score)
            .WithTags("scoring")
            .WithSummary("P[Love] of each (context, response) with the serving model's version.")
            .Produces<ScoreResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .Accepts<ScoreRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireRateLimiting(PerKeyRateLimiter.PolicyName);
        var admin = endpoints.MapGroup("/v1/admin").WithTags("admin");
        admin.MapPost("/retrain", RetrainAsync).WithSummary("Submit a retraining job.");
        admin.MapGet("/jobs", JobsAsync).WithSummary("Recent retraining jobs and their states.");
        admin.MapGet("/jobs/{id:guid}", JobAsync).WithSummary("One retraining job's state.");
        admin.MapDelete("/jobs/{id:guid}", CancelAsync).WithSummary("Cancel a retraining job.");
        admin.MapGet("/serving", (HttpContext http, AdminKeys admins, ModelServer server) => admins.Refusal(http, out _) ?? Results.Ok(server.Status))
            .WithSummary("The version this process serves, since when, and the last promotion it heard on the bus.");
        admin.MapGet("/models", async (HttpContext http, AdminKeys admins, ModelStore store, CancellationToken ct) =>
            admins.Refusal(http, out _) ?? Results.Ok(await store.ListAsync(ct))).WithSummary("Registered model versions.");
        return endpoints;
    }

    /// <summary>Largest <c>POST /v1/score</c> body when no host registered <see cref="KeyedRouteLimits"/> (the gateway registers its <c>Gateway:MaxBodyBytes</c>).</summary>
    public const long DefaultMaxScoreBodyBytes = KeyedRouteLimits.DefaultMaxBodyBytes;

    /// <summary>
    /// Scores a batch. The key is checked before a byte of the body is read, and the body is read only up to
    /// <c>Gateway:MaxBodyBytes</c>: an unauthenticated or oversized request costs no parsing.
    /// </summary>
    internal static async Task<IResult> Score(HttpContext http, ModelServer server, ModelsOptions options, IServiceProvider services, CancellationToken cancellationToken)
    {
        var keys = services.GetService<ApiKeyRing>();
        var caller = keys?.Find(ApiKeyHeaders.Read(http.Request));
        if (keys is null || caller is null)
        {
            return Problem(StatusCodes.Status401Unauthorized, "Missing or unknown API key", "Send an app API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");
        }

        var maxBytes = services.GetService<KeyedRouteLimits>()?.MaxBodyBytes ?? DefaultMaxScoreBodyBytes;
        if (http.Request.ContentLength > maxBytes)
        {
            return TooLarge(maxBytes);
        }

        if (!http.Request.HasJsonContentType())
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the items as JSON with Content-Type: application/json.");
        }

        ScoreRequest? request;
        try
        {
            var body = await ReadCappedAsync(http.Request.Body, maxBytes, cancellationToken);
            if (body is null)
            {
                return TooLarge(maxBytes);
            }

            var json = services.GetService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>()?.Value.SerializerOptions ?? System.Text.Json.JsonSerializerOptions.Web;
            request = System.Text.Json.JsonSerializer.Deserialize<ScoreRequest>(body.AsSpan(), json);
        }
        catch (System.Text.Json.JsonException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "Body is not a score request", $"Send {{\"items\": [{{\"context\": ..., \"response\": ...}}, ...]}}. {e.Message}");
        }
        catch (Exception e) when (RequestRefusal.UnreadableBody(e, http) is { } refusal)
        {
            return Problem(refusal.StatusCode, refusal.Title, refusal.Detail);
        }

        if (request?.Items is not { Count: > 0 } items)
        {
            return Problem(StatusCodes.Status400BadRequest, "Nothing to score", "Send {\"items\": [{\"context\": ..., \"response\": ...}, ...]} with at least one item.");
        }

        if (items.Count > options.MaximumScoreBatch)
        {
            return Problem(StatusCodes.Status400BadRequest, "Batch too large", $"items has {items.Count} entries; at most {options.MaximumScoreBatch} (Models:MaximumScoreBatch) per request.");
        }

        var examples = new List<LoveExample>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item is null || string.IsNullOrEmpty(item.Response))
            {
                return Problem(StatusCodes.Status400BadRequest, "Invalid item", $"$.items[{i}].response: required, a non-empty string.");
            }

            if (item.AppId is { } app && !caller.MaySendFor(app))
            {
                return Problem(StatusCodes.Status403Forbidden, "App not allowed", $"$.items[{i}].app_id: the key '{caller.Name}' may not act for app '{app}'.");
            }

            if (item.TurnIndex is < 0 || item.LatencyMs is < 0 || (item.LatencyMs is { } l && !double.IsFinite(l)))
            {
                return Problem(StatusCodes.Status400BadRequest, "Invalid item", $"$.items[{i}]: turn_index and latency_ms must be non-negative.");
            }

            examples.Add(new LoveExample(
                string.Empty, item.AppId ?? string.Empty, string.Empty, item.ModelVersion ?? string.Empty, item.Surface ?? string.Empty,
                item.Context ?? string.Empty, item.Response, item.TurnIndex ?? 0, item.LatencyMs ?? 0, item.ServedAt ?? DateTimeOffset.UtcNow, false));
        }

        var scored = server.Score(examples);
        if (scored is not { } result)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "No model yet", "No P[Love] model has been promoted yet; train one (feedbackstream train) or wait for the scheduled run.");
        }

        return Results.Ok(new ScoreResponse(result.Version, result.Scores.Select(s => new ScoreResult(Math.Round(s, 6))).ToList()));
    }

    private static async Task<IResult> RetrainAsync(HttpContext http, AdminKeys admins, IServiceProvider services, CancellationToken ct)
    {
        if (admins.Refusal(http, out var admin) is { } refusal)
        {
            return refusal;
        }

        if (services.GetService<RetrainJobs>() is not { } jobs)
        {
            return Problem(StatusCodes.Status409Conflict, "Training is off here", "This process has no retraining job service: Models:TrainingEnabled=false on the in-memory bus (set Messaging:Transport=RabbitMq to reach trainers elsewhere).");
        }

        try
        {
            var id = await jobs.SubmitAsync("admin", admin, ct);
            return Results.Accepted($"/v1/admin/jobs/{id}", new RetrainAccepted(id, "submitted"));
        }
        catch (ControlPlaneUnavailableException e)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "Trainers unreachable", e.Message);
        }
    }

    private static async Task<IResult> JobsAsync(HttpContext http, AdminKeys admins, IServiceProvider services, CancellationToken ct) =>
        admins.Refusal(http, out _) ?? (services.GetService<RetrainJobs>() is { } jobs ? Results.Ok(await jobs.RecentAsync(ct)) : Results.Ok(Array.Empty<RetrainJobStatus>()));

    private static async Task<IResult> JobAsync(Guid id, HttpContext http, AdminKeys admins, IServiceProvider services, CancellationToken ct)
    {
        if (admins.Refusal(http, out _) is { } refusal)
        {
            return refusal;
        }

        var status = services.GetService<RetrainJobs>() is { } jobs ? await jobs.StatusAsync(id, ct) : null;
        return status is null ? Problem(StatusCodes.Status404NotFound, "Unknown job", $"No retraining job {id} is known.") : Results.Ok(status);
    }

    private static async Task<IResult> CancelAsync(Guid id, HttpContext http, AdminKeys admins, IServiceProvider services, CancellationToken ct)
    {
        if (admins.Refusal(http, out var admin) is { } refusal)
        {
            return refusal;
        }

        if (services.GetService<RetrainJobs>() is not { } jobs || await jobs.CancelAsync(id, $"canceled by {admin}", ct) is not { } status)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown job", $"No retraining job {id} is known.");
        }

        return Results.Accepted($"/v1/admin/jobs/{id}", new RetrainAccepted(id, status.State == RetrainJobState.Canceled ? "canceled" : RetrainJobState.IsTerminal(status.State) ? status.State : "cancel requested"));
    }

    private static IResult Problem(int status, string title, string detail) => Results.Problem(title: title, detail: detail, statusCode: status);

    private static IResult TooLarge(long maxBytes) => RequestRefusal.BodyTooLarge(maxBytes).ToProblem();

    /// <summary>The whole body, or null as soon as it grows past <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadCappedAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
