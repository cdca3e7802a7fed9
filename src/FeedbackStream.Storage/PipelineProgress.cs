using ClickHouse.Driver;

namespace FeedbackStream.Storage;

/// <summary>
/// How far the pipeline stored each Kafka partition (<c>pipeline_progress</c>): written by the pipeline after ClickHouse
/// accepted a batch, read by labellers so that they label a conversation only once every record of it they consumed
/// is queryable.
/// </summary>
public sealed class PipelineProgress(ClickHouseClient client)
{
    private static readonly string[] Columns = ["kafka_topic", "kafka_partition", "stored_through"];

    /// <summary>Records, per partition, the highest offset a written batch held (events and dead letters alike).</summary>
    public Task WriteAsync(IReadOnlyCollection<(string Topic, int Partition, long Offset)> storedThrough, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storedThrough);
        return storedThrough.Count == 0
            ? Task.CompletedTask
            : ClickHouseMetrics.InsertAsync("pipeline_progress", () => client.InsertBinaryAsync("pipeline_progress", Columns, storedThrough.Select(p => new object[] { p.Topic, p.Partition, p.Offset }), null, cancellationToken));
    }

    /// <summary>The highest stored offset per partition of <paramref name="topic"/> (partitions never written are absent).</summary>
    public async Task<Dictionary<int, long>> StoredThroughAsync(string topic, CancellationToken cancellationToken)
    {
        var rows = await client.RowsAsync<ProgressRecord>(
            "SELECT kafka_partition, max(stored_through) AS stored_through FROM pipeline_progress WHERE kafka_topic = @topic GROUP BY kafka_partition",
            new { topic }, cancellationToken);
        return rows.ToDictionary(r => r.KafkaPartition, r => r.StoredThrough);
    }

    private sealed class ProgressRecord
    {
        public int KafkaPartition { get; set; }

        public long StoredThrough { get; set; }
    }
}
