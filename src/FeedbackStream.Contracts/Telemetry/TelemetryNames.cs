namespace FeedbackStream.Contracts.Telemetry;

/// <summary>
/// The names of every Meter and ActivitySource FeedbackStream produces, and of its instruments: producers create them
/// from these constants and the OpenTelemetry registration listens to exactly these, so both always agree.
/// </summary>
public static class TelemetryNames
{
    /// <summary>Gateway: events by outcome, the produce span.</summary>
    public const string GatewayMeter = "FeedbackStream.Gateway";

    /// <summary>Pipeline: dead letters, freshness, consumer lag (of the pipeline's and the labeller's consumers).</summary>
    public const string PipelineMeter = "FeedbackStream.Pipeline";

    /// <summary>Labeller: labels and pairs written, label lag.</summary>
    public const string LabelingMeter = "FeedbackStream.Labeling";

    /// <summary>Storage adapter: ClickHouse operation durations.</summary>
    public const string StorageMeter = "FeedbackStream.Storage";

    /// <summary>Retraining: runs and promotion gate outcomes.</summary>
    public const string ModelsMeter = "FeedbackStream.Models";

    /// <summary>Kafka client operations (messaging semantic conventions), shared by the gateway's producer and the pipeline's and labeller's consumers.</summary>
    public const string MessagingMeter = "FeedbackStream.Messaging";

    /// <summary>Spans of the gateway (the Kafka produce of a request's events).</summary>
    public const string GatewaySource = "FeedbackStream.Gateway";

    /// <summary>Spans of the pipeline (the ClickHouse insert of a batch, linked to its records' produce spans).</summary>
    public const string PipelineSource = "FeedbackStream.Pipeline";

    /// <summary>Every meter FeedbackStream creates.</summary>
    public static IReadOnlyList<string> Meters { get; } = [GatewayMeter, PipelineMeter, LabelingMeter, StorageMeter, ModelsMeter, MessagingMeter];

    /// <summary>Every activity source FeedbackStream creates.</summary>
    public static IReadOnlyList<string> ActivitySources { get; } = [GatewaySource, PipelineSource];

    /// <summary>The Kafka record header carrying the W3C trace context of the produce span.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>Counter <c>{event}</c>: events the gateway answered, by <c>outcome</c> (accepted, duplicate, rejected) and, for rejected, <c>reason</c>.</summary>
    public const string GatewayEvents = "feedbackstream.gateway.events";

    /// <summary>Histogram in seconds: duration of a Kafka client operation (semantic conventions); a consumer's carry <c>messaging.consumer.group.name</c>.</summary>
    public const string MessagingOperationDuration = "messaging.client.operation.duration";

    /// <summary>Histogram <c>{message}</c>: messages in one batch operation.</summary>
    public const string MessagingBatchMessageCount = "messaging.batch.message_count";

    /// <summary>Observable gauge <c>{message}</c>: per partition and <c>messaging.consumer.group.name</c>, the high watermark minus the consumer's position.</summary>
    public const string KafkaConsumerLag = "feedbackstream.kafka.consumer.lag";

    /// <summary>Counter <c>{record}</c>: records the pipeline wrote to events_rejected, by <c>reason</c>.</summary>
    public const string PipelineDeadLetters = "feedbackstream.pipeline.dead_letters";

    /// <summary>Histogram in seconds: from an event's occurred_at to the moment ClickHouse accepted its row.</summary>
    public const string PipelineFreshness = "feedbackstream.pipeline.freshness";

    /// <summary>Histogram in seconds: duration of a ClickHouse operation, by <c>db.operation.name</c> (insert, query).</summary>
    public const string ClickHouseOperationDuration = "feedbackstream.clickhouse.operation.duration";

    /// <summary>Counter <c>{label}</c>: labels written by labellers.</summary>
    public const string LabelsWritten = "feedbackstream.labels.written";

    /// <summary>Counter <c>{label}</c>: labels written by the reconciliation sweep.</summary>
    public const string LabelsRepaired = "feedbackstream.labels.repaired";

    /// <summary>Counter <c>{conversation}</c>: conversations a labeller could not label and set aside (<c>labeling_set_aside</c>).</summary>
    public const string ConversationsSetAside = "feedbackstream.labels.conversations_set_aside";

    /// <summary>Counter <c>{pair}</c>: preference pairs written by labellers.</summary>
    public const string PairsWritten = "feedbackstream.pairs.written";

    /// <summary>Histogram in seconds: from the moment a conversation was due to be labelled to its label being written.</summary>
    public const string LabelLag = "feedbackstream.labels.lag";

    /// <summary>Counter <c>{run}</c>: retraining runs by <c>status</c> (promoted, refused, failed, canceled).</summary>
    public const string TrainingRuns = "feedbackstream.training.runs";

    /// <summary>Counter <c>{decision}</c>: promotion gate decisions by <c>outcome</c> (promote, refuse).</summary>
    public const string GateDecisions = "feedbackstream.training.gate.decisions";

    /// <summary>Histogram in seconds: duration of a retraining run, by <c>status</c>.</summary>
    public const string TrainingRunDuration = "feedbackstream.training.run.duration";
}
