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

    /// <summary>
    /// Records one operation: <paramref name="operation"/> is <c>send</c> (producer) or <c>process</c> (consumer batch).
    /// A consumer names its group (<c>messaging.consumer.group.name</c>), which tells the pipeline's consumer and the
    /// labeller's apart on the same topic.
    /// </summary>
    public static void Record(string operation, string destination, int messages, TimeSpan elapsed, string? errorType, string? consumerGroup = null)
    {
        var tags = new TagList
        {
            { "messaging.system", "kafka" },
            { "messaging.operation.name", operation },
            { "messaging.operation.type", operation },
            { "messaging.destination.name", destination },
        };
        if (consumerGroup is not null)
        {
            tags.Add("messaging.consumer.group.name", consumerGroup);
        }

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
