using System.Diagnostics;
using FeedbackStream.Contracts.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using static FeedbackStream.Telemetry.Tests.MetricTags;

namespace FeedbackStream.Telemetry.Tests;

/// <summary>
/// The registration on a plain service collection with the in-memory exporter added: which meters it listens to and
/// when tracing is on. Listeners are process-wide: the tests of one class run one at a time, and no other class here
/// registers one.
/// </summary>
public sealed class RegistrationTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Metrics_FromTheSharedMeterNames_ReachTheExporter_WithNamesUnitsAndAttributes()
    {
        var exported = new List<Metric>();
        var services = new ServiceCollection();
        services.AddFeedbackTelemetry(Config(), "pipeline");
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(exported));
        using var provider = services.BuildServiceProvider();
        var meters = provider.GetRequiredService<MeterProvider>();

        MessagingMetrics.Record("send", "registration-topic", 7, TimeSpan.FromMilliseconds(250), null);
        MessagingMetrics.Record("send", "registration-topic", 3, TimeSpan.FromMilliseconds(50), "timeout");
        Assert.True(meters.ForceFlush(10_000));

        var duration = Assert.Single(exported, m => m.Name == TelemetryNames.MessagingOperationDuration);
        Assert.Equal("s", duration.Unit);
        Assert.Equal(TelemetryNames.MessagingMeter, duration.MeterName);
        var points = Points(duration).Where(p => Tag(p, "messaging.destination.name") as string == "registration-topic").ToList();
        Assert.Equal(2, points.Count);
        var ok = Assert.Single(points, p => Tag(p, "error.type") is null);
        Assert.Equal("kafka", Tag(ok, "messaging.system"));
        Assert.Equal("send", Tag(ok, "messaging.operation.name"));
        Assert.Equal(1, ok.GetHistogramCount());
        Assert.Equal(0.25, ok.GetHistogramSum(), 6);
        Assert.Single(points, p => Tag(p, "error.type") as string == "timeout");

        var batch = Assert.Single(exported, m => m.Name == TelemetryNames.MessagingBatchMessageCount);
        Assert.Equal("{message}", batch.Unit);
        Assert.Equal(10, Points(batch).Where(p => Tag(p, "messaging.destination.name") as string == "registration-topic").Sum(p => p.GetHistogramSum()));
    }

    [Fact]
    public void Tracing_IsOffWithoutAnOtlpEndpoint()
    {
        var services = new ServiceCollection();
        services.AddFeedbackTelemetry(Config(), "gateway");
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<MeterProvider>();

        Assert.Null(provider.GetService<TracerProvider>());
        using var source = new ActivitySource(TelemetryNames.GatewaySource);
        Assert.False(source.HasListeners());
    }

    [Fact]
    public void Tracing_IsOnWithAnOtlpEndpoint_ForEveryFeedbackStreamSource()
    {
        var exported = new List<Activity>();
        var services = new ServiceCollection();
        services.AddFeedbackTelemetry(Config(("Telemetry:Otlp:Endpoint", "http://127.0.0.1:4317")), "gateway");
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(exported));
        using var provider = services.BuildServiceProvider();
        var tracer = provider.GetRequiredService<TracerProvider>();

        foreach (var name in TelemetryNames.ActivitySources)
        {
            using var source = new ActivitySource(name);
            using (source.StartActivity("probe"))
            {
            }
        }

        Assert.True(tracer.ForceFlush(10_000));
        Assert.Equal(TelemetryNames.ActivitySources.Order(), exported.Select(a => a.Source.Name).Order());
    }

    private static List<MetricPoint> Points(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            points.Add(point);
        }

        return points;
    }
}
