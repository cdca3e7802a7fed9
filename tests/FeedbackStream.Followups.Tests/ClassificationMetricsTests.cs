using FeedbackStream.Followups.Evaluation;

namespace FeedbackStream.Followups.Tests;

public sealed class ClassificationMetricsTests
{
    // Hand-made confusion (rows gold, columns predicted):
    //        a  b  c
    //   a    2  1  0
    //   b    0  1  1
    //   c    0  0  1
    private static readonly string[] Gold = ["a", "a", "a", "b", "b", "c"];
    private static readonly string[] Predicted = ["a", "a", "b", "b", "c", "c"];

    [Fact]
    public void Compute_HandMadeConfusion_GivesPerClassPrecisionRecallF1()
    {
        var report = ClassificationMetrics.Compute(Gold, Predicted);

        var a = report.PerClass.Single(c => c.Label == "a");
        Assert.Equal(1.0, a.Precision, 9);
        Assert.Equal(2.0 / 3, a.Recall, 9);
        Assert.Equal(0.8, a.F1, 9);
        Assert.Equal(3, a.Support);
        Assert.Equal(2, a.Predicted);

        var b = report.PerClass.Single(c => c.Label == "b");
        Assert.Equal(0.5, b.Precision, 9);
        Assert.Equal(0.5, b.Recall, 9);
        Assert.Equal(0.5, b.F1, 9);

        var c = report.PerClass.Single(c => c.Label == "c");
        Assert.Equal(0.5, c.Precision, 9);
        Assert.Equal(1.0, c.Recall, 9);
        Assert.Equal(2.0 / 3, c.F1, 9);
    }

    [Fact]
    public void Compute_HandMadeConfusion_GivesMacroAveragesAndAccuracy()
    {
        var report = ClassificationMetrics.Compute(Gold, Predicted);

        Assert.Equal((1.0 + 0.5 + 0.5) / 3, report.MacroPrecision, 9);
        Assert.Equal(((2.0 / 3) + 0.5 + 1.0) / 3, report.MacroRecall, 9);
        Assert.Equal((0.8 + 0.5 + (2.0 / 3)) / 3, report.MacroF1, 9);
        Assert.Equal(4.0 / 6, report.Accuracy, 9);
        Assert.Equal(6, report.Total);
    }

    [Fact]
    public void Compute_ClassNeverPredicted_HasZeroPrecisionAndF1()
    {
        var report = ClassificationMetrics.Compute(["x", "y"], ["y", "y"]);

        var x = report.PerClass.Single(c => c.Label == "x");
        Assert.Equal(0, x.Precision);
        Assert.Equal(0, x.Recall);
        Assert.Equal(0, x.F1);
        Assert.Equal(1.0 / 3, report.MacroF1, 9);
    }

    [Fact]
    public void Compute_ListedLabelWithoutSupport_IsReportedButLeftOutOfTheMacro()
    {
        var report = ClassificationMetrics.Compute(["a", "a"], ["a", "z"], ["a", "z"]);

        Assert.Equal(0, report.PerClass.Single(c => c.Label == "z").Support);
        Assert.Equal(2.0 / 3, report.MacroF1, 9);
    }

    [Fact]
    public void Compute_PredictionOutsideListedLabels_CountsAsAMiss()
    {
        var report = ClassificationMetrics.Compute(["a", "a"], ["a", "other"], ["a"]);

        Assert.Equal(0.5, report.PerClass.Single().Recall, 9);
        Assert.Equal(1.0, report.PerClass.Single().Precision, 9);
        Assert.Equal(0.5, report.Accuracy, 9);
    }

    [Fact]
    public void Compute_LengthMismatch_Throws() =>
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute(["a"], ["a", "b"]));

    [Fact]
    public void ExpectedCalibrationError_HandMadeBins()
    {
        // Bin 0.9: confidences 0.9, 0.9 with one hit -> |0.5 - 0.9| = 0.4, weight 2/4.
        // Bin 0.6: confidences 0.6, 0.6 with two hits -> |1.0 - 0.6| = 0.4, weight 2/4.
        var ece = ClassificationMetrics.ExpectedCalibrationError([0.9, 0.9, 0.6, 0.6], [true, false, true, true]);

        Assert.Equal(0.4, ece, 9);
    }

    [Fact]
    public void ExpectedCalibrationError_PerfectlyCalibrated_IsZero() =>
        Assert.Equal(0, ClassificationMetrics.ExpectedCalibrationError([1.0, 1.0], [true, true]), 9);
}
