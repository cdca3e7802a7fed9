using ClickHouse.Driver;
using FeedbackStream.Storage;

namespace FeedbackStream.Pipeline;

/// <summary>Writes a decoded batch; completes only when ClickHouse accepted every row.</summary>
public interface IEventSink
{
    Task WriteAsync(IReadOnlyList<EventRow> events, IReadOnlyList<RejectedRow> rejected, CancellationToken cancellationToken);
}

/// <summary>
/// Inserts batches into <c>events_raw</c> and <c>events_rejected</c> with <c>InsertBinaryAsync</c>. Both tables are
/// idempotent (ReplacingMergeTree on event_id, and on Kafka coordinates), so a batch written again after a failure
/// or a restart collapses instead of doubling.
/// </summary>
public sealed class ClickHouseEventSink(ClickHouseClient client, PipelineProgress progress) : IEventSink
{
    private static readonly string[] EventColumns =
    [
        "event_id", "type", "schema_version", "app_id", "user_id", "conversation_id", "response_id",
        "occurred_at", "received_at", "payload", "kafka_topic", "kafka_partition", "kafka_offset",
    ];

    private static readonly string[] RejectedColumns =
    [
        "kafka_topic", "kafka_partition", "kafka_offset", "kafka_key", "raw", "raw_bytes", "reason", "error_path",
    ];

    public async Task WriteAsync(IReadOnlyList<EventRow> events, IReadOnlyList<RejectedRow> rejected, CancellationToken cancellationToken)
    {
        if (events.Count > 0)
        {
            await ClickHouseMetrics.InsertAsync("events_raw", () => client.InsertBinaryAsync(
                "events_raw",
                EventColumns,
                events.Select(e => new object[]
                {
                    e.EventId, e.Type, e.SchemaVersion, e.AppId, e.UserId, e.ConversationId, e.ResponseId,
                    e.OccurredAt, e.ReceivedAt, e.Payload, e.Position.Topic, e.Position.Partition, e.Position.Offset,
                }),
                new InsertOptions { BatchSize = Math.Max(1, events.Count), MaxDegreeOfParallelism = 1 },
                cancellationToken));
        }

        if (rejected.Count > 0)
        {
            await ClickHouseMetrics.InsertAsync("events_rejected", () => client.InsertBinaryAsync(
                "events_rejected",
                RejectedColumns,
                rejected.Select(r => new object[]
                {
                    r.Position.Topic, r.Position.Partition, r.Position.Offset, r.Key, r.Raw, r.RawBytes, r.Reason, r.ErrorPath,
                }),
                new InsertOptions { BatchSize = Math.Max(1, rejected.Count), MaxDegreeOfParallelism = 1 },
                cancellationToken));
        }

        // Last, once both inserts were accepted: labellers wait for this before they label what they consumed.
        var through = events.Select(e => e.Position).Concat(rejected.Select(r => r.Position))
            .GroupBy(p => (p.Topic, p.Partition))
            .Select(g => (g.Key.Topic, g.Key.Partition, g.Max(p => p.Offset)))
            .ToList();
        await progress.WriteAsync(through, cancellationToken);
    }
}
