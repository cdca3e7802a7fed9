using System.ComponentModel.DataAnnotations;

namespace FeedbackStream.Pipeline;

/// <summary>Pipeline worker settings (configuration section <c>Pipeline</c>).</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Kafka consumer group; run more workers with the same group to scale out (one per partition at most).</summary>
    [Required(AllowEmptyStrings = false)]
    public string ConsumerGroup { get; set; } = "feedbackstream-pipeline";

    /// <summary>A batch is written when it holds this many records ...</summary>
    [Range(1, 1_000_000)]
    public int BatchMaxRecords { get; set; } = 20_000;

    /// <summary>... or when its oldest record has waited this long.</summary>
    public TimeSpan BatchMaxAge { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Records buffered between the consumer and the sink; when full, consumption pauses (backpressure).</summary>
    [Range(1, 10_000_000)]
    public int ChannelCapacity { get; set; } = 50_000;

    /// <summary>Bytes of a rejected record's value kept in events_rejected.</summary>
    [Range(0, 10_000_000)]
    public int RejectedRawMaxBytes { get; set; } = 16 * 1024;

    /// <summary>First wait after a failed ClickHouse write; doubles up to <see cref="SinkRetryMaxDelay"/>.</summary>
    public TimeSpan SinkRetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan SinkRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest a graceful shutdown waits for the last batch to be written.</summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
