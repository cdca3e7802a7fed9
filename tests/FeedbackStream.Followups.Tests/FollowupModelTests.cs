using FeedbackStream.Followups.Evaluation;
using FeedbackStream.Followups.Model;

namespace FeedbackStream.Followups.Tests;

public sealed class FollowupModelTests(SeedModelFixture fixture) : IClassFixture<SeedModelFixture>
{
    /// <summary>
    /// Mechanics, not quality: a model whose features or labels were misaligned could not fit the rows it was trained on.
    /// How well it generalises is measured by <c>eval followups</c> on held-out data, not asserted here.
    /// </summary>
    [Fact]
    public void Model_FitsTheRowsItWasTrainedOn_FarBeyondTheMajorityClass()
    {
        var texts = fixture.Train.Select(r => r.Text).ToList();
        var gold = fixture.Train.Select(r => r.Polarity.Name()).ToList();
        var predicted = fixture.Model.ClassifyMany(texts).Select(c => c.Polarity.Name()).ToList();
        var majority = fixture.Train.GroupBy(r => r.Polarity).OrderByDescending(g => g.Count()).First().Key.Name();

        var model = ClassificationMetrics.Compute(gold, predicted, ["sat", "dsat", "neutral"]);
        var baseline = ClassificationMetrics.Compute(gold, Enumerable.Repeat(majority, gold.Count).ToList(), ["sat", "dsat", "neutral"]);

        Assert.True(model.MacroF1 >= baseline.MacroF1 + 0.4, $"model {model.MacroF1:0.000} on its own training rows vs majority baseline {baseline.MacroF1:0.000}");
    }

    [Fact]
    public void Train_SameSeedSameRows_GivesIdenticalPredictions()
    {
        var again = FollowupModel.Train(fixture.Train, SeedModelFixture.Options);
        var texts = fixture.HeldOut.Select(r => r.Text).ToList();

        var first = fixture.Model.ClassifyMany(texts);
        var second = again.ClassifyMany(texts);

        Assert.Equal(first.Select(c => (c.Kind, c.PSat, c.PDsat, c.PNeutral)), second.Select(c => (c.Kind, c.PSat, c.PDsat, c.PNeutral)));
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalPredictions()
    {
        using var stream = new MemoryStream();
        fixture.Model.Save(stream);
        Assert.True(stream.Length > 1000);
        stream.Position = 0;

        var loaded = FollowupModel.Load(stream);

        var texts = fixture.HeldOut.Take(40).Select(r => r.Text).Append("Thanks, but that's wrong.").ToList();
        Assert.Equal(fixture.Model.Kinds, loaded.Kinds);
        Assert.Equal(
            fixture.Model.ClassifyMany(texts).Select(c => (c.Kind, c.PSat, c.PDsat, c.PNeutral)),
            loaded.ClassifyMany(texts).Select(c => (c.Kind, c.PSat, c.PDsat, c.PNeutral)));
        Assert.Equal(fixture.Model.Classify(texts[0]).PSat, loaded.Classify(texts[0]).PSat);
    }

    [Fact]
    public void Load_FromNonSeekableStream_Works()
    {
        using var buffer = new MemoryStream();
        fixture.Model.Save(buffer);
        using var forwardOnly = new ForwardOnlyStream(buffer.ToArray());

        var loaded = FollowupModel.Load(forwardOnly);

        Assert.Equal(fixture.Model.Classify("perfect, thanks!").Kind, loaded.Classify("perfect, thanks!").Kind);
    }

    [Fact]
    public void Load_Garbage_Throws()
    {
        using var garbage = new MemoryStream([1, 2, 3, 4, 5]);

        Assert.ThrowsAny<Exception>(() => FollowupModel.Load(garbage));
    }

    [Fact]
    public void Classify_SingleAndBatch_Agree_AndAreConsistent()
    {
        var single = fixture.Model.Classify("This is useless, try again.");
        var batch = fixture.Model.ClassifyMany(["This is useless, try again."])[0];

        Assert.Equal(single.Kind, batch.Kind);
        Assert.Equal(single.PDsat, batch.PDsat, 6);
        Assert.Equal(1.0, single.PSat + single.PDsat + single.PNeutral, 5);
        Assert.Equal(FollowupKinds.PolarityOf(single.Kind), single.Polarity);
        Assert.Equal(FollowupClassification.ModelMethod, single.Method);
    }

    [Fact]
    public void Train_SingleKind_Throws() =>
        Assert.Throws<ArgumentException>(() => FollowupModel.Train(fixture.Train.Where(r => r.Kind == FollowupKinds.Gratitude)));

    [Fact]
    public void Combined_WithoutModel_AlwaysUsesLexicon()
    {
        var combined = new CombinedFollowupClassifier(null);

        var result = combined.Classify("Thanks a lot!");

        Assert.False(combined.HasModel);
        Assert.Equal(FollowupClassification.LexiconMethod, result.Method);
        Assert.Equal(Polarity.Sat, result.Polarity);
    }

    [Fact]
    public void Combined_ThresholdDecidesBetweenModelAndLexicon()
    {
        var alwaysModel = new CombinedFollowupClassifier(fixture.Model, confidenceThreshold: 0.0);
        var neverModel = new CombinedFollowupClassifier(fixture.Model, confidenceThreshold: 1.0);
        const string Utterance = "hmm, I wonder about that";

        var model = alwaysModel.Classify(Utterance);
        var lexicon = neverModel.Classify(Utterance);

        Assert.Equal(FollowupClassification.ModelMethod, model.Method);
        Assert.Contains(model.Evidence, e => e.StartsWith("model ", StringComparison.Ordinal));
        Assert.Equal(FollowupClassification.LexiconMethod, lexicon.Method);
        Assert.Contains(lexicon.Evidence, e => e.StartsWith("model not confident", StringComparison.Ordinal));
        Assert.Equal(alwaysModel.ClassifyMany([Utterance])[0].Method, model.Method);
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
