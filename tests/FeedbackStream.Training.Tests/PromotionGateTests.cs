using FeedbackStream.Training.Evaluation;

namespace FeedbackStream.Training.Tests;

public sealed class PromotionGateTests
{
    private static readonly GateOptions Options = new() { AucTolerance = 0.005, MaximumEce = 0.02, MinimumAuc = 0.55 };

    private static ModelMetrics M(double auc, double ece) => new(auc, 0.3, ece, 0, 0.1, 0.1, double.NaN);

    [Fact]
    public void FirstCalibratedModel_IsPromoted()
    {
        var decision = PromotionGate.Decide(M(0.7, 0.01), null, Options);
        Assert.True(decision.Promote);
        Assert.Contains("first model", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PoorCalibration_IsRefused_EvenWhenAucIsBetter()
    {
        var decision = PromotionGate.Decide(M(0.9, 0.021), M(0.7, 0.01), Options);
        Assert.False(decision.Promote);
        Assert.Contains("calibration error 0.0210", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.7950, true)]
    [InlineData(0.7900, false)]
    [InlineData(0.8100, true)]
    public void Auc_MustStayWithinTheToleranceOfTheChampion(double challenger, bool promote)
    {
        var decision = PromotionGate.Decide(M(challenger, 0.01), M(0.7990, 0.01), Options);
        Assert.Equal(promote, decision.Promote);
    }

    [Fact]
    public void UnmeasurableOrChanceLevelModels_AreRefused()
    {
        Assert.False(PromotionGate.Decide(M(double.NaN, 0.01), null, Options).Promote);
        Assert.False(PromotionGate.Decide(M(0.52, 0.01), null, Options).Promote);
    }
}
