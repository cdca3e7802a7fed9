using FeedbackStream.Followups;
using FeedbackStream.Mining;

namespace FeedbackStream.Pipeline.Labeling;

/// <summary>The product's follow-up classifier as the mining domain's scorer.</summary>
public sealed class FollowupScorer(IFollowupClassifier classifier) : IFollowupScorer
{
    public FollowupScore Score(string text)
    {
        var result = classifier.Classify(text);
        return new FollowupScore(result.PSat, result.PDsat, result.Polarity.Name(), result.Kind);
    }
}
