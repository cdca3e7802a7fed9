using System.Globalization;
using System.Text.Json;
using ClickHouse.Driver;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;
using FeedbackStream.Contracts;
using FeedbackStream.Mining;

namespace FeedbackStream.Pipeline.Labeling;

/// <summary>
/// ClickHouse side of labelling: reads events, user profiles and existing labels; writes labels, decisions, pairs and
/// the worker's watermark. Every write is idempotent (deterministic ids in ReplacingMergeTree tables).
/// </summary>
public sealed class LabelStore(ClickHouseClient client)
{
    private static readonly string[] LabelColumns =
    [
        "label_id", "app_id", "response_id", "conversation_id", "user_id", "model_version", "prompt_key", "prompt_text", "response_text",
        "turn_index", "regenerated_from", "candidate_index", "served_at", "last_signal_at", "love", "love_weight", "dislike", "dislike_weight",
        "other_reactions", "followup_polarity", "followup_kind", "followup_p_sat", "followup_p_dsat", "actions", "score", "confidence",
        "signal_events", "dropped_signals", "late_events", "rules", "evidence_event_ids", "computed_at", "surface", "latency_ms",
    ];

    private static readonly string[] DecisionColumns = ["event_id", "rule", "app_id", "response_id", "user_id", "action", "weight", "reason", "decided_at"];

    private static readonly string[] PairColumns =
    [
        "pair_id", "app_id", "prompt_key", "prompt_text", "chosen_response_id", "chosen_text", "rejected_response_id", "rejected_text",
        "source", "confidence", "margin", "evidence_event_ids", "users", "mined_at",
    ];

    public async Task<DateTime?> ReadWatermarkAsync(string worker, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("worker", worker);
        var value = await client.ExecuteScalarAsync("SELECT max(watermark) FROM labeling_state FINAL WHERE worker = {worker:String}", parameters, null, cancellationToken);
        return value is DateTime at && at > DateTime.UnixEpoch ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : null;
    }

    public Task WriteWatermarkAsync(string worker, DateTime watermark, CancellationToken cancellationToken) =>
        client.InsertBinaryAsync("labeling_state", ["worker", "watermark", "updated_at"], [[worker, watermark, DateTime.UtcNow]], null, cancellationToken);

    /// <summary>Conversations with an event stored after <paramref name="since"/>, and the newest ingest time seen.</summary>
    public async Task<(List<string> Conversations, DateTime? Newest)> TouchedSinceAsync(DateTime since, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("since", since.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
        var conversations = new List<string>();
        DateTime? newest = null;
        using var reader = await client.ExecuteReaderAsync(
            "SELECT conversation_id, max(ingested_at) FROM events_raw WHERE ingested_at > parseDateTime64BestEffort({since:String}, 3, 'UTC') GROUP BY conversation_id",
            parameters, null, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            conversations.Add(reader.GetString(0));
            var at = DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc);
            newest = newest is null || at > newest ? at : newest;
        }

        return (conversations, newest);
    }

