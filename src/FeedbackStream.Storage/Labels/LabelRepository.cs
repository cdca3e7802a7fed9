using System.Globalization;
using System.Text.Json;
using ClickHouse.Driver;
using FeedbackStream.Contracts;
using FeedbackStream.Mining;

namespace FeedbackStream.Storage.Labels;

/// <summary>
/// ClickHouse side of labelling: reads events, user profiles and existing labels; writes labels, decisions and pairs.
/// Reads go through Dapper with columns mapped by name; id lists travel in the request body as literals, never as
/// URL parameters. Every read is scoped by app_id. Every write is idempotent (deterministic ids in
/// ReplacingMergeTree tables).
/// </summary>
public sealed class LabelRepository(ClickHouseClient client)
{
    private static readonly string[] LabelColumns =
    [
        "label_id", "app_id", "response_id", "conversation_id", "user_id", "model_version", "prompt_key", "prompt_text", "response_text",
        "turn_index", "regenerated_from", "candidate_index", "served_at", "last_signal_at", "love", "love_weight", "dislike", "dislike_weight",
        "other_reactions", "followup_polarity", "followup_kind", "followup_p_sat", "followup_p_dsat", "actions", "score", "confidence",
        "signal_events", "dropped_signals", "late_events", "rules", "evidence_event_ids", "computed_at", "surface", "latency_ms", "positive_evidence", "negative_evidence",
    ];

    private static readonly string[] DecisionColumns = ["event_id", "rule", "app_id", "response_id", "user_id", "action", "weight", "reason", "decided_at"];

    private static readonly string[] PairColumns =
    [
        "pair_id", "app_id", "prompt_key", "prompt_text", "chosen_response_id", "chosen_text", "rejected_response_id", "rejected_text",
        "source", "confidence", "margin", "evidence_event_ids", "users", "mined_at",
    ];

    /// <summary>Every stored event of the given conversations (one per app and event_id), each only from its own app.</summary>
    public async Task<List<StoredEvent>> EventsAsync(IReadOnlyCollection<ConversationKey> conversations, CancellationToken cancellationToken)
    {
        var wanted = conversations.ToHashSet();
        var events = new List<StoredEvent>();
        foreach (var chunk in SqlLiteral.Chunks(wanted, k => k.ConversationId.Length + k.AppId.Length))
        {
            var rows = await client.RowsAsync<EventRecord>(
                $"""
                SELECT event_id, type, app_id, user_id, conversation_id, occurred_at, received_at, payload, ingested_at
                FROM events_raw FINAL
                WHERE conversation_id IN {SqlLiteral.List(chunk.Select(k => k.ConversationId).Distinct(StringComparer.Ordinal))}
                  AND app_id IN {SqlLiteral.List(chunk.Select(k => k.AppId).Distinct(StringComparer.Ordinal))}
                """, null, cancellationToken);
            events.AddRange(rows
                .Where(r => wanted.Contains(new ConversationKey(r.AppId, r.ConversationId)))
                .Select(r => new StoredEvent(r.ToEvent(), new DateTimeOffset(Utc(r.IngestedAt)))));
        }

        return events;
    }

    /// <summary>Reassembles a stored row into the v1 event it was (payload JSON as stored).</summary>
    public static FeedbackEvent Rebuild(string eventId, string type, string appId, string userId, string conversationId, DateTime occurredAt, DateTime receivedAt, string payload)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event_id", eventId);
            writer.WriteString("type", type);
            writer.WriteNumber("schema_version", 1);
            writer.WriteString("app_id", appId);
            writer.WriteString("occurred_at", Utc(occurredAt).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("received_at", Utc(receivedAt).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("user_id", userId);
            writer.WriteString("conversation_id", conversationId);
            writer.WritePropertyName("payload");
            writer.WriteRawValue(payload);
            writer.WriteEndObject();
        }

        return FeedbackJson.Deserialize(buffer.ToArray());
    }

