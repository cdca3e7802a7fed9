using System.Globalization;
using FeedbackStream.Contracts;

namespace FeedbackStream.Mining;

/// <summary>
/// Joins signals to the responses they are about, denoises them and labels every settled response; mines the pairs
/// that live inside one conversation (regeneration, edit). Pure and deterministic: the same events, profiles and
/// clock give the same labels, decisions and pairs, in any arrival order.
/// </summary>
/// <remarks>
/// Rules, in order (each decision is recorded):
/// <list type="number">
/// <item><c>duplicate</c>: a second copy of an event_id is dropped.</item>
/// <item><c>bot</c>: a user whose reactions are nearly all the same (uniformity) over enough reactions, or who reacts
/// faster than a person can (volume per minute), has every reaction and follow-up dropped.</item>
/// <item><c>brigade</c>: a response drawing reactions from many distinct users in a short window keeps only its own
/// user's reactions.</item>
/// <item><c>too_fast</c>: a reaction sooner after the response was shown than a plausible reading time for its length is dropped.</item>
/// <item><c>toggle</c>: set-then-cleared reactions resolve to the final state per user, response and reaction.</item>
/// <item><c>base_rate</c>: a Love (or dislike) from a user who gives it to most responses weighs less:
/// weight = clamp((1 − p_user) / (1 − p_population), MinWeight, 1), with p_user (reactions per response served to the
/// user) smoothed toward the population rate; only users with enough history are judged (BaseRateMinReactions
/// reactions over BaseRateMinServed served responses), and the reason quotes the counts and rates.</item>
/// </list>
/// Score of a response (documented weights; love and dislike count once per response, at the highest weight, while
/// <see cref="ResponseLabel.PositiveEvidence"/> and <see cref="ResponseLabel.NegativeEvidence"/> add up every distinct
/// user's signals for <see cref="PreferenceJudge"/>): love +1·w, like +0.5, laugh/wow +0.3, sad/angry −0.5, dislike −1·w,
/// follow-up +1·P(SAT) − 1·P(DSAT), copy +0.3, share +0.5, regenerate −0.7, edit −0.3, stop −0.5, report −1.
/// </remarks>
public sealed class SignalLabeler(MiningOptions options, IFollowupScorer followups)
{
    private readonly DenoisingOptions _denoise = options.Denoising;

    private readonly SettlePolicy _settle = SettlePolicy.From(options);

    /// <summary>
    /// Labels every settled served response among <paramref name="stored"/>. Responses and signals are joined by
    /// (app_id, conversation_id, response_id): an event of one app never attaches to another app's response, whatever
    /// ids it carries. A response that has not settled by <see cref="SettlePolicy"/> is reported in
    /// <see cref="LabelBatch.Pending"/> with the instant it settles.
    /// </summary>
    public LabelBatch Label(IEnumerable<StoredEvent> stored, IReadOnlyDictionary<string, UserProfile> profiles, PopulationRates population, DateTimeOffset now)
    {
        var decisions = new List<SignalDecision>();
        var unique = new Dictionary<(string App, string EventId), StoredEvent>();
        foreach (var item in stored.OrderBy(s => s.ArrivedAt).ThenBy(s => s.Event.EventId, StringComparer.Ordinal))
        {
            if (!unique.TryAdd((item.Event.AppId, item.Event.EventId), item))
            {
                decisions.Add(Decide(item.Event, "duplicate", DecisionAction.Dropped, 0, "a copy of this event_id was already counted"));
            }
        }

        var events = unique.Values.OrderBy(s => s.Event.OccurredAt).ThenBy(s => s.Event.EventId, StringComparer.Ordinal).ToList();
        var served = new Dictionary<ResponseKey, StoredEvent>();
        foreach (var s in events.Where(s => s.Event.Payload is ResponseServed))
        {
            served.TryAdd(ResponseKey.Of(s.Event), s);
        }

        var signalsByResponse = events
            .Where(s => s.Event.Payload is not ResponseServed)
            .GroupBy(s => ResponseKey.Of(s.Event))
            .ToDictionary(g => g.Key, g => g.ToList());
        var orphans = signalsByResponse.Where(p => !served.ContainsKey(p.Key)).Sum(p => p.Value.Count);

        var labels = new List<ResponseLabel>();
        var labelByKey = new Dictionary<ResponseKey, ResponseLabel>();
        var pending = new List<PendingResponse>();
        foreach (var (key, servedEvent) in served.OrderBy(p => p.Key.AppId, StringComparer.Ordinal).ThenBy(p => p.Key.ResponseId, StringComparer.Ordinal))
        {
            var signals = signalsByResponse.GetValueOrDefault(key) ?? [];
            var lastActivity = signals.Select(s => s.Event.OccurredAt).Append(servedEvent.Event.OccurredAt).Max();
            if (!_settle.IsSettled(lastActivity, now))
            {
                pending.Add(new PendingResponse(key.AppId, key.ConversationId, key.ResponseId, _settle.DueAt(lastActivity)));
                continue;
            }

            var label = LabelResponse(servedEvent, signals, profiles, population, decisions);
            labels.Add(label);
            labelByKey[key] = label;
        }

        var pairs = new List<PreferencePair>();
        pairs.AddRange(RegenerationPairs(labelByKey));
        pairs.AddRange(EditPairs(labelByKey, signalsByResponse, decisions));
        return new LabelBatch(labels, decisions, pairs.Where(p => p.Confidence >= options.MinPairConfidence).ToList(), pending.Count, orphans) { Pending = pending };
    }

