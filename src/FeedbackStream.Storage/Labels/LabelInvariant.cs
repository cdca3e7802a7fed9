using System.Globalization;
using ClickHouse.Driver;
using FeedbackStream.Mining;

namespace FeedbackStream.Storage.Labels;

/// <summary>A settled served response without a current label.</summary>
/// <param name="SetAsideError">When a labeller set the conversation aside (<c>labeling_set_aside</c>), the error it recorded.</param>
public sealed record LabelViolation(
    string AppId, string ConversationId, string ResponseId, int KafkaPartition, DateTime LastActivity, DateTime? LabelLastSignalAt, string Kind, string? SetAsideError = null);

/// <summary>
/// What a labeller's sweep may repair in one owned partition: responses whose records lie below
/// <paramref name="PassedBelow"/> (its commit offset) or at or beyond <paramref name="LogEnd"/> (the partition's high
/// watermark: such records came from a log that no longer exists).
/// </summary>
public readonly record struct SweepScope(int Partition, long PassedBelow, long LogEnd);

/// <summary>What <see cref="LabelInvariant.CheckAsync"/> found.</summary>
/// <param name="SettledResponses">Served responses whose last activity is at or before the horizon.</param>
/// <param name="Missing">Of those, without any label.</param>
/// <param name="Stale">Of those, labelled before their last activity (a later event is not reflected).</param>
/// <param name="DuplicateLabels">Responses with more than one label id (must be 0: ids are deterministic).</param>
/// <param name="SetAside">Of the missing and stale ones, responses of conversations a labeller set aside after they failed alone.</param>
/// <param name="SharedResponseIds">Response ids one app served in more than one conversation: they share one label id,
/// so they are reported here and left out of the counts above.</param>
public sealed record LabelCheckReport(
    DateTime Horizon, ulong SettledResponses, ulong Missing, ulong Stale, ulong DuplicateLabels, ulong SetAside, ulong SharedResponseIds, IReadOnlyList<LabelViolation> Examples)
{
    public ulong Violations => Missing + Stale + DuplicateLabels;
}

/// <summary>
/// The labelling invariant: every <c>response.served</c> whose last activity (newest occurred_at of the response and
/// its signals, in its app and conversation) is older than the settle window plus a grace has exactly one current
/// label (a label whose last_signal_at is that last activity). Checked by an anti-join; used by
/// <c>feedbackstream check labels</c> and by the labellers' reconciliation sweep.
/// </summary>
public sealed class LabelInvariant(ClickHouseClient client)
{
    private const string Activity =
        """
        SELECT app_id, conversation_id, response_id, max(occurred_at) AS last_activity, any(kafka_partition) AS kafka_partition, max(kafka_offset) AS last_offset
        FROM events_raw FINAL
        WHERE response_id != ''
        GROUP BY app_id, conversation_id, response_id
        HAVING countIf(type = 'response.served') > 0
           AND (app_id, response_id) NOT IN (SELECT app_id, response_id FROM events_raw FINAL WHERE type = 'response.served'
                                            GROUP BY app_id, response_id HAVING uniqExact(conversation_id) > 1)
        """;

    private const string Violations =
        $"""
        SELECT a.app_id AS app_id, a.conversation_id AS conversation_id, a.response_id AS response_id, a.kafka_partition AS kafka_partition, a.last_offset AS last_offset,
               a.last_activity AS last_activity, l.last_signal_at AS label_last_signal_at, l.label_id = '' AS missing, s.error AS set_aside_error
        FROM ({Activity}) AS a
        LEFT JOIN (SELECT label_id, app_id, conversation_id, response_id, last_signal_at FROM response_labels FINAL) AS l
          ON a.app_id = l.app_id AND a.conversation_id = l.conversation_id AND a.response_id = l.response_id
        LEFT JOIN (SELECT app_id, conversation_id, argMax(error, set_aside_at) AS error FROM labeling_set_aside GROUP BY app_id, conversation_id) AS s
          ON a.app_id = s.app_id AND a.conversation_id = s.conversation_id
        WHERE a.last_activity <= @horizon AND (l.label_id = '' OR l.last_signal_at < a.last_activity)
        """;