    /// <summary>
    /// Profiles of <paramref name="users"/> within one app over the lookback window, and that app's population rates, by
    /// the definitions of <see cref="UserProfiles"/>. Another app's events never enter a profile.
    /// </summary>
    public async Task<(Dictionary<string, UserProfile> Profiles, PopulationRates Population)> ProfilesAsync(
        string appId, IReadOnlyCollection<string> users, TimeSpan lookback, CancellationToken cancellationToken)
    {
        var profiles = new Dictionary<string, UserProfile>(StringComparer.Ordinal);
        var seconds = (long)lookback.TotalSeconds;
        foreach (var chunk in SqlLiteral.Chunks(users, u => u.Length))
        {
            var list = SqlLiteral.List(chunk);
            var rows = await client.RowsAsync<ProfileRecord>(
                $"""
                SELECT user_id,
                       countIf(type = 'response.served') AS served,
                       countIf(type = 'reaction.set') AS reactions,
                       countIf(type = 'reaction.set' AND JSONExtractString(payload, 'reaction') = 'love') AS loves,
                       countIf(type = 'reaction.set' AND JSONExtractString(payload, 'reaction') = 'dislike') AS dislikes
                FROM events_raw FINAL
                WHERE app_id = @app AND user_id IN {list} AND occurred_at > now64(3) - toIntervalSecond(@seconds)
                GROUP BY user_id
                """, new { app = appId, seconds }, cancellationToken);
            var dominant = await client.RowsAsync<ShareRecord>(
                $"""
                SELECT user_id, max(n) / sum(n) AS share
                FROM (SELECT user_id, JSONExtractString(payload, 'reaction') AS reaction, count() AS n
                      FROM events_raw FINAL
                      WHERE app_id = @app AND user_id IN {list} AND type = 'reaction.set' AND occurred_at > now64(3) - toIntervalSecond(@seconds)
                      GROUP BY user_id, reaction)
                GROUP BY user_id
                """, new { app = appId, seconds }, cancellationToken);
            var shareByUser = dominant.ToDictionary(d => d.UserId, d => d.Share, StringComparer.Ordinal);
            var peaks = await client.RowsAsync<PeakRecord>(
                $"""
                SELECT user_id, max(c) AS peak FROM (
                    SELECT user_id, toStartOfMinute(occurred_at) AS minute, count() AS c FROM events_raw FINAL
                    WHERE app_id = @app AND user_id IN {list} AND type = 'reaction.set' AND occurred_at > now64(3) - toIntervalSecond(@seconds)
                    GROUP BY user_id, minute)
                GROUP BY user_id
                """, new { app = appId, seconds }, cancellationToken);
            var peakByUser = peaks.ToDictionary(p => p.UserId, p => (long)p.Peak, StringComparer.Ordinal);
            foreach (var r in rows)
            {
                profiles[r.UserId] = new UserProfile(r.UserId, (long)r.Served, (long)r.Reactions, (long)r.Loves, (long)r.Dislikes, shareByUser.GetValueOrDefault(r.UserId), peakByUser.GetValueOrDefault(r.UserId));
            }
        }

        var totals = (await client.RowsAsync<PopulationRecord>(
            """
            SELECT countIf(type = 'response.served') AS served,
                   countIf(type = 'reaction.set' AND JSONExtractString(payload, 'reaction') = 'love') AS loves,
                   countIf(type = 'reaction.set' AND JSONExtractString(payload, 'reaction') = 'dislike') AS dislikes
            FROM events_raw FINAL WHERE app_id = @app AND occurred_at > now64(3) - toIntervalSecond(@seconds)
            """, new { app = appId, seconds }, cancellationToken)).Single();
        return (profiles, totals.Served < 50 ? PopulationRates.Default : new PopulationRates(totals.Loves / (double)totals.Served, totals.Dislikes / (double)totals.Served));
    }

