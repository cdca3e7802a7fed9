using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FeedbackStream.Contracts.Telemetry;

/// <summary>
/// Kafka client instruments after the OpenTelemetry messaging semantic conventions, shared by every producer and
/// consumer of the events topic (one meter, so the gateway and the pipeline in one process report one instrument).
/// </summary>
public static class MessagingMetrics
{
    private static readonly Meter Meter = new(TelemetryNames.MessagingMeter);

    private static readonly Histogram<double> Duration = Meter.CreateHistogram(
        TelemetryNames.MessagingOperationDuration,
        "s",
        "Duration of a Kafka client operation.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });

    private static readonly Histogram<long> BatchSize = Meter.CreateHistogram<long>(
        TelemetryNames.MessagingBatchMessageCount,
        "{message}",
        "Messages in one batch operation.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000] });

    /// <summary>Records one operation: <paramref name="operation"/> is <c>send</c> (producer) or <c>process</c> (consumer batch).</summary>
    public static void Record(string operation, string destination, int messages, TimeSpan elapsed, string? errorType)
    {
        var tags = new TagList
        {
            { "messaging.system", "kafka" },
            { "messaging.operation.name", operation },
            { "messaging.operation.type", operation },
            { "messaging.destination.name", destination },
        };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        Duration.Record(elapsed.TotalSeconds, tags);
        if (messages > 0)
        {
            BatchSize.Record(messages, tags);
        }
    }
}
