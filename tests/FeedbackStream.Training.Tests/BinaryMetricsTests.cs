using FeedbackStream.Training.Metrics;

namespace FeedbackStream.Training.Tests;

public sealed class BinaryMetricsTests
{
    [Fact]
    public void Auc_CountsOrderedPairs_AndTiesAsHalf()
    {
        // Positives 0.35 and 0.8; negatives 0.1 and 0.4: of four (positive, negative) pairs, 0.35 < 0.4 is the only miss.
        Assert.Equal(0.75, BinaryMetrics.Auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
        Assert.Equal(1.0, BinaryMetrics.Auc([0.1, 0.2, 0.3], [false, true, true]), 12);
        Assert.Equal(0.0, BinaryMetrics.Auc([0.9, 0.2, 0.3], [false, true, true]), 12);
        Assert.Equal(0.5, BinaryMetrics.Auc([0.5, 0.5, 0.5, 0.5], [false, true, false, true]), 12);
        // One positive tied with one of two negatives, above the other: (1 + 0.5) / 2.
        Assert.Equal(0.75, BinaryMetrics.Auc([0.3, 0.5, 0.5], [false, false, true]), 12);
    }

    [Fact]
    public void Auc_IsNaN_WithOneClass_AndWeightsActAsRepetition()
    {
        Assert.True(double.IsNaN(BinaryMetrics.Auc([0.1, 0.2], [true, true])));
        var weighted = BinaryMetrics.Auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true], [2, 1, 1, 1]);
        var repeated = BinaryMetrics.Auc([0.1, 0.1, 0.4, 0.35, 0.8], [false, false, false, true, true]);
        Assert.Equal(repeated, weighted, 12);
    }

    [Fact]
    public void LogLoss_MatchesTheDefinition()
    {
        var expected = -(Math.Log(0.8) + Math.Log(1 - 0.3)) / 2;
        Assert.Equal(expected, BinaryMetrics.LogLoss([0.8, 0.3], [true, false]), 12);
        Assert.True(BinaryMetrics.LogLoss([0.0], [true]) < 40, "probabilities are clipped, so a confident miss is large but finite");
    }

    [Fact]
    public void Ece_IsTheCountWeightedGapPerBin()
    {
        // Bin [0.1, 0.2): two predictions of 0.15, one positive: |0.15 - 0.5| = 0.35. Bin [0.9, 1]: 0.95 twice, both positive: 0.05.
        var ece = BinaryMetrics.ExpectedCalibrationError([0.15, 0.15, 0.95, 0.95], [true, false, true, true], bins: 10);
        Assert.Equal(((2 * 0.35) + (2 * 0.05)) / 4, ece, 12);
        Assert.Equal(0.0, BinaryMetrics.ExpectedCalibrationError([0.5, 0.5], [true, false]), 12);
        var diagram = BinaryMetrics.Reliability([0.15, 0.15, 0.95, 0.95], [true, false, true, true], bins: 10);
        Assert.Equal(10, diagram.Count);
        Assert.Equal(2, diagram[1].Count);
        Assert.Equal(1.0, diagram[9].ObservedRate, 12);
    }

    [Fact]
    public void Pearson_KnownValues()
    {
        Assert.Equal(1.0, BinaryMetrics.Pearson([1, 2, 3, 4], [2, 4, 6, 8]), 12);
        Assert.Equal(-1.0, BinaryMetrics.Pearson([1, 2, 3, 4], [8, 6, 4, 2]), 12);
        // x = 1..5, y = (2, 1, 4, 3, 5): cov 8/4 = 2, var x = var y = 2.5 -> r = 0.8.
        Assert.Equal(0.8, BinaryMetrics.Pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 12);
        Assert.True(double.IsNaN(BinaryMetrics.Pearson([1, 1, 1], [1, 2, 3])));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Pearson([1, 2], [1]));
    }

    [Fact]
    public void PairwiseAccuracy_CountsWins_AndTiesAsHalf()
    {
        Assert.Equal(0.625, BinaryMetrics.PairwiseAccuracy([(0.9, 0.1), (0.2, 0.8), (0.5, 0.5), (0.7, 0.6)]), 12);
        Assert.True(double.IsNaN(BinaryMetrics.PairwiseAccuracy([])));
    }

    [Fact]
    public void Platt_RecoversAKnownMiscalibration()
    {
        // True probability = sigmoid(0.5 * logit(raw) - 1): a fitted calibrator must find A ~ 0.5 and B ~ -1.
        var random = new Random(3);
        var raw = new List<double>();
        var labels = new List<bool>();
        for (var i = 0; i < 40_000; i++)
        {
            var p = 0.02 + (0.96 * random.NextDouble());
            raw.Add(p);
            var truth = PlattCalibrator.Sigmoid((0.5 * PlattCalibrator.Logit(p)) - 1);
            labels.Add(random.NextDouble() < truth);
        }

        var fitted = PlattCalibrator.Fit(raw, labels);
        Assert.InRange(fitted.A, 0.44, 0.56);
        Assert.InRange(fitted.B, -1.08, -0.92);
        Assert.Throws<ArgumentException>(() => PlattCalibrator.Fit([0.2, 0.3], [true, true]));
    }

    [Fact]
    public void Platt_StaysFinite_OnConstantOrSeparableScores()
    {
        var constant = PlattCalibrator.Fit([0.9, 0.9, 0.9, 0.9], [true, false, false, false]);
        Assert.Equal(0.25, constant.Apply(0.9), 9);
        var separable = PlattCalibrator.Fit([0.1, 0.2, 0.8, 0.9], [false, false, true, true]);
        Assert.True(double.IsFinite(separable.A) && double.IsFinite(separable.B));
        Assert.InRange(separable.Apply(0.9), 0.5, 0.99);
        Assert.InRange(separable.Apply(0.1), 0.01, 0.5);
    }
}