    /// <summary>
    /// Existing labels of other responses to the same prompts (within <paramref name="appId"/> unless pairs may cross apps):
    /// per prompt the <paramref name="perPrompt"/> most positive and the <paramref name="perPrompt"/> most negative by
    /// score, the candidates sibling mining pairs best against worst. A popular prompt with thousands of labelled
    /// responses costs the same as a rare one.
    /// </summary>
    public async Task<List<ResponseLabel>> LabelsForPromptsAsync(string? appId, IReadOnlyCollection<string> promptKeys, CancellationToken cancellationToken, int perPrompt = 32)
    {
        var labels = new List<ResponseLabel>();
        foreach (var chunk in SqlLiteral.Chunks(promptKeys, k => k.Length))
        {
            var filter = $"prompt_key IN {SqlLiteral.List(chunk)}" + (appId is null ? "" : " AND app_id = @app");
            var columns = string.Join(", ", LabelColumns);
            var rows = await client.RowsAsync<LabelRecord>(
                $"""
                SELECT {columns} FROM (
                    SELECT {columns} FROM (SELECT * FROM response_labels FINAL WHERE {filter}) ORDER BY score DESC, label_id LIMIT @per BY prompt_key
                    UNION DISTINCT
                    SELECT {columns} FROM (SELECT * FROM response_labels FINAL WHERE {filter}) ORDER BY score ASC, label_id LIMIT @per BY prompt_key)
                """,
                new { app = appId ?? "", per = perPrompt }, cancellationToken);
            labels.AddRange(rows.Select(r => r.ToLabel()));
        }

        return labels;
    }

    public async Task WriteAsync(LabelBatch batch, IReadOnlyList<PreferencePair> siblingPairs, DateTime computedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Labels.Count > 0)
        {
            await client.InsertBinaryAsync("response_labels", LabelColumns, batch.Labels.Select(l => new object[]
            {
                l.LabelId, l.AppId, l.ResponseId, l.ConversationId, l.UserId, l.ModelVersion, l.PromptKey, l.PromptText, l.ResponseText,
                (uint)l.TurnIndex, l.RegeneratedFrom, (uint)l.CandidateIndex, l.ServedAt.UtcDateTime, l.LastSignalAt.UtcDateTime, l.Love, l.LoveWeight,
                l.Dislike, l.DislikeWeight, l.OtherReactions.ToArray(), l.FollowupPolarity, l.FollowupKind, l.FollowupPSat, l.FollowupPDsat,
                l.Actions.ToArray(), l.Score, l.Confidence, (uint)l.SignalEvents, (uint)l.DroppedSignals, (uint)l.LateEvents, l.Rules.ToArray(),
                l.EvidenceEventIds.ToArray(), computedAt, l.Surface, l.LatencyMs, l.PositiveEvidence, l.NegativeEvidence,
            }), null, cancellationToken);
        }

        if (batch.Decisions.Count > 0)
        {
            await client.InsertBinaryAsync("signal_decisions", DecisionColumns, batch.Decisions.Select(d => new object[]
            {
                d.EventId, d.Rule, d.AppId, d.ResponseId, d.UserId, d.Action.ToString().ToLowerInvariant(), d.Weight, d.Reason, computedAt,
            }), null, cancellationToken);
        }

