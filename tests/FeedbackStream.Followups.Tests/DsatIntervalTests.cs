using FeedbackStream.Followups.Evaluation;

namespace FeedbackStream.Followups.Tests;

/// <summary>The bootstrap intervals <c>eval followups</c> prints beside the DSAT F1 and the AUC of P(DSAT).</summary>
public sealed class DsatIntervalTests
{
    private static FollowupClassification Output(bool dsat, double pDsat) =>
        new(dsat ? Polarity.Dsat : Polarity.Neutral, dsat ? "style" : "neutral", 0, pDsat, 1 - pDsat, FollowupClassification.ModelMethod, []);

    [Fact]
    public void Intervals_hold_the_point_figures_and_are_the_same_on_every_run()
    {
        var random = new Random(4);
        var gold = Enumerable.Range(0, 300).Select(i => i % 5 == 0).ToList();
        var output = gold.Select(g => random.NextDouble() < 0.8 ? Output(g, g ? 0.7 + (random.NextDouble() * 0.3) : random.NextDouble() * 0.6) : Output(!g, 0.5)).ToList();

        var (f1, auc) = FollowupEvaluation.DsatIntervals(gold, output);
        var pointAuc = ClassificationMetrics.Auc(output.Select(o => o.PDsat).ToList(), gold);
        var pointF1 = ClassificationMetrics.Compute(gold.Select(g => g ? "dsat" : "other").ToList(), output.Select(o => o.Polarity == Polarity.Dsat ? "dsat" : "other").ToList(), ["dsat", "other"]).PerClass[0].F1;

        Assert.InRange(pointF1, f1.Low, f1.High);
        Assert.InRange(pointAuc, auc.Low, auc.High);
        Assert.True(f1.High - f1.Low is > 0 and < 0.3);
        Assert.Equal((f1, auc), FollowupEvaluation.DsatIntervals(gold, output));
    }

    [Fact]
    public void No_dsat_items_give_no_auc_interval_instead_of_failing()
    {
        var (_, auc) = FollowupEvaluation.DsatIntervals([false, false, false], [Output(false, 0.1), Output(true, 0.9), Output(false, 0.2)]);
        Assert.True(double.IsNaN(auc.Low) && double.IsNaN(auc.High));
    }
}
