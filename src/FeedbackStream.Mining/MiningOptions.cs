namespace FeedbackStream.Mining;

/// <summary>Stream-level denoising rules (methods.md §3), each with a documented default. Configuration section <c>Mining:Denoising</c>.</summary>
public sealed class DenoisingOptions
{
    /// <summary>Master switch; off means every signal is kept with weight 1 (used to measure what denoising buys).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Reading-time floor: a reaction sooner than this after the response was shown is implausible.</summary>
    public TimeSpan MinReadingTime { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Skimming speed: plausible time also grows with length at this many characters per second.</summary>
    public double SkimCharsPerSecond { get; set; } = 200;

    /// <summary>A user with at least this many reactions in the profile window can be judged a bot or spammer.</summary>
    public int BotMinReactions { get; set; } = 40;

    /// <summary>... and is one when at least this share of their reactions is the same reaction (uniform) ...</summary>
    public double BotUniformity { get; set; } = 0.97;

    /// <summary>... or when they react faster than this many times in one minute (volume).</summary>
    public int BotMaxReactionsPerMinute { get; set; } = 20;

    /// <summary>A response that draws reactions from at least this many distinct users within <see cref="BrigadeWindow"/> is brigaded.</summary>
    public int BrigadeMinUsers { get; set; } = 4;

    public TimeSpan BrigadeWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Pseudo-count of the global base rate mixed into each user's rate (empirical-Bayes smoothing).</summary>
    public double BaseRatePriorStrength { get; set; } = 10;

    /// <summary>
    /// Base-rate weighting judges a user only with at least this many reactions of theirs in the profile window: a rate
    /// read from one or two reactions is an anecdote, not a habit.
    /// </summary>
    public int BaseRateMinReactions { get; set; } = 20;

    /// <summary>
    /// ... over at least this many responses served to them: a user's rate is reactions per served response, so someone
    /// who was never served a response (a reviewer, a shared link) has no rate and is never reweighted.
    /// </summary>
    public int BaseRateMinServed { get; set; } = 20;

    /// <summary>Lowest weight base-rate reweighting gives a signal (a Love from a user who loves everything).</summary>
    public double MinWeight { get; set; } = 0.1;

    /// <summary>The first setting that is out of range, with why; null when every setting is usable.</summary>
    public string? Validate() =>
        MinReadingTime < TimeSpan.Zero ? $"{nameof(MinReadingTime)} must not be negative"
        : SkimCharsPerSecond <= 0 ? $"{nameof(SkimCharsPerSecond)} must be positive"
        : BotMinReactions < 2 ? $"{nameof(BotMinReactions)} must be at least 2: one reaction is not a pattern"
        : BotUniformity is <= 0 or > 1 ? $"{nameof(BotUniformity)} must be in (0, 1]"
        : BotMaxReactionsPerMinute < 1 ? $"{nameof(BotMaxReactionsPerMinute)} must be at least 1"
        : BrigadeMinUsers < 2 ? $"{nameof(BrigadeMinUsers)} must be at least 2"
        : BrigadeWindow <= TimeSpan.Zero ? $"{nameof(BrigadeWindow)} must be positive"
        : BaseRatePriorStrength < 0 ? $"{nameof(BaseRatePriorStrength)} must not be negative"
        : BaseRateMinReactions < 2 ? $"{nameof(BaseRateMinReactions)} must be at least 2: one reaction is not a rate"
        : BaseRateMinServed < 2 ? $"{nameof(BaseRateMinServed)} must be at least 2: one served response is not a rate"
        : MinWeight is <= 0 or > 1 ? $"{nameof(MinWeight)} must be in (0, 1]"
        : null;
}

/// <summary>Labelling and mining settings. Configuration section <c>Mining</c>.</summary>
public sealed class MiningOptions
{
    /// <summary>A response's label is final once nothing happened on it for this long; later events re-finalise it and are counted.</summary>
    public TimeSpan SettleWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long past <see cref="SettleWindow"/> a settled response may wait for its label before the invariant check
    /// (<c>feedbackstream check labels</c>) and the reconciliation sweep count it as a violation.
    /// </summary>
    public TimeSpan SettleGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Mine pairs across apps (same prompt in two apps). Off by default: apps serve different audiences.</summary>
    public bool PairAcrossApps { get; set; }

    /// <summary>Pairs below this confidence are not emitted.</summary>
    public double MinPairConfidence { get; set; } = 0.3;

    /// <summary>Minimum net score gap (chosen minus rejected) for a same-prompt sibling pair.</summary>
    public double MinSiblingMargin { get; set; } = 0.5;

    /// <summary>
    /// Same-prompt siblings whose scores do not disagree in sign (both liked, say 5 loves against 2 loves and 3
    /// dislikes) are still paired when <see cref="PreferenceJudge"/> puts the probability that one's approval is higher
    /// at least this high (null: only sign-disagreeing siblings, as before).
    /// </summary>
    public double? MinJudgeProbability { get; set; } = 0.9;

    /// <summary>Follow-ups below this classifier confidence count as neutral.</summary>
    public double MinFollowupConfidence { get; set; } = 0.6;

    public DenoisingOptions Denoising { get; set; } = new();
}
