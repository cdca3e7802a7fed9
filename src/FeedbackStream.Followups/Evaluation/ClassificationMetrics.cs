namespace FeedbackStream.Followups.Evaluation;

/// <summary>Precision, recall and F1 of one class.</summary>
/// <param name="Label">The class.</param>
/// <param name="Precision">TP / (TP + FP); 0 when the class was never predicted.</param>
/// <param name="Recall">TP / (TP + FN); 0 when the class has no gold items.</param>
/// <param name="F1">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="Support">Gold items of the class.</param>
/// <param name="Predicted">Items predicted as the class.</param>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support, int Predicted);

/// <summary>Per-class figures and their unweighted (macro) means over the listed classes.</summary>
public sealed record ClassificationReport(
    IReadOnlyList<ClassMetrics> PerClass,
    double MacroPrecision,
    double MacroRecall,
    double MacroF1,
    double Accuracy,
    int Total);

/// <summary>Multiclass metrics from gold and predicted labels.</summary>
public static class ClassificationMetrics
{
    /// <summary>
    /// Computes the report. The classes are <paramref name="labels"/> when given (predictions outside them still count
    /// as misses of the gold class), otherwise every label seen in gold or predicted, in order of first appearance.
    /// Macro averages run over the listed classes that have gold support (a class with no gold items cannot be recalled,
    /// so it is reported but left out of the mean).
    /// </summary>
    public static ClassificationReport Compute(IReadOnlyList<string> gold, IReadOnlyList<string> predicted, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Count != predicted.Count)
        {
            throw new ArgumentException($"{gold.Count} gold labels but {predicted.Count} predictions.", nameof(predicted));
        }

        var classes = labels?.ToList() ?? gold.Concat(predicted).Distinct(StringComparer.Ordinal).ToList();
        var perClass = new List<ClassMetrics>(classes.Count);
        foreach (var label in classes)
        {
            int tp = 0, fp = 0, fn = 0;
            for (var i = 0; i < gold.Count; i++)
            {
                var isGold = gold[i] == label;
                var isPredicted = predicted[i] == label;
                if (isGold && isPredicted)
                {
                    tp++;
                }
                else if (isPredicted)
                {
                    fp++;
                }
                else if (isGold)
                {
                    fn++;
                }
            }

            var precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
            var recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(label, precision, recall, f1, tp + fn, tp + fp));
        }

        var supported = perClass.Where(c => c.Support > 0).ToList();
        var correct = gold.Where((g, i) => g == predicted[i]).Count();
        return new ClassificationReport(
            perClass,
            supported.Count == 0 ? 0 : supported.Average(c => c.Precision),
            supported.Count == 0 ? 0 : supported.Average(c => c.Recall),
            supported.Count == 0 ? 0 : supported.Average(c => c.F1),
            gold.Count == 0 ? 0 : (double)correct / gold.Count,
            gold.Count);
    }

    /// <summary>
    /// Expected calibration error of top-label confidences: items binned by confidence into <paramref name="bins"/> equal
    /// bins, then the support-weighted mean of |accuracy − mean confidence| per bin.
    /// </summary>
    public static double ExpectedCalibrationError(IReadOnlyList<double> confidence, IReadOnlyList<bool> correct, int bins = 10)
    {
        ArgumentNullException.ThrowIfNull(confidence);
        ArgumentNullException.ThrowIfNull(correct);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (confidence.Count != correct.Count)
        {
            throw new ArgumentException("confidence and correct differ in length.", nameof(correct));
        }

        if (confidence.Count == 0)
        {
            return 0;
        }

        var count = new int[bins];
        var hits = new double[bins];
        var sum = new double[bins];
        for (var i = 0; i < confidence.Count; i++)
        {
            var bin = Math.Clamp((int)(confidence[i] * bins), 0, bins - 1);
            count[bin]++;
            sum[bin] += confidence[i];
            hits[bin] += correct[i] ? 1 : 0;
        }

        var ece = 0.0;
        for (var b = 0; b < bins; b++)
        {
            if (count[b] > 0)
            {
                ece += (double)count[b] / confidence.Count * Math.Abs((hits[b] / count[b]) - (sum[b] / count[b]));
            }
        }

        return ece;
    }

    /// <summary>
    /// Area under the ROC curve of <paramref name="scores"/> for <paramref name="positive"/> items (Mann-Whitney, ties
    /// counted half); NaN when either class is empty.
    /// </summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(positive);
        if (scores.Count != positive.Count)
        {
            throw new ArgumentException("scores and positive differ in length.", nameof(positive));
        }

        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        long positives = 0;
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j < order.Length && scores[order[j]] == scores[order[i]])
            {
                j++;
            }

            var midRank = ((i + 1) + j) / 2.0;
            for (var k = i; k < j; k++)
            {
                if (positive[order[k]])
                {
                    rankSum += midRank;
                    positives++;
                }
            }

            i = j;
        }

        var negatives = scores.Count - positives;
        return positives == 0 || negatives == 0 ? double.NaN : (rankSum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }
}