    private ResponseLabel LabelResponse(
        StoredEvent servedEvent, List<StoredEvent> signals, IReadOnlyDictionary<string, UserProfile> profiles, PopulationRates population, List<SignalDecision> decisions)
    {
        var e = servedEvent.Event;
        var payload = (ResponseServed)e.Payload;
        var kept = new List<(StoredEvent Signal, double Weight)>();
        var dropped = 0;
        var rules = new SortedSet<string>(StringComparer.Ordinal);

        // Brigade: many distinct users reacting within the window; the response's own user keeps their reactions.
        var brigaded = false;
        var burstUsers = 0;
        if (_denoise.Enabled)
        {
            var reacting = signals.Where(s => s.Event.Payload is ReactionSet).OrderBy(s => s.Event.OccurredAt).ToList();
            for (var i = 0; i < reacting.Count && !brigaded; i++)
            {
                var windowEnd = reacting[i].Event.OccurredAt + _denoise.BrigadeWindow;
                burstUsers = reacting.Skip(i).TakeWhile(s => s.Event.OccurredAt <= windowEnd).Select(s => s.Event.UserId).Distinct(StringComparer.Ordinal).Count();
                brigaded = burstUsers >= _denoise.BrigadeMinUsers;
            }
        }

        foreach (var signal in signals)
        {
            var se = signal.Event;
            var profile = profiles.GetValueOrDefault(se.UserId);
            if (_denoise.Enabled && profile is not null && IsBot(profile, out var why) && se.Payload is ReactionSet or ReactionCleared or FollowupSent)
            {
                decisions.Add(Decide(se, "bot", DecisionAction.Dropped, 0, why));
                rules.Add("bot");
                dropped++;
                continue;
            }

            if (brigaded && se.Payload is ReactionSet or ReactionCleared && se.UserId != e.UserId)
            {
                decisions.Add(Decide(se, "brigade", DecisionAction.Dropped, 0,
                    $"{burstUsers} distinct users reacted within {_denoise.BrigadeWindow} (brigade from {_denoise.BrigadeMinUsers}); only the conversation's user counts"));
                rules.Add("brigade");
                dropped++;
                continue;
            }

            if (_denoise.Enabled && se.Payload is ReactionSet set)
            {
                var shown = set.ShownToReactionMs is { } ms ? TimeSpan.FromMilliseconds(ms) : se.OccurredAt - e.OccurredAt;
                var plausible = _denoise.MinReadingTime + TimeSpan.FromSeconds(payload.ResponseText.Length / _denoise.SkimCharsPerSecond);
                if (shown < plausible)
                {
                    decisions.Add(Decide(se, "too_fast", DecisionAction.Dropped, 0,
                        string.Create(CultureInfo.InvariantCulture, $"{shown.TotalMilliseconds:F0} ms after showing a {payload.ResponseText.Length}-character response; plausible from {plausible.TotalMilliseconds:F0} ms")));
                    rules.Add("too_fast");
                    dropped++;
                    continue;
                }
            }

            kept.Add((signal, 1.0));
        }

        // Toggles: per user and reaction, the final state wins.
        var reactionsKept = new List<(StoredEvent Signal, Reaction Reaction)>();
        foreach (var group in kept.Where(k => k.Signal.Event.Payload is ReactionSet or ReactionCleared)
                     .GroupBy(k => (k.Signal.Event.UserId, ReactionOf(k.Signal.Event.Payload))))
        {
            var ordered = group.OrderBy(k => k.Signal.Event.OccurredAt).ThenBy(k => k.Signal.Event.EventId, StringComparer.Ordinal).ToList();
            var last = ordered[^1];
            foreach (var earlier in ordered.Take(ordered.Count - 1))
            {
                decisions.Add(Decide(earlier.Signal.Event, "toggle", DecisionAction.Dropped, 0, "superseded by a later set or clear of the same reaction"));
                dropped++;
            }

            if (last.Signal.Event.Payload is ReactionSet)
            {
                reactionsKept.Add((last.Signal, group.Key.Item2));
            }
            else
            {
                decisions.Add(Decide(last.Signal.Event, "toggle", DecisionAction.Dropped, 0, "the reaction was cleared: it counts as absent"));
                dropped++;
            }

            if (ordered.Count > 1 || last.Signal.Event.Payload is ReactionCleared)
            {
                rules.Add("toggle");
            }
        }

        double loveWeight = 0, dislikeWeight = 0, score = 0, positive = 0, negative = 0;
        var others = new SortedSet<string>(StringComparer.Ordinal);
        var evidence = new List<string> { e.EventId };
        foreach (var (signal, reaction) in reactionsKept)
        {
            evidence.Add(signal.Event.EventId);

            // Only the reacting user's own history can discount their reaction (never the conversation owner's).
            var profile = profiles.GetValueOrDefault(signal.Event.UserId);
            switch (reaction)
            {
                case Reaction.Love:
                    var love = Weight(profile, p => p.Loves, population.LoveRate, "love");
                    loveWeight = Math.Max(loveWeight, love.Weight);
                    positive += love.Weight;
                    RecordWeight(signal.Event, love, decisions, rules);
                    break;
                case Reaction.Dislike:
                    var dislike = Weight(profile, p => p.Dislikes, population.DislikeRate, "dislike");
                    dislikeWeight = Math.Max(dislikeWeight, dislike.Weight);
                    negative += dislike.Weight;
                    RecordWeight(signal.Event, dislike, decisions, rules);
                    break;
                default:
                    others.Add(reaction.ToWireName());
                    decisions.Add(Decide(signal.Event, "kept", DecisionAction.Kept, 1, "counted"));
                    var value = reaction switch
                    {
                        Reaction.Like => 0.5,
                        Reaction.Laugh or Reaction.Wow => 0.3,
                        _ => -0.5,
                    };
                    score += value;
                    positive += Math.Max(0, value);
                    negative += Math.Max(0, -value);
                    break;
            }
        }

        score += loveWeight - dislikeWeight;

        // Follow-ups by the conversation's user: the most confident one counts.
        FollowupScore? followup = null;
        foreach (var (signal, _) in kept.Where(k => k.Signal.Event.Payload is FollowupSent))
        {
            evidence.Add(signal.Event.EventId);
            var scored = followups.Score(((FollowupSent)signal.Event.Payload).Text);
            decisions.Add(Decide(signal.Event, "kept", DecisionAction.Kept, 1, $"follow-up classified {scored.Polarity}/{scored.Kind}"));
            if (followup is null || Math.Abs(scored.PSat - scored.PDsat) > Math.Abs(followup.Value.PSat - followup.Value.PDsat))
            {
                followup = scored;
            }
        }

        var confidentFollowup = followup is { } f && Math.Max(f.PSat, f.PDsat) >= options.MinFollowupConfidence ? f : (FollowupScore?)null;
        if (confidentFollowup is { } cf)
        {
            score += cf.PSat - cf.PDsat;
            positive += cf.PSat;
            negative += cf.PDsat;
        }

        var actions = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (signal, _) in kept.Where(k => k.Signal.Event.Payload is ResponseAction))
        {
            var action = (ResponseAction)signal.Event.Payload;
            evidence.Add(signal.Event.EventId);
            decisions.Add(Decide(signal.Event, "kept", DecisionAction.Kept, 1, "counted"));
            if (actions.Add(action.Action.ToWireName()))
            {
                var value = action.Action switch
                {
                    ActionKind.Copy => 0.3,
                    ActionKind.Share => 0.5,
                    ActionKind.Regenerate => -0.7,
                    ActionKind.Edit => -0.3,
                    ActionKind.Stop => -0.5,
                    _ => -1.0,
                };
                score += value;
                positive += Math.Max(0, value);
                negative += Math.Max(0, -value);
            }
        }

