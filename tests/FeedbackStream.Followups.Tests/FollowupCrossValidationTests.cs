using FeedbackStream.Followups.Evaluation;
using FeedbackStream.Followups.Seed;
using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Tests;

public sealed class FollowupCrossValidationTests
{
    [Fact]
    public void Run_ScoresEveryTrainingPartRowOnce_AndNeverAHeldOutRow()
    {
        var options = new FollowupEvaluationOptions
        {
            EurtadDirectory = Path.Combine(Path.GetTempPath(), "no-such-eurtad"),
            Model = new Model.FollowupModelOptions { MaximumIterations = 5 },
        };
        var (train, held) = FollowupSeedSet.Split(FollowupSeedSet.Load());

        var report = FollowupCrossValidation.Run(options, folds: 2, reduceLexicon: true, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(train.Count, report.SeedItems);
        Assert.Equal(train.Count, report.Items.Count);
        Assert.All(report.Items, i => Assert.InRange(i.Fold, 0, 1));
        var heldTexts = held.Select(r => FollowupText.Normalize(r.Text)).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(report.Items, i => heldTexts.Contains(FollowupText.Normalize(i.Row.Text)));
        Assert.Contains(report.Figures, f => f.Classifier == "combined@0.60");
        Assert.All(report.Figures, f => Assert.Null(f.EurtadDsatF1));
    }

    [Fact]
    public void ReducedLexicon_KeepsOnlyPhrasesThatFireOnTheGivenRows()
    {
        var rows = new[] { new LabelledFollowup("thanks a lot", Polarity.Sat, FollowupKinds.Gratitude, LabelledFollowup.SeedSource, []) };

        var reduced = FollowupCrossValidation.ReducedLexicon(rows);

        Assert.Equal(Polarity.Sat, reduced.Classify("thank you!").Polarity);
        Assert.Equal(Polarity.Neutral, reduced.Classify("That's wrong.").Polarity);
        Assert.Equal(Polarity.Dsat, Lexicon.LexiconClassifier.Default.Classify("That's wrong.").Polarity);
    }

    [Fact]
    public void Blend_AveragesThePolarityProbabilities()
    {
        var model = new FollowupClassification(Polarity.Sat, FollowupKinds.Praise, 0.6, 0.3, 0.1, FollowupClassification.ModelMethod, []);
        var lexicon = new FollowupClassification(Polarity.Dsat, FollowupKinds.FactualError, 0.1, 0.8, 0.1, FollowupClassification.LexiconMethod, []);

        var blend = FollowupCrossValidation.Blend(model, lexicon, 0.5);

        Assert.Equal(0.35, blend.PSat, 6);
        Assert.Equal(0.55, blend.PDsat, 6);
        Assert.Equal(Polarity.Dsat, blend.Polarity);
        Assert.Equal(FollowupKinds.FactualError, blend.Kind);
    }
}
