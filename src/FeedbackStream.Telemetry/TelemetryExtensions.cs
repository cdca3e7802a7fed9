using FeedbackStream.Contracts.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FeedbackStream.Telemetry;

/// <summary>Registers OpenTelemetry for a FeedbackStream process and maps its Prometheus endpoint.</summary>
public static class TelemetryExtensions
{
    /// <summary>
    /// Metrics from every FeedbackStream meter (<see cref="TelemetryNames.Meters"/>), ASP.NET Core's <c>http.server.*</c>
    /// and the .NET runtime; spans from every FeedbackStream activity source and ASP.NET Core when an OTLP endpoint is
    /// set. <paramref name="role"/> becomes the resource attribute <c>feedbackstream.role</c>. Throws
    /// <see cref="OptionsValidationException"/> naming the key of a bad setting.
    /// </summary>
    public static IServiceCollection AddFeedbackTelemetry(this IServiceCollection services, IConfiguration configuration, string role)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        var options = TelemetryOptions.Read(configuration);
        services.AddSingleton(Options.Create(options));
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(options.ServiceName)
                .AddAttributes([new KeyValuePair<string, object>("feedbackstream.role", role)]))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter([.. TelemetryNames.Meters]);
                metrics.AddAspNetCoreInstrumentation();
                metrics.AddRuntimeInstrumentation();
                if (options.PrometheusEnabled)
                {
                    metrics.AddPrometheusExporter();
                }

                if (options.OtlpEndpoint is { } endpoint)
                {
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Endpoint = endpoint;
                        exporter.Protocol = options.OtlpProtocol;
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpExportInterval.TotalMilliseconds;
                    });
                }
            });

        if (options.OtlpEndpoint is { } traceEndpoint)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource([.. TelemetryNames.ActivitySources])
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !context.Request.Path.StartsWithSegments(TelemetryOptions.PrometheusPath, StringComparison.Ordinal))
                .AddOtlpExporter(exporter =>
                {
                    exporter.Endpoint = traceEndpoint;
                    exporter.Protocol = options.OtlpProtocol;
                }));
        }

        return services;
    }

    /// <summary>Maps <c>/metrics</c> (Prometheus text) when <c>Telemetry:Prometheus:Enabled</c> is true; otherwise maps nothing (404).</summary>
    public static IEndpointRouteBuilder MapFeedbackTelemetry(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ServiceProvider.GetService<IOptions<TelemetryOptions>>()?.Value is { PrometheusEnabled: true })
        {
            app.MapPrometheusScrapingEndpoint(TelemetryOptions.PrometheusPath);
        }

        return app;
    }
}