        var signalCount = reactionsKept.Count + actions.Count + (confidentFollowup is null ? 0 : 1);
        var confidence = signalCount == 0 ? 0 : Math.Clamp(0.5 + (0.5 * Math.Tanh(Math.Abs(score))), 0, 1) * Math.Max(0.25, Math.Max(loveWeight, Math.Max(dislikeWeight, confidentFollowup is null ? 0.5 : 1)));
        var lastSignalAt = signals.Select(s => s.Event.OccurredAt).Append(e.OccurredAt).Max();
        var late = signals.Count(s => s.ArrivedAt - s.Event.OccurredAt > options.SettleWindow);
        return new ResponseLabel(
            Ids.Of("label", e.AppId, payload.ResponseId),
            e.AppId,
            payload.ResponseId,
            e.ConversationId,
            e.UserId,
            payload.ModelVersion,
            Ids.PromptKey(e.AppId, payload.PromptText, payload.PromptHash, options.PairAcrossApps),
            payload.PromptText ?? "",
            payload.ResponseText,
            payload.TurnIndex,
            payload.RegeneratedFrom ?? "",
            payload.CandidateIndex,
            e.OccurredAt,
            lastSignalAt,
            loveWeight > 0,
            Math.Round(loveWeight, 4),
            dislikeWeight > 0,
            Math.Round(dislikeWeight, 4),
            others.ToList(),
            confidentFollowup?.Polarity ?? (followup is null ? "" : "neutral"),
            confidentFollowup?.Kind ?? "",
            Math.Round(followup?.PSat ?? 0, 4),
            Math.Round(followup?.PDsat ?? 0, 4),
            actions.ToList(),
            Math.Round(score, 4),
            Math.Round(confidence, 4),
            signals.Count,
            dropped,
            late,
            rules.ToList(),
            evidence,
            payload.Surface ?? "",
            payload.LatencyMs ?? 0,
            Math.Round(positive, 4),
            Math.Round(negative, 4));
    }

    private bool IsBot(UserProfile profile, out string why)
    {
        if (profile.Reactions >= _denoise.BotMinReactions && profile.DominantShare >= _denoise.BotUniformity)
        {
            why = string.Create(CultureInfo.InvariantCulture, $"{profile.DominantShare:P0} of {profile.Reactions} reactions are the same reaction (uniformity: a bot from {_denoise.BotUniformity:P0} of at least {_denoise.BotMinReactions})");
            return true;
        }

        if (profile.PeakReactionsPerMinute > _denoise.BotMaxReactionsPerMinute)
        {
            why = string.Create(CultureInfo.InvariantCulture, $"{profile.PeakReactionsPerMinute} reactions within one minute (volume: a bot above {_denoise.BotMaxReactionsPerMinute})");
            return true;
        }

        why = "";
        return false;
    }

    /// <summary>
    /// Base-rate weight of one reaction by its user: below 1 only when the user's own history says they give this
    /// reaction more often than the population, and only on enough of it (at least
    /// <see cref="DenoisingOptions.BaseRateMinReactions"/> reactions over at least <see cref="DenoisingOptions.BaseRateMinServed"/>
    /// served responses). The reason quotes the counts and rates the weight came from.
    /// </summary>
    internal (double Weight, string Reason) Weight(UserProfile? profile, Func<UserProfile, long> count, double populationRate, string what)
    {
        if (!_denoise.Enabled || profile is null || populationRate is <= 0 or >= 1)
        {
            return (1, "counted");
        }

        if (profile.Reactions < _denoise.BaseRateMinReactions || profile.ResponsesServed < _denoise.BaseRateMinServed)
        {
            return (1, string.Create(CultureInfo.InvariantCulture,
                $"counted: too little history for a base rate ({profile.Reactions} reactions over {profile.ResponsesServed} served responses; needs {_denoise.BaseRateMinReactions} over {_denoise.BaseRateMinServed})"));
        }

        var k = _denoise.BaseRatePriorStrength;
        var given = count(profile);
        var rate = Math.Min(1, (given + (k * populationRate)) / (profile.ResponsesServed + k));
        var weight = Math.Clamp((1 - rate) / (1 - populationRate), _denoise.MinWeight, 1);
        return weight < 0.999
            ? (weight, string.Create(CultureInfo.InvariantCulture,
                $"this user gave {what} to {given} of {profile.ResponsesServed} responses served to them ({given / (double)profile.ResponsesServed:P1}, smoothed {rate:P1}) against {populationRate:P1} for all users: weight {weight:F2}"))
            : (1, "counted");
    }

    private static void RecordWeight(FeedbackEvent e, (double Weight, string Reason) weight, List<SignalDecision> decisions, SortedSet<string> rules)
    {
        if (weight.Weight < 0.999)
        {
            decisions.Add(Decide(e, "base_rate", DecisionAction.Reweighted, weight.Weight, weight.Reason));
            rules.Add("base_rate");
        }
        else
        {
            decisions.Add(Decide(e, "kept", DecisionAction.Kept, 1, weight.Reason));
        }
    }

    /// <summary>Regeneration: the user asked for another answer to the same turn; prefer the candidate they were happier with.</summary>
    private IEnumerable<PreferencePair> RegenerationPairs(Dictionary<ResponseKey, ResponseLabel> labels)
    {
        foreach (var child in labels.Values.Where(l => l.RegeneratedFrom.Length > 0).OrderBy(l => l.AppId, StringComparer.Ordinal).ThenBy(l => l.ResponseId, StringComparer.Ordinal))
        {
            if (!labels.TryGetValue(new ResponseKey(child.AppId, child.ConversationId, child.RegeneratedFrom), out var parent) || parent.ResponseId == child.ResponseId)
            {
                continue;
            }

            // Asking for another answer is itself a judgement on the parent, already in its score (regenerate action).
            var margin = child.Score - parent.Score;
            if (Math.Abs(margin) < 0.3)
            {
                continue;
            }

            var (chosen, rejected) = margin > 0 ? (child, parent) : (parent, child);
            var confidence = Math.Clamp(0.55 + (0.4 * Math.Tanh(Math.Abs(margin) - 0.3)), 0, 0.98) * Math.Max(0.5, Math.Max(chosen.LoveWeight, 0.5));
            yield return Pair(chosen, rejected, PairSources.Regeneration, confidence, Math.Abs(margin));
        }
    }

    /// <summary>Edit: the user's edited text is preferred over the response they edited.</summary>
    private IEnumerable<PreferencePair> EditPairs(Dictionary<ResponseKey, ResponseLabel> labels, Dictionary<ResponseKey, List<StoredEvent>> signals, List<SignalDecision> decisions)
    {
        var kept = decisions.Where(d => d.Action != DecisionAction.Dropped).Select(d => (d.AppId, d.EventId)).ToHashSet();
        foreach (var (key, label) in labels.OrderBy(l => l.Key.AppId, StringComparer.Ordinal).ThenBy(l => l.Key.ResponseId, StringComparer.Ordinal))
        {
            foreach (var signal in (signals.GetValueOrDefault(key) ?? []).Where(s => s.Event.Payload is ResponseAction { Action: ActionKind.Edit } && kept.Contains((s.Event.AppId, s.Event.EventId))))
            {
                var edit = (ResponseAction)signal.Event.Payload;
                if (string.IsNullOrWhiteSpace(edit.EditedText) || edit.EditedText == label.ResponseText)
                {
                    continue;
                }

                var id = Ids.Of("pair", label.AppId, label.PromptKey, "edit:" + signal.Event.EventId, label.ResponseId, PairSources.Edit);
                yield return new PreferencePair(
                    id, label.AppId, label.PromptKey, label.PromptText, "edit:" + signal.Event.EventId, edit.EditedText, label.ResponseId, label.ResponseText,
                    PairSources.Edit, 0.8, 1, [signal.Event.EventId, .. label.EvidenceEventIds], [label.UserId]);
            }
        }
    }

    internal static PreferencePair Pair(ResponseLabel chosen, ResponseLabel rejected, string source, double confidence, double margin) => new(
        Ids.Of("pair", chosen.AppId, chosen.PromptKey, chosen.ResponseId, rejected.ResponseId, source),
        chosen.AppId,
        chosen.PromptKey,
        chosen.PromptText.Length > 0 ? chosen.PromptText : rejected.PromptText,
        chosen.ResponseId,
        chosen.ResponseText,
        rejected.ResponseId,
        rejected.ResponseText,
        source,
        Math.Round(confidence, 4),
        Math.Round(margin, 4),
        chosen.EvidenceEventIds.Concat(rejected.EvidenceEventIds).Distinct(StringComparer.Ordinal).ToList(),
        new[] { chosen.UserId, rejected.UserId }.Distinct(StringComparer.Ordinal).ToList());

    private static SignalDecision Decide(FeedbackEvent e, string rule, DecisionAction action, double weight, string reason) =>
        new(e.EventId, e.AppId, e.Payload.ResponseId(), e.UserId, rule, action, weight, reason);

    /// <summary>What a response is within a tenant: signals join their response on all three parts.</summary>
    private readonly record struct ResponseKey(string AppId, string ConversationId, string ResponseId)
    {
        public static ResponseKey Of(FeedbackEvent e) => new(e.AppId, e.ConversationId, e.Payload.ResponseId());
    }

    private static Reaction ReactionOf(EventPayload payload) => payload switch
    {
        ReactionSet p => p.Reaction,
        ReactionCleared p => p.Reaction,
        _ => throw new ArgumentOutOfRangeException(nameof(payload)),
    };
}