        var pairs = batch.Pairs.Concat(siblingPairs).GroupBy(p => p.PairId, StringComparer.Ordinal).Select(g => g.First()).ToList();
        if (pairs.Count > 0)
        {
            await client.InsertBinaryAsync("preference_pairs", PairColumns, pairs.Select(p => new object[]
            {
                p.PairId, p.AppId, p.PromptKey, p.PromptText, p.ChosenResponseId, p.ChosenText, p.RejectedResponseId, p.RejectedText,
                p.Source, p.Confidence, p.Margin, p.EvidenceEventIds.ToArray(), p.Users.ToArray(), computedAt,
            }), null, cancellationToken);
        }
    }

    /// <summary>
    /// Records, per owned partition, the instant up to which every settled response of it is labelled. A training run
    /// pins its snapshot to the oldest of them (<see cref="LabelledThroughAsync"/>).
    /// </summary>
    public Task WriteProgressAsync(IReadOnlyCollection<(string Partition, DateTime LabelledThrough)> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var now = DateTime.UtcNow;
        return progress.Count == 0
            ? Task.CompletedTask
            : client.InsertBinaryAsync("labeling_state", ["worker", "watermark", "updated_at"], progress.Select(p => new object[] { p.Partition, p.LabelledThrough, now }), null, cancellationToken);
    }

    /// <summary>The oldest per-partition labelled-through instant, or null before any labeller recorded progress.</summary>
    public async Task<DateTime?> LabelledThroughAsync(CancellationToken cancellationToken)
    {
        var rows = await client.RowsAsync<DateTime>(
            "SELECT min(w) FROM (SELECT worker, max(watermark) AS w FROM labeling_state WHERE position(worker, '/') > 0 GROUP BY worker) HAVING count() > 0",
            null, cancellationToken);
        return rows.Count == 0 ? null : Utc(rows[0]);
    }

    internal static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private sealed class EventRecord
    {
        public string EventId { get; set; } = "";

        public string Type { get; set; } = "";

        public string AppId { get; set; } = "";

        public string UserId { get; set; } = "";

        public string ConversationId { get; set; } = "";

        public DateTime OccurredAt { get; set; }

        public DateTime ReceivedAt { get; set; }

        public string Payload { get; set; } = "";

        public DateTime IngestedAt { get; set; }

        public FeedbackEvent ToEvent() => Rebuild(EventId, Type, AppId, UserId, ConversationId, OccurredAt, ReceivedAt, Payload);
    }

    private sealed class ProfileRecord
    {
        public string UserId { get; set; } = "";

        public ulong Served { get; set; }

        public ulong Reactions { get; set; }

        public ulong Loves { get; set; }

        public ulong Dislikes { get; set; }
    }

    private sealed class ShareRecord
    {
        public string UserId { get; set; } = "";

        public double Share { get; set; }
    }

    private sealed class PeakRecord
    {
        public string UserId { get; set; } = "";

        public ulong Peak { get; set; }
    }

    private sealed class PopulationRecord
    {
        public ulong Served { get; set; }

        public ulong Loves { get; set; }

        public ulong Dislikes { get; set; }
    }

    private sealed class LabelRecord
    {
        public string LabelId { get; set; } = "";

        public string AppId { get; set; } = "";

        public string ResponseId { get; set; } = "";

        public string ConversationId { get; set; } = "";

        public string UserId { get; set; } = "";

        public string ModelVersion { get; set; } = "";

        public string PromptKey { get; set; } = "";

        public string PromptText { get; set; } = "";

        public string ResponseText { get; set; } = "";

        public uint TurnIndex { get; set; }

        public string RegeneratedFrom { get; set; } = "";

        public uint CandidateIndex { get; set; }

        public DateTime ServedAt { get; set; }

        public DateTime LastSignalAt { get; set; }

        public bool Love { get; set; }

        public double LoveWeight { get; set; }

        public bool Dislike { get; set; }

        public double DislikeWeight { get; set; }

        public string[] OtherReactions { get; set; } = [];

        public string FollowupPolarity { get; set; } = "";

        public string FollowupKind { get; set; } = "";

        public double FollowupPSat { get; set; }

        public double FollowupPDsat { get; set; }

        public string[] Actions { get; set; } = [];

        public double Score { get; set; }

        public double Confidence { get; set; }

        public uint SignalEvents { get; set; }

        public uint DroppedSignals { get; set; }

        public uint LateEvents { get; set; }

        public string[] Rules { get; set; } = [];

        public string[] EvidenceEventIds { get; set; } = [];

        public DateTime ComputedAt { get; set; }

        public string Surface { get; set; } = "";

        public double LatencyMs { get; set; }

        public double PositiveEvidence { get; set; }

        public double NegativeEvidence { get; set; }

        public ResponseLabel ToLabel() => new(
            LabelId, AppId, ResponseId, ConversationId, UserId, ModelVersion, PromptKey, PromptText, ResponseText, (int)TurnIndex, RegeneratedFrom,
            (int)CandidateIndex, new DateTimeOffset(Utc(ServedAt)), new DateTimeOffset(Utc(LastSignalAt)), Love, LoveWeight, Dislike, DislikeWeight,
            OtherReactions, FollowupPolarity, FollowupKind, FollowupPSat, FollowupPDsat, Actions, Score, Confidence, (int)SignalEvents, (int)DroppedSignals,
            (int)LateEvents, Rules, EvidenceEventIds, Surface, LatencyMs, PositiveEvidence, NegativeEvidence);
    }
}
