using FeedbackStream.Contracts;

namespace FeedbackStream.Mining;

/// <summary>What a denoising rule did to one signal.</summary>
public enum DecisionAction
{
    Kept,
    Dropped,
    Reweighted,
}

/// <summary>One audited decision: which event, which rule, what it did and why (a row of <c>signal_decisions</c>).</summary>
public sealed record SignalDecision(string EventId, string AppId, string ResponseId, string UserId, string Rule, DecisionAction Action, double Weight, string Reason);

/// <summary>
/// A user's behaviour over the profile window, for the bot, spam and base-rate rules. Built in memory
/// (<see cref="UserProfiles.Build"/>) or by the same definitions in SQL over <c>events_raw</c>.
/// </summary>
/// <param name="ResponsesServed">Responses served to the user.</param>
/// <param name="Reactions">reaction.set events by the user.</param>
/// <param name="Loves">reaction.set love events.</param>
/// <param name="Dislikes">reaction.set dislike events.</param>
/// <param name="DominantShare">Share of the user's reactions that are their most frequent reaction.</param>
/// <param name="PeakReactionsPerMinute">Most reactions the user set within one clock minute.</param>
public sealed record UserProfile(string UserId, long ResponsesServed, long Reactions, long Loves, long Dislikes, double DominantShare, long PeakReactionsPerMinute);

/// <summary>Population rates per served response, the prior of base-rate weighting.</summary>
public sealed record PopulationRates(double LoveRate, double DislikeRate)
{
    public static PopulationRates Default { get; } = new(0.1, 0.05);
}

/// <summary>A follow-up utterance scored as satisfied, dissatisfied or neutral (methods.md §2).</summary>
public readonly record struct FollowupScore(double PSat, double PDsat, string Polarity, string Kind);

/// <summary>Scores follow-up utterances. The product's classifier (ML.NET model with a lexicon fallback) implements it.</summary>
public interface IFollowupScorer
{
    FollowupScore Score(string text);
}

/// <summary>
/// One served response after its settle window: the signals that survived denoising and what they add up to
/// (a row of <c>response_labels</c>; <see cref="LabelId"/> is deterministic, so recomputing replaces it).
/// <see cref="PositiveEvidence"/> and <see cref="NegativeEvidence"/> are the weighted sums of the signals for and against
/// the response over every distinct user who gave one (after denoising, with the weights of <see cref="Score"/>), the
/// counts <see cref="PreferenceJudge"/> compares; both 0 on rows written before they existed (the judge then reads
/// <see cref="Score"/>).
/// </summary>
public sealed record ResponseLabel(
    string LabelId,
    string AppId,
    string ResponseId,
    string ConversationId,
    string UserId,
    string ModelVersion,
    string PromptKey,
    string PromptText,
    string ResponseText,
    int TurnIndex,
    string RegeneratedFrom,
    int CandidateIndex,
    DateTimeOffset ServedAt,
    DateTimeOffset LastSignalAt,
    bool Love,
    double LoveWeight,
    bool Dislike,
    double DislikeWeight,
    IReadOnlyList<string> OtherReactions,
    string FollowupPolarity,
    string FollowupKind,
    double FollowupPSat,
    double FollowupPDsat,
    IReadOnlyList<string> Actions,
    double Score,
    double Confidence,
    int SignalEvents,
    int DroppedSignals,
    int LateEvents,
    IReadOnlyList<string> Rules,
    IReadOnlyList<string> EvidenceEventIds,
    string Surface = "",
    double LatencyMs = 0,
    double PositiveEvidence = 0,
    double NegativeEvidence = 0);

/// <summary>
/// A preference pair (a row of <c>preference_pairs</c>): for one prompt, the chosen and the rejected response, where
/// the pair came from, how confident it is, and the events behind it. <see cref="PairId"/> is deterministic.
/// </summary>
public sealed record PreferencePair(
    string PairId,
    string AppId,
    string PromptKey,
    string PromptText,
    string ChosenResponseId,
    string ChosenText,
    string RejectedResponseId,
    string RejectedText,
    string Source,
    double Confidence,
    double Margin,
    IReadOnlyList<string> EvidenceEventIds,
    IReadOnlyList<string> Users);

/// <summary>The outcome of labelling a set of conversations.</summary>
public sealed record LabelBatch(
    IReadOnlyList<ResponseLabel> Labels,
    IReadOnlyList<SignalDecision> Decisions,
    IReadOnlyList<PreferencePair> Pairs,
    int PendingResponses,
    int OrphanSignals)
{
    /// <summary>Served responses that have not settled yet, each with the instant it settles (<see cref="SettlePolicy.DueAt"/>).</summary>
    public IReadOnlyList<PendingResponse> Pending { get; init; } = [];
}

/// <summary>A served response still inside its settle window.</summary>
public sealed record PendingResponse(string AppId, string ConversationId, string ResponseId, DateTimeOffset DueAt);

/// <summary>Event sources of pairs.</summary>
public static class PairSources
{
    /// <summary>The user asked for another answer and preferred the new one (or went back to the first).</summary>
    public const string Regeneration = "regeneration";

    /// <summary>Two responses to the same prompt whose reactions (and follow-ups) disagree.</summary>
    public const string Siblings = "same_prompt_siblings";

    /// <summary>Two responses to the same prompt separated by follow-ups alone: one drew satisfaction, the other dissatisfaction.</summary>
    public const string Followup = "followup_sat_vs_dsat";

    /// <summary>The user's own edit of a response, preferred over the response.</summary>
    public const string Edit = "edit";
}

/// <summary>An event and when the pipeline stored it.</summary>
public readonly record struct StoredEvent(FeedbackEvent Event, DateTimeOffset IngestedAt)
{
    /// <summary>
    /// When the event arrived: the gateway's <c>received_at</c>, else when it was stored. Copies of one event_id are
    /// resolved, and late events counted, by it; a label computed from the consumed records and one computed from the
    /// stored rows agree, because both carry the same gateway stamp.
    /// </summary>
    public DateTimeOffset ArrivedAt => Event.ReceivedAt ?? IngestedAt;
}
