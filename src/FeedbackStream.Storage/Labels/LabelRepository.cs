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

    private long _unreadableRows;

    /// <summary>
    /// Every stored event of the given conversations, each only from its own app. Read without FINAL: a row stored
    /// twice before a merge comes back twice, and <see cref="SignalLabeler"/> keeps one per (app, event_id).
    /// </summary>
    public async Task<List<StoredEvent>> EventsAsync(IReadOnlyCollection<ConversationKey> conversations, CancellationToken cancellationToken)
    {
        var wanted = conversations.ToHashSet();
        var events = new List<StoredEvent>();
        foreach (var chunk in SqlLiteral.Chunks(wanted, k => k.ConversationId.Length + k.AppId.Length))
        {
            var rows = await client.RowsAsync<EventRecord>(
                $"""
                SELECT event_id, type, app_id, user_id, conversation_id, occurred_at, received_at, payload, ingested_at
                FROM events_raw
                PREWHERE conversation_id IN {SqlLiteral.List(chunk.Select(k => k.ConversationId).Distinct(StringComparer.Ordinal))}
                WHERE app_id IN {SqlLiteral.List(chunk.Select(k => k.AppId).Distinct(StringComparer.Ordinal))}
                """, null, cancellationToken);
            foreach (var row in rows.Where(r => wanted.Contains(new ConversationKey(r.AppId, r.ConversationId))))
            {
                try
                {
                    events.Add(new StoredEvent(row.ToEvent(), new DateTimeOffset(Utc(row.IngestedAt))));
                }
                catch (JsonException)
                {
                    // A row no event can be rebuilt from (written around the pipeline) never blocks its conversation.
                    Interlocked.Increment(ref _unreadableRows);
                }
            }
        }

        return events;
    }

    /// <summary>
    /// How many distinct events each conversation has stored (scoped by app). A labeller that holds a conversation's
    /// consumed events labels from them only when they are all the conversation has; otherwise it reads the rows.
    /// Conversations with nothing stored are absent.
    /// </summary>
    public async Task<Dictionary<ConversationKey, ulong>> EventCountsAsync(IReadOnlyCollection<ConversationKey> conversations, CancellationToken cancellationToken)
    {
        var wanted = conversations.ToHashSet();
        var counts = new Dictionary<ConversationKey, ulong>(wanted.Count);
        foreach (var chunk in SqlLiteral.Chunks(wanted, k => k.ConversationId.Length + k.AppId.Length))
        {
            var rows = await client.RowsAsync<EventCountRecord>(
                $"""
                SELECT app_id, conversation_id, uniqExact(event_id) AS events
                FROM events_raw
                PREWHERE conversation_id IN {SqlLiteral.List(chunk.Select(k => k.ConversationId).Distinct(StringComparer.Ordinal))}
                WHERE app_id IN {SqlLiteral.List(chunk.Select(k => k.AppId).Distinct(StringComparer.Ordinal))}
                GROUP BY app_id, conversation_id
                """, null, cancellationToken);
            foreach (var row in rows)
            {
                var key = new ConversationKey(row.AppId, row.ConversationId);
                if (wanted.Contains(key))
                {
                    counts[key] = row.Events;
                }
            }
        }

        return counts;
    }

    /// <summary>Stored rows skipped because no v1 event could be rebuilt from them (malformed payload written around the pipeline).</summary>
    public long UnreadableRows => Interlocked.Read(ref _unreadableRows);

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
            // Not validated here: the deserializer below parses (and validates) the whole event once.
            writer.WriteRawValue(payload, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return FeedbackJson.Deserialize(buffer.ToArray());
    }

    /// <summary>
    /// Profiles of <paramref name="users"/> within one app over the lookback window, by the definitions of
    /// <see cref="UserProfiles"/>: one grouped query counts each user's activity cells (distinct events per kind and
    /// minute, so a row stored twice before a merge counts once) and folds them into one row per user (totals, the
    /// dominant reaction's count, the busiest minute's count), which <see cref="UserProfiles.FromTotals"/> turns into a
    /// profile. A test holds the query to <see cref="UserProfiles.Build"/> on the same events. Another app's events never
    /// enter a profile.
    /// </summary>
    public async Task<Dictionary<string, UserProfile>> ProfilesAsync(string appId, IReadOnlyCollection<string> users, TimeSpan lookback, CancellationToken cancellationToken)
    {
        var profiles = new Dictionary<string, UserProfile>(users.Count, StringComparer.Ordinal);
        foreach (var chunk in SqlLiteral.Chunks(users, u => u.Length))
        {
            var rows = await client.RowsAsync<ProfileRecord>(
                $"""
                SELECT user_id,
                       sumIf(n, type = 'response.served') AS served,
                       sumIf(n, type = 'reaction.set') AS reactions,
                       sumIf(n, type = 'reaction.set' AND reaction = 'love') AS loves,
                       sumIf(n, type = 'reaction.set' AND reaction = 'dislike') AS dislikes,
                       arrayMax(arrayPushBack((sumMapIf([reaction], [n], type = 'reaction.set')).2, toUInt64(0))) AS dominant,
                       arrayMax(arrayPushBack((sumMapIf([minute], [n], type = 'reaction.set')).2, toUInt64(0))) AS peak
                FROM (
                    SELECT user_id, type, reaction,
                           if(type = 'reaction.set', intDiv(toUnixTimestamp(occurred_at), 60), 0) AS minute, toUInt64(uniqExact(event_id)) AS n
                    FROM events_raw
                    WHERE app_id = @app AND user_id IN {SqlLiteral.List(chunk)} AND type IN ('response.served', 'reaction.set')
                      AND occurred_at > now64(3) - toIntervalSecond(@seconds)
                    GROUP BY user_id, type, reaction, minute)
                GROUP BY user_id
                """, new { app = appId, seconds = (long)lookback.TotalSeconds }, cancellationToken);
            foreach (var r in rows)
            {
                profiles[r.UserId] = UserProfiles.FromTotals(r.UserId, (long)r.Served, (long)r.Reactions, (long)r.Loves, (long)r.Dislikes, (long)r.Dominant, (long)r.Peak);
            }
        }

        return profiles;
    }

    /// <summary>An app's love and dislike rates per served response over the lookback window (<see cref="UserProfiles.Population(long, long, long)"/>).</summary>
    public async Task<PopulationRates> PopulationAsync(string appId, TimeSpan lookback, CancellationToken cancellationToken)
    {
        var totals = (await client.RowsAsync<PopulationRecord>(
            """
            SELECT uniqExactIf(event_id, type = 'response.served') AS served,
                   uniqExactIf(event_id, type = 'reaction.set' AND reaction = 'love') AS loves,
                   uniqExactIf(event_id, type = 'reaction.set' AND reaction = 'dislike') AS dislikes
            FROM events_raw WHERE app_id = @app AND type IN ('response.served', 'reaction.set') AND occurred_at > now64(3) - toIntervalSecond(@seconds)
            """, new { app = appId, seconds = (long)lookback.TotalSeconds }, cancellationToken)).Single();
        return UserProfiles.Population((long)totals.Served, (long)totals.Loves, (long)totals.Dislikes);
    }

    /// <summary>
    /// Existing labels of other responses to the same prompts (within <paramref name="appId"/> unless pairs may cross apps):
    /// per prompt the <paramref name="perPrompt"/> most positive and the <paramref name="perPrompt"/> most negative by
    /// score, the candidates sibling mining pairs best against worst. A popular prompt with thousands of labelled
    /// responses costs the same as a rare one.
    /// </summary>
    public async Task<List<ResponseLabel>> LabelsForPromptsAsync(string? appId, IReadOnlyCollection<string> promptKeys, CancellationToken cancellationToken, int perPrompt = 32)
    {
        // One query per chunk of keys: the inner part picks the candidates' ids from the narrow projection by prompt (the
        // current score of each label is the one of its latest computation), the outer part reads those rows whole by
        // their primary key, every stored version of them, and the latest computation of each is kept here (what FINAL
        // would keep, without its merge of every part the ids touch). Ties are broken by id from either end (as
        // SiblingMiner cuts a long list), so a prompt with at least twice as many labels hands over two full, disjoint
        // sides even when its scores tie, and the labeller can hold it (SiblingCandidates). Both sides come from one
        // ranking of one scan: the list of keys appears once in the query text, so a chunk of keys as long as SqlLiteral
        // allows stays under the server's max_query_size, and the ids never travel back and forth.
        var latest = new Dictionary<string, LabelRecord>(StringComparer.Ordinal);
        var columns = string.Join(", ", LabelColumns);
        foreach (var chunk in SqlLiteral.Chunks(promptKeys, k => k.Length))
        {
            var rows = await client.RowsAsync<LabelRecord>(
                $"""
                SELECT {columns} FROM response_labels
                PREWHERE label_id IN (
                    SELECT label_id FROM (
                        SELECT label_id,
                               row_number() OVER (PARTITION BY prompt ORDER BY current_score DESC, label_id ASC) AS best,
                               row_number() OVER (PARTITION BY prompt ORDER BY current_score ASC, label_id DESC) AS worst
                        FROM (
                            SELECT label_id, any(prompt_key) AS prompt, argMax(score, computed_at) AS current_score FROM response_labels
                            WHERE prompt_key IN {SqlLiteral.List(chunk)}{(appId is null ? "" : " AND app_id = @app")} GROUP BY label_id))
                    WHERE best <= @per OR worst <= @per)
                """,
                new { app = appId ?? "", per = perPrompt }, cancellationToken);
            foreach (var row in rows)
            {
                if (!latest.TryGetValue(row.LabelId, out var seen) || row.ComputedAt > seen.ComputedAt)
                {
                    latest[row.LabelId] = row;
                }
            }
        }

        return [.. latest.Values.Select(r => r.ToLabel())];
    }

    /// <summary>
    /// Writes a batch's labels, decisions and pairs: three independent inserts (different tables, deterministic ids), sent
    /// together; the write is accepted when all three are.
    /// </summary>
    public async Task WriteAsync(LabelBatch batch, IReadOnlyList<PreferencePair> siblingPairs, DateTime computedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var inserts = new List<Task>(3);
        if (batch.Labels.Count > 0)
        {
            inserts.Add(ClickHouseMetrics.InsertAsync("response_labels", () => client.InsertBinaryAsync("response_labels", LabelColumns, batch.Labels.Select(l => new object[]
            {
                l.LabelId, l.AppId, l.ResponseId, l.ConversationId, l.UserId, l.ModelVersion, l.PromptKey, l.PromptText, l.ResponseText,
                (uint)l.TurnIndex, l.RegeneratedFrom, (uint)l.CandidateIndex, l.ServedAt.UtcDateTime, l.LastSignalAt.UtcDateTime, l.Love, l.LoveWeight,
                l.Dislike, l.DislikeWeight, l.OtherReactions.ToArray(), l.FollowupPolarity, l.FollowupKind, l.FollowupPSat, l.FollowupPDsat,
                l.Actions.ToArray(), l.Score, l.Confidence, (uint)l.SignalEvents, (uint)l.DroppedSignals, (uint)l.LateEvents, l.Rules.ToArray(),
                l.EvidenceEventIds.ToArray(), computedAt, l.Surface, l.LatencyMs, l.PositiveEvidence, l.NegativeEvidence,
            }), null, cancellationToken)));
        }

        if (batch.Decisions.Count > 0)
        {
            inserts.Add(ClickHouseMetrics.InsertAsync("signal_decisions", () => client.InsertBinaryAsync("signal_decisions", DecisionColumns, batch.Decisions.Select(d => new object[]
            {
                d.EventId, d.Rule, d.AppId, d.ResponseId, d.UserId, d.Action.ToString().ToLowerInvariant(), d.Weight, d.Reason, computedAt,
            }), null, cancellationToken)));
        }

        var pairs = batch.Pairs.Concat(siblingPairs).GroupBy(p => p.PairId, StringComparer.Ordinal).Select(g => g.First()).ToList();
        if (pairs.Count > 0)
        {
            inserts.Add(ClickHouseMetrics.InsertAsync("preference_pairs", () => client.InsertBinaryAsync("preference_pairs", PairColumns, pairs.Select(p => new object[]
            {
                p.PairId, p.AppId, p.PromptKey, p.PromptText, p.ChosenResponseId, p.ChosenText, p.RejectedResponseId, p.RejectedText,
                p.Source, p.Confidence, p.Margin, p.EvidenceEventIds.ToArray(), p.Users.ToArray(), computedAt,
            }), null, cancellationToken)));
        }

        await Task.WhenAll(inserts);
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
            : ClickHouseMetrics.InsertAsync("labeling_state", () => client.InsertBinaryAsync("labeling_state", ["worker", "watermark", "updated_at"], progress.Select(p => new object[] { p.Partition, p.LabelledThrough, now }), null, cancellationToken));
    }

    /// <summary>The oldest per-partition labelled-through instant, or null before any labeller recorded progress.</summary>
    public async Task<DateTime?> LabelledThroughAsync(CancellationToken cancellationToken)
    {
        var rows = await client.RowsAsync<DateTime>(
            "SELECT min(w) FROM (SELECT worker, max(watermark) AS w FROM labeling_state WHERE position(worker, '/') > 0 GROUP BY worker) HAVING count() > 0",
            null, cancellationToken);
        return rows.Count == 0 ? null : Utc(rows[0]);
    }

    /// <summary>Whether the store answers a trivial query now: tells a failure of the store from a failure of one conversation's work.</summary>
    public async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ClickHouseProbe.PingAsync(client, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Records a conversation a labeller set aside (<c>labeling_set_aside</c>); it is set aside only once this write was accepted.</summary>
    public Task SetAsideAsync(SetAsideConversation conversation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return ClickHouseMetrics.InsertAsync("labeling_set_aside", () => client.InsertBinaryAsync(
            "labeling_set_aside",
            ["app_id", "conversation_id", "kafka_topic", "kafka_partition", "first_offset", "last_offset", "attempts", "error", "set_aside_at"],
            [[conversation.Key.AppId, conversation.Key.ConversationId, conversation.Topic, conversation.Partition, conversation.FirstOffset, conversation.LastOffset,
              (uint)conversation.Attempts, conversation.Error, conversation.SetAsideAt]],
            null,
            cancellationToken));
    }

    /// <summary>The conversations labellers set aside, of one app or of all (<paramref name="appId"/> null), latest first.</summary>
    public async Task<IReadOnlyList<SetAsideConversation>> SetAsideConversationsAsync(string? appId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var rows = await client.RowsAsync<SetAsideRecord>(
            "SELECT app_id, conversation_id, kafka_topic, kafka_partition, first_offset, last_offset, attempts, error, set_aside_at " +
            "FROM labeling_set_aside FINAL " +
            (appId is null ? "" : "WHERE app_id = {app:String} ") +
            "ORDER BY set_aside_at DESC, app_id, conversation_id LIMIT {limit:UInt32}",
            new { app = appId ?? "", limit = (uint)limit },
            cancellationToken);
        return [.. rows.Select(r => new SetAsideConversation(
            new ConversationKey(r.AppId, r.ConversationId), r.KafkaTopic, r.KafkaPartition, r.FirstOffset, r.LastOffset, (int)r.Attempts, r.Error, Utc(r.SetAsideAt)))];
    }

    /// <summary>
    /// Releases set-aside conversations of <paramref name="appId"/> (one, or all of that app when
    /// <paramref name="conversationId"/> is null): their rows are deleted, so the next reconciliation sweep of the
    /// labeller owning each one's partition labels it again. Returns how many were released.
    /// </summary>
    public async Task<int> ReleaseSetAsideAsync(string appId, string? conversationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(appId);
        var where = conversationId is null ? "app_id = {app:String}" : "app_id = {app:String} AND conversation_id = {conversation:String}";
        var parameters = new { app = appId, conversation = conversationId ?? "" };
        var count = await client.ValueAsync<ulong>($"SELECT count() FROM labeling_set_aside FINAL WHERE {where}", parameters, cancellationToken);
        if (count > 0)
        {
            // A mutation waited for on every replica: once this returns, no sweep sees the rows.
            await client.ExecuteAsync($"ALTER TABLE labeling_set_aside DELETE WHERE {where} SETTINGS mutations_sync = 2", parameters, cancellationToken);
        }

        return (int)count;
    }

    internal static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private sealed class SetAsideRecord
    {
        public string AppId { get; set; } = "";

        public string ConversationId { get; set; } = "";

        public string KafkaTopic { get; set; } = "";

        public int KafkaPartition { get; set; }

        public long FirstOffset { get; set; }

        public long LastOffset { get; set; }

        public uint Attempts { get; set; }

        public string Error { get; set; } = "";

        public DateTime SetAsideAt { get; set; }
    }

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

    private sealed class EventCountRecord
    {
        public string AppId { get; set; } = "";

        public string ConversationId { get; set; } = "";

        public ulong Events { get; set; }
    }

    private sealed class ProfileRecord
    {
        public string UserId { get; set; } = "";

        public ulong Served { get; set; }

        public ulong Reactions { get; set; }

        public ulong Loves { get; set; }

        public ulong Dislikes { get; set; }

        public ulong Dominant { get; set; }

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
