using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Confluent.Kafka;
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

    /// <summary>
    /// Each running consumer's view of its partitions' lag, the pipeline's and the labeller's (several workers share a
    /// process in tests and benchmarks); the consumer group attribute tells them apart.
    /// </summary>
    private static readonly ConcurrentDictionary<object, Func<IEnumerable<Measurement<long>>>> LagSources = new();

    private static readonly ObservableGauge<long> Lag = Meter.CreateObservableGauge(
        TelemetryNames.KafkaConsumerLag,
        () => LagSources.Values.SelectMany(f => f()).ToList(),
        "{message}",
        "Per partition and consumer group: the high watermark minus the consumer's position.");

    /// <summary>How often a consume loop measures its lag.</summary>
    public static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(1);

    /// <summary>Reports <paramref name="owner"/>'s last measured lag per partition of <paramref name="topic"/>, as consumer group <paramref name="group"/>.</summary>
    public static void TrackLag(object owner, string topic, string group, Func<IReadOnlyList<(int Partition, long Lag)>> lag) =>
        LagSources[owner] = () => lag().Select(l => new Measurement<long>(
            l.Lag,
            new KeyValuePair<string, object?>("messaging.system", "kafka"),
            new KeyValuePair<string, object?>("messaging.destination.name", topic),
            new KeyValuePair<string, object?>("messaging.destination.partition.id", l.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new KeyValuePair<string, object?>("messaging.consumer.group.name", group)));

    /// <summary>
    /// Per assigned partition, the high watermark (as last fetched; no broker call) minus the position (the low
    /// watermark before the first record is consumed); a partition whose watermarks are not known yet is left out.
    /// Call it from the thread that consumes.
    /// </summary>
    public static List<(int Partition, long Lag)> MeasureLag<TKey, TValue>(IConsumer<TKey, TValue> consumer)
    {
        var lag = new List<(int, long)>();
        foreach (var partition in consumer.Assignment)
        {
            try
            {
                var watermarks = consumer.GetWatermarkOffsets(partition);
                var high = watermarks.High.Value;
                // Nothing consumed from the partition yet: everything from the low watermark on is still to read.
                var position = consumer.Position(partition).Value is >= 0 and var p ? p : watermarks.Low.Value;
                if (high >= 0 && position >= 0)
                {
                    lag.Add((partition.Partition.Value, Math.Max(0, high - position)));
                }
            }
            catch (KafkaException)
            {
                // Not known yet for this partition; the next measurement tries again.
            }
        }

        return lag;
    }

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
