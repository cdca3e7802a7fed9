using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FeedbackStream.Gateway;

/// <summary>
/// Liveness and readiness as every role answers them: <c>/health/live</c> runs no check (the process serves), and
/// <c>/health/ready</c> runs the checks tagged <see cref="Ready"/> (Kafka, ClickHouse and the role's own) and answers
/// 503 when any is unhealthy, with each check's status and reason as JSON.
/// </summary>
public static class HealthResponses
{
    /// <summary>Tag of the checks readiness runs.</summary>
    public const string Ready = "ready";

    public static HealthCheckOptions Liveness { get; } = new() { Predicate = _ => false, ResponseWriter = WriteAsync };

    public static HealthCheckOptions Readiness { get; } = new() { Predicate = r => r.Tags.Contains(Ready), ResponseWriter = WriteAsync };

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object?>
        {
            ["status"] = Name(report.Status),
            ["checks"] = report.Entries.ToDictionary(
                e => e.Key,
                e => new Dictionary<string, object?> { ["status"] = Name(e.Value.Status), ["detail"] = e.Value.Description ?? e.Value.Exception?.Message, ["ms"] = Math.Round(e.Value.Duration.TotalMilliseconds, 1) }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}

/// <summary>Readiness of the gateway's Kafka: the brokers answer a metadata request for the topic within 2 s.</summary>
public sealed class KafkaPublisherHealthCheck(IEventPublisher publisher) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.Run(() => publisher.IsReachable(TimeSpan.FromSeconds(2))
            ? HealthCheckResult.Healthy("kafka reachable")
            : HealthCheckResult.Unhealthy("kafka unreachable: no metadata for the topic within 2 s"), cancellationToken);
}
