using FeedbackStream.Simulator;
using FeedbackStream.Training.Evaluation;
using FeedbackStream.Training.Metrics;
using FeedbackStream.Training.Model;

namespace FeedbackStream.Training.Tests;

/// <summary>Training on simulated responses whose P[Love] is known (small sizes so each test takes seconds).</summary>
public sealed class LoveModelTests
{
    private static readonly DateTimeOffset Start = new(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Lazy<LoveSimulation> Data = new(() => LoveSimulator.Generate(new LoveSimulationOptions { Responses = 30_000, Seed = 5 }, Start));
    private static readonly LoveModelOptions Fast = new() { Iterations = 60, MinimumExamplesPerLeaf = 50 };

    [Fact]
    public void Model_LearnsTheTruth_AndIsCalibratedToTheBaseRate()
    {
        var outcome = TrainingRun.Run(Data.Value.Examples, Data.Value.Pairs, new TrainingRunOptions { Model = Fast, Compare = false }, cancellationToken: TestContext.Current.CancellationToken);
        var index = Data.Value.Examples.Select((e, i) => (e.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var bayes = BinaryMetrics.Auc(outcome.Test.Select(e => Data.Value.TrueProbability[index[e.Id]]).ToList(), outcome.Test.Select(e => e.Love).ToList());
        var m = outcome.Report.Metrics;
        Assert.True(m.Auc > bayes - 0.04, $"AUC {m.Auc:0.0000} vs Bayes-optimal {bayes:0.0000}");
        Assert.True(m.Ece < 0.03, $"ECE {m.Ece:0.0000}");
        Assert.InRange(m.MeanPrediction, m.BaseRate - 0.02, m.BaseRate + 0.02);
        Assert.True(Math.Abs(m.PearsonLength) < 0.15, $"Pearson(score, length) {m.PearsonLength:0.000}");
        Assert.Equal(4, outcome.Report.Versions.Count);
        Assert.NotNull(outcome.Report.OfflineOnlineCorrelation);
        Assert.True(outcome.Report.PairwiseModelAccuracy > 0.6, $"pairwise model {outcome.Report.PairwiseModelAccuracy}");
    }

    [Fact]
    public void Slices_AreChronological()
    {
        var outcome = TrainingRun.Run(Data.Value.Examples, [], new TrainingRunOptions { Model = Fast, Compare = false }, cancellationToken: TestContext.Current.CancellationToken);
        var w = outcome.Report.Window;
        Assert.True(outcome.Test.All(e => e.ServedAt >= w.TestFrom));
        Assert.True(w.CalibrationFrom <= w.TestFrom);
        Assert.Equal(Data.Value.Examples.Count, w.TrainRows + w.CalibrationRows + w.TestRows);
        Assert.Equal(Data.Value.Examples.Max(e => e.ServedAt), outcome.Test.Max(e => e.ServedAt));
    }

    [Fact]
    public void AutoLearner_IsLinearWithoutNgrams_BelowTheSmallDataSize_AndSavesAndLoads()
    {
        var options = new LoveModelOptions { SmallDataRows = 5_000 };
        Assert.Equal(LoveLearner.Auto, new LoveModelOptions().Learner);
        Assert.Equal(LoveLearner.Linear, options.LearnerFor(4_999));
        Assert.Equal(LoveLearner.LightGbm, options.LearnerFor(5_000));
        Assert.Equal(LoveLearner.SdcaLogistic, (options with { Learner = LoveLearner.SdcaLogistic }).LearnerFor(10));

        var rows = Data.Value.Examples;
        var model = LoveModel.Train(rows.Take(2_000).ToList(), rows.Skip(2_000).Take(500).ToList(), options, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Linear", model.Manifest.Learner);
        Assert.Empty(model.Featurizer.ResponseGrams);
        Assert.Empty(model.Featurizer.ContextGrams);

        var probe = rows.Skip(2_500).Take(200).ToList();
        var batch = model.Score(probe);
        var pooled = LoveModel.FromBytes(model.ToBytes()).ScoreWithEngine(probe);
        for (var i = 0; i < probe.Count; i++)
        {
            Assert.Equal(batch[i], pooled[i], 6);
        }

        // The dense features move the score: not one constant for every response.
        Assert.True(batch.Distinct().Count() > 20, $"{batch.Distinct().Count()} distinct scores");
    }

    [Fact]
    public void SavedModel_ScoresLikeTheOriginal_ThroughBatchAndEnginePool()
    {
        var rows = Data.Value.Examples;
        var model = LoveModel.Train(rows.Take(20_000).ToList(), rows.Skip(20_000).Take(5_000).ToList(), Fast, cancellationToken: TestContext.Current.CancellationToken);
        var probe = rows.Skip(25_000).Take(300).ToList();
        var batch = model.Score(probe);
        var copy = LoveModel.FromBytes(model.ToBytes());
        var pooled = copy.ScoreWithEngine(probe);
        for (var i = 0; i < probe.Count; i++)
        {
            Assert.Equal(batch[i], pooled[i], 6);
        }

        Assert.Equal(model.Manifest, copy.Manifest);
        Assert.Throws<InvalidDataException>(() => LoveModel.FromBytes([1, 2, 3, 4]));
    }

    [Fact]
    public void Bounded_KeepsEveryPositive_AndWeightsSampledNegatives()
    {
        var rows = Data.Value.Examples;
        var (kept, weights) = LoveModel.Bounded(rows, 15_000, seed: 7);
        Assert.Equal(rows.Count(e => e.Love), kept.Count(e => e.Love));
        Assert.InRange(kept.Count, 13_500, 16_500);
        var negativeWeight = kept.Select((e, i) => (e, i)).Where(x => !x.e.Love).Sum(x => weights[x.i]);
        Assert.InRange(negativeWeight, rows.Count(e => !e.Love) * 0.95, rows.Count(e => !e.Love) * 1.05);
        Assert.Equal(kept.Select(e => e.Id), LoveModel.Bounded(rows, 15_000, seed: 7).Rows.Select(e => e.Id));
    }

    [Fact]
    public void Upsampling_ReachesTheTargetShare_AndDenoisingReweightsOnlyPositives()
    {
        var rows = Data.Value.Examples.Take(5_000).ToList();
        var weights = LoveModel.UpsampledWeights(rows, rows.Select(r => 1.0).ToArray(), 0.3);
        var positive = rows.Select((r, i) => r.Love ? weights[i] : 0).Sum();
        Assert.Equal(0.3, positive / weights.Sum(), 3);

        var warm = rows.Select((r, i) => (i % 10) / 10.0 + 0.05).ToArray();
        var rce = LoveModel.Denoised(rows, weights, warm, new LoveModelOptions { Denoising = TrainingDenoising.Rce, RceBeta = 0.25 });
        Assert.Equal(positive, rows.Select((r, i) => r.Love ? rce[i] : 0).Sum(), 1);
        Assert.Equal(rows.Select((r, i) => r.Love ? 0 : weights[i]), rows.Select((r, i) => r.Love ? 0 : rce[i]));
        var lowest = Enumerable.Range(0, rows.Count).Where(i => rows[i].Love).MinBy(i => warm[i]);
        var highest = Enumerable.Range(0, rows.Count).Where(i => rows[i].Love).MaxBy(i => warm[i]);
        Assert.True(rce[lowest] < rce[highest]);

        var tce = LoveModel.Denoised(rows, weights, warm, new LoveModelOptions { Denoising = TrainingDenoising.Tce, TceDropRate = 0.1 });
        var dropped = Enumerable.Range(0, rows.Count).Count(i => rows[i].Love && tce[i] == 0);
        Assert.Equal((int)Math.Round(rows.Count(r => r.Love) * 0.1), dropped);
    }

    [Fact]
    public void TooFewLoves_IsAClearError()
    {
        var rows = Data.Value.Examples.Select(e => e with { Love = false }).ToList();
        var error = Assert.Throws<InsufficientDataException>(() => TrainingRun.Run(rows, [], new TrainingRunOptions { Model = Fast, Compare = false }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("training slice has 0 loved", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Champion_IsMeasuredOnTheChallengersTestSlice()
    {
        var first = TrainingRun.Run(Data.Value.Examples, [], new TrainingRunOptions { Model = Fast, Compare = false }, cancellationToken: TestContext.Current.CancellationToken);
        var second = TrainingRun.Run(Data.Value.Examples, [], new TrainingRunOptions { Model = Fast with { ResponseNgrams = 0, ContextNgrams = 0 }, Compare = false }, first.Model, "v-first", TestContext.Current.CancellationToken);
        Assert.NotNull(second.Report.Champion);
        Assert.Equal(first.Report.Metrics.Auc, second.Report.Champion!.Auc, 6);
        Assert.True(second.Report.Metrics.Auc < first.Report.Metrics.Auc - 0.02, "without text features the challenger must be clearly worse");
        Assert.False(PromotionGate.Decide(second.Report.Metrics, second.Report.Champion, new GateOptions()).Promote);
    }
}
