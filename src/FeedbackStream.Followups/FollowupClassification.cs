namespace FeedbackStream.Followups;

/// <summary>
/// What a follow-up utterance says about the response before it.
/// </summary>
/// <param name="Polarity">The most probable polarity.</param>
/// <param name="Kind">The most probable kind within that polarity (one of <see cref="FollowupKinds.All"/>).</param>
/// <param name="PSat">Probability the follow-up is SAT.</param>
/// <param name="PDsat">Probability the follow-up is DSAT.</param>
/// <param name="PNeutral">Probability the follow-up is neutral. The three probabilities sum to 1.</param>
/// <param name="Method"><c>model</c> (ML.NET) or <c>lexicon</c> (rules), whichever produced this result.</param>
/// <param name="Evidence">Why: matched lexicon phrases and rules, or the model's confidence.</param>
public sealed record FollowupClassification(
    Polarity Polarity,
    string Kind,
    double PSat,
    double PDsat,
    double PNeutral,
    string Method,
    IReadOnlyList<string> Evidence)
{
    public const string ModelMethod = "model";
    public const string LexiconMethod = "lexicon";

    /// <summary>
    /// The response reward from this follow-up, P(SAT) − P(DSAT) (methods.md §2, after FLR): in [−1, 1], 0 for a
    /// follow-up that says nothing either way.
    /// </summary>
    public double Reward => PSat - PDsat;

    /// <summary>The probability of the chosen polarity.</summary>
    public double Confidence => Polarity switch
    {
        Polarity.Sat => PSat,
        Polarity.Dsat => PDsat,
        _ => PNeutral,
    };
}

/// <summary>Classifies one follow-up utterance. Implementations are thread-safe.</summary>
public interface IFollowupClassifier
{
    FollowupClassification Classify(string utterance);
}
