using FeedbackStream.Followups.Eurtad;
using FeedbackStream.Followups.Evaluation;

namespace FeedbackStream.Followups.Tests;

public sealed class FollowupEvaluationTests
{
    [Fact]
    public void Run_ReportsEveryClassifierOnTheSeedHoldout_AndOnEurtadWhenPresent()
    {
        var directory = FollowupDataLocator.FindEurtad();
        var present = EurtadCorpus.IsPresent(directory);

        var report = FollowupEvaluation.Run(new FollowupEvaluationOptions { EurtadDirectory = directory, IncludeNgramOnlyModel = false }, TestContext.Current.CancellationToken);

        Assert.Equal(["model", "lexicon", "combined"], report.SeedHoldout.Classifiers.Take(3).Select(c => c.Classifier));
        Assert.StartsWith("majority_baseline", report.SeedHoldout.Classifiers[^1].Classifier, StringComparison.Ordinal);
        var model = report.SeedHoldout.Classifiers[0];
        Assert.All(report.SeedHoldout.Classifiers, c => Assert.InRange(c.Polarity.MacroF1, 0.0, 1.0));
        Assert.Equal(FollowupKinds.All, model.Kind!.PerClass.Select(c => c.Label));
        Assert.NotNull(report.SeedHoldout.Classifiers[2].ModelShare);
        Assert.NotEmpty(report.Protocol);
        if (present)
        {
            Assert.NotNull(report.Eurtad);
            Assert.Null(report.EurtadSkippedReason);
            Assert.Equal(["dsat", "non_dsat"], report.Eurtad!.Classifiers[0].Polarity.PerClass.Select(c => c.Label));
            Assert.True(report.Training.RowsBySource.ContainsKey(LabelledFollowup.EurtadReactionSource));
            Assert.Equal(5, report.Eurtad.Classifiers[0].Breakdown.Count);
        }
        else
        {
            Assert.Null(report.Eurtad);
            Assert.Contains("EURTAD not found", report.EurtadSkippedReason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Run_WithoutEurtad_TrainsOnSeedOnlyAndSaysSo()
    {
        var report = FollowupEvaluation.Run(new FollowupEvaluationOptions { EurtadDirectory = Path.Combine(Path.GetTempPath(), "no-such-eurtad"), IncludeNgramOnlyModel = false }, TestContext.Current.CancellationToken);

        Assert.Null(report.Eurtad);
        Assert.Contains("no-such-eurtad", report.EurtadSkippedReason, StringComparison.Ordinal);
        Assert.Equal([LabelledFollowup.SeedSource], report.Training.RowsBySource.Keys);
    }

    [Fact]
    public void RowWeights_BalanceKinds_AndDownweightContextRows()
    {
        LabelledFollowup Row(string kind, string source) => new("t", FollowupKinds.PolarityOf(kind), kind, source, []);
        var rows = new List<LabelledFollowup> { Row(FollowupKinds.Gratitude, LabelledFollowup.SeedSource) };
        rows.AddRange(Enumerable.Repeat(Row(FollowupKinds.Neutral, LabelledFollowup.SeedSource), 3));

        var weights = FollowupEvaluation.RowWeights(rows, new FollowupEvaluationOptions { KindBalanceExponent = 1.0, ContextRowWeight = 0.5f });

        // total 4, two kinds: gratitude 4 / (2 x 1) = 2, neutral 4 / (2 x 3) = 2/3.
        Assert.Equal(2f, weights(rows[0]), 5);
        Assert.Equal(2f / 3, weights(rows[1]), 5);
        Assert.Equal(0.5f * 2f / 3, weights(Row(FollowupKinds.Neutral, LabelledFollowup.EurtadContextSource)), 5);
    }
}
