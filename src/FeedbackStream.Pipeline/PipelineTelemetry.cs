using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FeedbackStream.Contracts.Telemetry;

namespace FeedbackStream.Pipeline;

/// <summary>The pipeline's instruments and spans (System.Diagnostics only; OpenTelemetry listens by name).</summary>
internal static class PipelineTelemetry
{
    /// <summary>Most produce-span links one insert span carries; the rest of a large batch is not linked.</summary>
    public const int MaxLinks = 32;

    public static readonly ActivitySource Source = new(TelemetryNames.PipelineSource);

    private static readonly Meter Meter = new(TelemetryNames.PipelineMeter);

    private static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(
        TelemetryNames.PipelineDeadLetters, "{record}", "Records written to events_rejected, by reason.");

    private static readonly Histogram<double> Freshness = Meter.CreateHistogram(
        TelemetryNames.PipelineFreshness,
        "s",
        "From an event's occurred_at to ClickHouse accepting its row.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400] });

    /// <summary>Each running worker's view of its partitions' lag (several workers share a process in tests and benchmarks).</summary>
    private static readonly ConcurrentDictionary<object, Func<IEnumerable<Measurement<long>>>> LagSources = new();

    private static readonly ObservableGauge<long> Lag = Meter.CreateObservableGauge(
        TelemetryNames.KafkaConsumerLag,
        () => LagSources.Values.SelectMany(f => f()).ToList(),
        "{message}",
        "Per partition: the high watermark minus the pipeline consumer's position.");

    public static void TrackLag(object owner, Func<IEnumerable<Measurement<long>>> measure) => LagSources[owner] = measure;

    public static void UntrackLag(object owner) => LagSources.TryRemove(owner, out _);

    public static void RecordWritten(IReadOnlyList<EventRow> events, IReadOnlyList<RejectedRow> rejected, DateTime now)
    {
        if (Freshness.Enabled)
        {
            foreach (var e in events)
            {
                Freshness.Record(Math.Max(0, (now - e.OccurredAt).TotalSeconds));
            }
        }

        foreach (var group in rejected.GroupBy(r => r.Kind, StringComparer.Ordinal))
        {
            DeadLetters.Add(group.Count(), new KeyValuePair<string, object?>("reason", group.Key));
        }
    }

    /// <summary>Keeps the lag gauge referenced (it is observed through the meter).</summary>
    public static bool LagEnabled => Lag.Enabled;
}