    /// <summary>Counts violations at <paramref name="now"/> under <paramref name="policy"/>, with up to <paramref name="examples"/> of them.</summary>
    public async Task<LabelCheckReport> CheckAsync(SettlePolicy policy, DateTimeOffset now, int examples, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var horizon = policy.InvariantHorizon(now).UtcDateTime;
        var counts = (await client.RowsAsync<CountRecord>(
            $"""
            SELECT (SELECT count() FROM ({Activity}) WHERE last_activity <= @horizon) AS settled,
                   (SELECT countIf(missing) FROM ({Violations})) AS missing,
                   (SELECT countIf(NOT missing) FROM ({Violations})) AS stale,
                   (SELECT count() FROM (SELECT app_id, response_id FROM response_labels FINAL GROUP BY app_id, response_id HAVING uniqExact(label_id) > 1)) AS duplicate_labels,
                   (SELECT countIf(set_aside_error != '') FROM ({Violations})) AS set_aside,
                   (SELECT count() FROM (SELECT app_id, response_id FROM events_raw FINAL WHERE type = 'response.served'
                                         GROUP BY app_id, response_id HAVING uniqExact(conversation_id) > 1)) AS shared_response_ids
            """, new { horizon }, cancellationToken)).Single();
        var found = examples <= 0 ? [] : await ViolationsAsync(horizon, null, examples, cancellationToken);
        return new LabelCheckReport(horizon, counts.Settled, counts.Missing, counts.Stale, counts.DuplicateLabels, counts.SetAside, counts.SharedResponseIds, found);
    }

    /// <summary>
    /// Violating responses at the horizon. With <paramref name="scopes"/>, only those of the given Kafka partitions
    /// whose records lie below <see cref="SweepScope.PassedBelow"/> (a labeller repairs what it owns and has already
    /// passed, never a backlog it has not consumed yet: that one its normal path labels) or at or beyond
    /// <see cref="SweepScope.LogEnd"/> (records of a log that is gone, which no consumer will ever see again), and
    /// none of a conversation a labeller set aside.
    /// </summary>
    public async Task<List<LabelViolation>> ViolationsAsync(DateTime horizon, IReadOnlyCollection<SweepScope>? scopes, int limit, CancellationToken cancellationToken)
    {
        var filter = scopes is null
            ? ""
            : " WHERE set_aside_error = '' AND (" + (scopes.Count == 0
                ? "0"
                : string.Join(" OR ", scopes.Select(b => string.Create(CultureInfo.InvariantCulture, $"(kafka_partition = {b.Partition} AND (last_offset < {b.PassedBelow} OR last_offset >= {b.LogEnd}))")))) + ")";
        var rows = await client.RowsAsync<ViolationRecord>(
            $"SELECT * FROM ({Violations}){filter} ORDER BY last_activity, app_id, response_id LIMIT @limit",
            new { horizon, limit }, cancellationToken);
        return rows.Select(r => new LabelViolation(
            r.AppId, r.ConversationId, r.ResponseId, r.KafkaPartition, LabelRepository.Utc(r.LastActivity),
            r.Missing ? null : LabelRepository.Utc(r.LabelLastSignalAt), r.Missing ? "missing" : "stale", r.SetAsideError.Length == 0 ? null : r.SetAsideError)).ToList();
    }

    private sealed class CountRecord
    {
        public ulong Settled { get; set; }

        public ulong Missing { get; set; }

        public ulong Stale { get; set; }

        public ulong DuplicateLabels { get; set; }

        public ulong SetAside { get; set; }

        public ulong SharedResponseIds { get; set; }
    }

    private sealed class ViolationRecord
    {
        public string AppId { get; set; } = "";

        public string ConversationId { get; set; } = "";

        public string ResponseId { get; set; } = "";

        public int KafkaPartition { get; set; }

        public DateTime LastActivity { get; set; }

        public DateTime LabelLastSignalAt { get; set; }

        public bool Missing { get; set; }

        public string SetAsideError { get; set; } = "";
    }
}
