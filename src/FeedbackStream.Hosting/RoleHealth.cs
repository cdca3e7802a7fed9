using ClickHouse.Driver;
using Confluent.Kafka;
using FeedbackStream.Kafka;
using FeedbackStream.Gateway;
using FeedbackStream.Pipeline;
using FeedbackStream.Pipeline.Labeling;
using FeedbackStream.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Hosting;

/// <summary>
/// The readiness checks of a process, by role: ClickHouse for every role (<c>SELECT 1</c> within 2 s), Kafka for the
/// roles that use it (the gateway's producer, or a metadata request for the pipeline and the labeller), the pipeline's
/// sink and the labeller's last pass. <c>/health/live</c> and <c>/health/ready</c> are answered by every role
/// (<see cref="HealthResponses"/>); the gateway maps them itself.
/// </summary>
internal static class RoleHealth
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public static IServiceCollection AddRoleHealth(this IServiceCollection services, HostRoles roles, ClickHouseClient clickHouse)
    {
        var checks = services.AddHealthChecks();
        checks.AddCheck("clickhouse", new ClickHouseHealthCheck(clickHouse), tags: [HealthResponses.Ready]);
        if (!roles.HasFlag(HostRoles.Gateway) && (roles.HasFlag(HostRoles.Pipeline) || roles.HasFlag(HostRoles.Labeler)))
        {
            services.AddSingleton<KafkaMetadataHealthCheck>();
            checks.AddCheck<KafkaMetadataHealthCheck>("kafka", tags: [HealthResponses.Ready]);
        }

        if (roles.HasFlag(HostRoles.Pipeline))
        {
            checks.Add(new HealthCheckRegistration(
                "pipeline",
                sp => new StatusHealthCheck(() => sp.GetRequiredService<PipelineStatus>().LastSinkError, "writing to ClickHouse"),
                null,
                [HealthResponses.Ready]));
        }

        if (roles.HasFlag(HostRoles.Labeler))
        {
            checks.Add(new HealthCheckRegistration(
                "labeler",
                sp => new StatusHealthCheck(() => sp.GetRequiredService<LabelingStatus>().LastError, "labelling"),
                null,
                [HealthResponses.Ready]));
        }

        return services;
    }

    /// <summary>Maps liveness and readiness for a process without the gateway (which maps its own).</summary>
    public static WebApplication MapRoleHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", HealthResponses.Liveness);
        app.MapHealthChecks("/health/ready", HealthResponses.Readiness);
        return app;
    }

    private sealed class ClickHouseHealthCheck(ClickHouseClient client) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                await ClickHouseProbe.PingAsync(client, timeout.Token);
                return HealthCheckResult.Healthy("clickhouse answers");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return HealthCheckResult.Unhealthy(e is OperationCanceledException ? $"clickhouse: no answer to SELECT 1 within {Timeout.TotalSeconds:F0} s" : $"clickhouse: {e.Message}");
            }
        }
    }

    /// <summary>The brokers answer a metadata request for the events topic (one admin client per process, made on first use).</summary>
    private sealed class KafkaMetadataHealthCheck(IOptions<KafkaOptions> options) : IHealthCheck, IDisposable
    {
        private readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(options.Value.CreateAdminClientConfig()).SetLogHandler((_, _) => { }).Build());

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.Run(
            () =>
            {
                var topic = options.Value.Topic;
                try
                {
                    var metadata = _admin.Value.GetMetadata(topic, Timeout);
                    return metadata.Brokers.Count > 0 && metadata.Topics.Any(t => t.Topic == topic && !t.Error.IsError)
                        ? HealthCheckResult.Healthy("kafka reachable")
                        : HealthCheckResult.Unhealthy($"kafka: no metadata for topic {topic}");
                }
                catch (KafkaException e)
                {
                    return HealthCheckResult.Unhealthy($"kafka unreachable: {e.Error.Reason}");
                }
            },
            cancellationToken);

        public void Dispose()
        {
            if (_admin.IsValueCreated)
            {
                _admin.Value.Dispose();
            }
        }
    }

    /// <summary>A worker's last error (null when its last attempt succeeded).</summary>
    private sealed class StatusHealthCheck(Func<string?> lastError, string what) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(lastError() is { } error ? HealthCheckResult.Unhealthy($"{what} failed: {error}") : HealthCheckResult.Healthy($"{what} ok"));
    }
}
