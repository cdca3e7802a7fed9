namespace FeedbackStream.Followups;

/// <summary>Whether a follow-up utterance shows the user was satisfied, dissatisfied, or just moved on.</summary>
public enum Polarity
{
    /// <summary>Satisfied (WildFeedback SAT): thanks, praise, learning, closure, ...</summary>
    Sat,

    /// <summary>Dissatisfied (WildFeedback DSAT): complaints, corrections, repeats, ...</summary>
    Dsat,

    /// <summary>Neither: the next question or request, with no judgement of the previous response.</summary>
    Neutral,
}

/// <summary>
/// The follow-up kinds: the nine SAT and nine DSAT kinds of WildFeedback (methods.md §2) plus <see cref="Neutral"/>.
/// Kinds are snake_case strings so they travel unchanged through JSON, TSV and ClickHouse.
/// </summary>
public static class FollowupKinds
{
    public const string Gratitude = "gratitude";
    public const string Learning = "learning";
    public const string Compliance = "compliance";
    public const string Praise = "praise";
    public const string PersonalDetails = "personal_details";
    public const string Humor = "humor";
    public const string Acknowledgment = "acknowledgment";
    public const string PositiveClosure = "positive_closure";
    public const string GettingThere = "getting_there";

    public const string NegativeFeedback = "negative_feedback";
    public const string RevisionRequest = "revision_request";
    public const string FactualError = "factual_error";
    public const string UnrealisticExpectation = "unrealistic_expectation";
    public const string NoEngagement = "no_engagement";
    public const string Ignored = "ignored";
    public const string LowerQuality = "lower_quality";
    public const string InsufficientDetail = "insufficient_detail";
    public const string Style = "style";

    public const string Neutral = "neutral";

    /// <summary>The SAT kinds, in a fixed order.</summary>
    public static IReadOnlyList<string> Sat { get; } =
    [
        Gratitude, Learning, Compliance, Praise, PersonalDetails, Humor, Acknowledgment, PositiveClosure, GettingThere,
    ];

    /// <summary>The DSAT kinds, in a fixed order.</summary>
    public static IReadOnlyList<string> Dsat { get; } =
    [
        NegativeFeedback, RevisionRequest, FactualError, UnrealisticExpectation, NoEngagement, Ignored, LowerQuality, InsufficientDetail, Style,
    ];

    /// <summary>Every kind: SAT kinds, DSAT kinds, then neutral.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Sat, .. Dsat, Neutral];

    private static readonly Dictionary<string, Polarity> PolarityByKind = All.ToDictionary(
        k => k,
        k => k == Neutral ? Polarity.Neutral : Sat.Contains(k) ? Polarity.Sat : Polarity.Dsat,
        StringComparer.Ordinal);

    /// <summary>True when <paramref name="kind"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string kind) => PolarityByKind.ContainsKey(kind);

    /// <summary>The polarity a kind belongs to.</summary>
    /// <exception cref="ArgumentException">The kind is not one of <see cref="All"/>.</exception>
    public static Polarity PolarityOf(string kind) =>
        PolarityByKind.TryGetValue(kind, out var polarity) ? polarity : throw new ArgumentException($"Unknown follow-up kind '{kind}'.", nameof(kind));

    /// <summary>The polarity's name as used in reports: <c>sat</c>, <c>dsat</c>, <c>neutral</c>.</summary>
    public static string Name(this Polarity polarity) => polarity switch
    {
        Polarity.Sat => "sat",
        Polarity.Dsat => "dsat",
        Polarity.Neutral => "neutral",
        _ => throw new ArgumentOutOfRangeException(nameof(polarity), polarity, null),
    };

    /// <summary>Parses <c>sat</c>, <c>dsat</c> or <c>neutral</c> (case-insensitive).</summary>
    public static Polarity ParsePolarity(string value) => value.Trim().ToUpperInvariant() switch
    {
        "SAT" => Polarity.Sat,
        "DSAT" => Polarity.Dsat,
        "NEUTRAL" => Polarity.Neutral,
        _ => throw new FormatException($"Unknown polarity '{value}' (expected sat, dsat or neutral)."),
    };
}