    /// <summary>
    /// Conversations whose last activity (newest occurred_at) lies in (<paramref name="after"/>, <paramref name="upTo"/>]:
    /// their responses settled since the previous pass, even though no new event arrived.
    /// </summary>
    public async Task<List<string>> SettledBetweenAsync(DateTime after, DateTime upTo, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("after", after.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
        parameters.AddParameter("upto", upTo.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
        var conversations = new List<string>();
        using var reader = await client.ExecuteReaderAsync(
            """
            SELECT conversation_id FROM events_raw
            WHERE conversation_id IN (SELECT DISTINCT conversation_id FROM events_raw WHERE occurred_at > parseDateTime64BestEffort({after:String}, 3, 'UTC'))
            GROUP BY conversation_id
            HAVING max(occurred_at) > parseDateTime64BestEffort({after:String}, 3, 'UTC') AND max(occurred_at) <= parseDateTime64BestEffort({upto:String}, 3, 'UTC')
            """, parameters, null, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            conversations.Add(reader.GetString(0));
        }

        return conversations;
    }

    /// <summary>Every stored event of the given conversations, one per event_id.</summary>
    public async Task<List<StoredEvent>> EventsAsync(IReadOnlyList<string> conversations, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("ids", conversations.ToArray());
        var events = new List<StoredEvent>();
        using var reader = await client.ExecuteReaderAsync(
            """
            SELECT event_id, type, app_id, user_id, conversation_id, occurred_at, received_at, payload, ingested_at
            FROM events_raw FINAL WHERE conversation_id IN {ids:Array(String)}
            """, parameters, null, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var e = Rebuild(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetDateTime(5), reader.GetDateTime(6), reader.GetString(7));
            events.Add(new StoredEvent(e, new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(8), DateTimeKind.Utc))));
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
            writer.WriteString("occurred_at", DateTime.SpecifyKind(occurredAt, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("received_at", DateTime.SpecifyKind(receivedAt, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("user_id", userId);
            writer.WriteString("conversation_id", conversationId);
            writer.WritePropertyName("payload");
            writer.WriteRawValue(payload);
            writer.WriteEndObject();
        }

        return FeedbackJson.Deserialize(buffer.ToArray());
    }

    /// <summary>Profiles of <paramref name="users"/> over the lookback window, and the population rates, by the definitions of <see cref="UserProfiles"/>.</summary>
    public async Task<(Dictionary<string, UserProfile> Profiles, PopulationRates Population)> ProfilesAsync(IReadOnlyCollection<string> users, TimeSpan lookback, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("users", users.ToArray());
        parameters.AddParameter("seconds", (long)lookback.TotalSeconds);
        var profiles = new Dictionary<string, UserProfile>(StringComparer.Ordinal);
        using (var reader = await client.ExecuteReaderAsync(
            """
            SELECT user_id,
                   countIf(type = 'response.served') AS served,
                   countIf(type = 'reaction.set') AS reactions,
                   countIf(type = 'reaction.set' AND JSONExtractString(payload, 'reaction') = 'love') AS loves,
                   countIf(type = 'reaction.set' AND JSONExtractString(payload, 'reaction') = 'dislike') AS dislikes
            FROM events_raw FINAL
            WHERE user_id IN {users:Array(String)} AND occurred_at > now64(3) - toIntervalSecond({seconds:Int64})
            GROUP BY user_id
            """, parameters, null, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var user = reader.GetString(0);
                profiles[user] = new UserProfile(user, Long(reader, 1), Long(reader, 2), Long(reader, 3), Long(reader, 4), 0, 0);
            }
        }

        using (var reader = await client.ExecuteReaderAsync(
            """
            SELECT user_id, max(n) / sum(n) AS dominant
            FROM (SELECT user_id, JSONExtractString(payload, 'reaction') AS reaction, count() AS n
                  FROM events_raw FINAL
                  WHERE user_id IN {users:Array(String)} AND type = 'reaction.set' AND occurred_at > now64(3) - toIntervalSecond({seconds:Int64})
                  GROUP BY user_id, reaction)
            GROUP BY user_id
            """, parameters, null, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var user = reader.GetString(0);
                if (profiles.TryGetValue(user, out var profile))
                {
                    profiles[user] = profile with { DominantShare = Convert.ToDouble(reader.GetValue(1), CultureInfo.InvariantCulture) };
                }
            }
        }

        using (var reader = await client.ExecuteReaderAsync(
            """
            SELECT user_id, max(c) FROM (
                SELECT user_id, toStartOfMinute(occurred_at) AS minute, count() AS c FROM events_raw FINAL
                WHERE user_id IN {users:Array(String)} AND type = 'reaction.set' AND occurred_at > now64(3) - toIntervalSecond({seconds:Int64})
                GROUP BY user_id, minute)
            GROUP BY user_id
            """, parameters, null, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var user = reader.GetString(0);
                if (profiles.TryGetValue(user, out var profile))
                {
                    profiles[user] = profile with { PeakReactionsPerMinute = Long(reader, 1) };
                }
            }
        }

        using var totals = await client.ExecuteReaderAsync(
            """
            SELECT countIf(type = 'response.served'),
                   countIf(type = 'reaction.set' AND JSONExtractString(payload, 'reaction') = 'love'),
                   countIf(type = 'reaction.set' AND JSONExtractString(payload, 'reaction') = 'dislike')
            FROM events_raw FINAL WHERE occurred_at > now64(3) - toIntervalSecond({seconds:Int64})
            """, parameters, null, cancellationToken);
        await totals.ReadAsync(cancellationToken);
        var served = Math.Max(1, Long(totals, 0));
        return (profiles, served < 50 ? PopulationRates.Default : new PopulationRates(Long(totals, 1) / (double)served, Long(totals, 2) / (double)served));
    }

    /// <summary>Existing labels of other responses to the same prompts, for same-prompt sibling pairs across conversations.</summary>
    public async Task<List<ResponseLabel>> LabelsForPromptsAsync(IReadOnlyCollection<string> promptKeys, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("keys", promptKeys.ToArray());
        var labels = new List<ResponseLabel>();
        using var reader = await client.ExecuteReaderAsync(
            $"SELECT {string.Join(", ", LabelColumns)} FROM response_labels FINAL WHERE prompt_key IN {{keys:Array(String)}}", parameters, null, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            labels.Add(new ResponseLabel(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetString(6), reader.GetString(7), reader.GetString(8), Convert.ToInt32(reader.GetValue(9), CultureInfo.InvariantCulture),
                reader.GetString(10), Convert.ToInt32(reader.GetValue(11), CultureInfo.InvariantCulture),
                Utc(reader.GetDateTime(12)), Utc(reader.GetDateTime(13)), reader.GetBoolean(14), reader.GetDouble(15), reader.GetBoolean(16), reader.GetDouble(17),
                (string[])reader.GetValue(18), reader.GetString(19), reader.GetString(20), reader.GetDouble(21), reader.GetDouble(22), (string[])reader.GetValue(23),
                reader.GetDouble(24), reader.GetDouble(25), Convert.ToInt32(reader.GetValue(26), CultureInfo.InvariantCulture),
                Convert.ToInt32(reader.GetValue(27), CultureInfo.InvariantCulture), Convert.ToInt32(reader.GetValue(28), CultureInfo.InvariantCulture),
                (string[])reader.GetValue(29), (string[])reader.GetValue(30), reader.GetString(32), reader.GetDouble(33)));
        }

        return labels;
    }

    public async Task WriteAsync(LabelBatch batch, IReadOnlyList<PreferencePair> siblingPairs, DateTime computedAt, CancellationToken cancellationToken)
    {
        if (batch.Labels.Count > 0)
        {
            await client.InsertBinaryAsync("response_labels", LabelColumns, batch.Labels.Select(l => new object[]
            {
                l.LabelId, l.AppId, l.ResponseId, l.ConversationId, l.UserId, l.ModelVersion, l.PromptKey, l.PromptText, l.ResponseText,
                (uint)l.TurnIndex, l.RegeneratedFrom, (uint)l.CandidateIndex, l.ServedAt.UtcDateTime, l.LastSignalAt.UtcDateTime, l.Love, l.LoveWeight,
                l.Dislike, l.DislikeWeight, l.OtherReactions.ToArray(), l.FollowupPolarity, l.FollowupKind, l.FollowupPSat, l.FollowupPDsat,
                l.Actions.ToArray(), l.Score, l.Confidence, (uint)l.SignalEvents, (uint)l.DroppedSignals, (uint)l.LateEvents, l.Rules.ToArray(),
                l.EvidenceEventIds.ToArray(), computedAt, l.Surface, l.LatencyMs,
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

    private static long Long(System.Data.Common.DbDataReader reader, int i) => Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
