namespace FeedbackStream.Training.Metrics;

/// <summary>One bin of a reliability diagram: the mean predicted probability and the observed rate of its examples.</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate);

/// <summary>Metrics of probabilistic binary predictions. Pure functions over parallel arrays of scores and labels.</summary>
public static class BinaryMetrics
{
    /// <summary>
    /// Area under the ROC curve: the probability that a random positive scores above a random negative, ties counting
    /// half (the Mann-Whitney statistic, computed from mid-ranks). NaN when either class is absent.
    /// </summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, IReadOnlyList<double>? weights = null)
    {
        Check(scores, labels);
        var order = Enumerable.Range(0, scores.Count).ToArray();
        Array.Sort(order, (a, b) => scores[a].CompareTo(scores[b]));
        double positives = 0, negatives = 0, negativesBelow = 0, area = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            double tiedPositives = 0, tiedNegatives = 0;
            while (j < order.Length && scores[order[j]].Equals(scores[order[i]]))
            {
                var w = weights?[order[j]] ?? 1.0;
                if (labels[order[j]])
                {
                    tiedPositives += w;
                }
                else
                {
                    tiedNegatives += w;
                }

                j++;
            }

            area += tiedPositives * (negativesBelow + (tiedNegatives / 2));
            negativesBelow += tiedNegatives;
            positives += tiedPositives;
            negatives += tiedNegatives;
            i = j;
        }

        return positives == 0 || negatives == 0 ? double.NaN : area / (positives * negatives);
    }

    /// <summary>Mean negative log-likelihood (natural log), probabilities clipped to [1e-15, 1 - 1e-15].</summary>
    public static double LogLoss(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        Check(probabilities, labels);
        if (probabilities.Count == 0)
        {
            return double.NaN;
        }

        var sum = 0.0;
        for (var i = 0; i < probabilities.Count; i++)
        {
            var p = Math.Clamp(probabilities[i], 1e-15, 1 - 1e-15);
            sum -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }

        return sum / probabilities.Count;
    }

    /// <summary>
    /// Expected calibration error: the count-weighted mean, over equal-width probability bins, of
    /// |mean predicted − observed rate|. Empty bins contribute nothing.
    /// </summary>
    public static double ExpectedCalibrationError(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, int bins = 10)
    {
        var diagram = Reliability(probabilities, labels, bins);
        var total = diagram.Sum(b => b.Count);
        return total == 0 ? double.NaN : diagram.Sum(b => b.Count * Math.Abs(b.MeanPredicted - b.ObservedRate)) / total;
    }

    /// <summary>The reliability diagram behind <see cref="ExpectedCalibrationError"/> (empty bins included, with count 0).</summary>
    public static IReadOnlyList<ReliabilityBin> Reliability(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, int bins = 10)
    {
        Check(probabilities, labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var count = new int[bins];
        var predicted = new double[bins];
        var observed = new double[bins];
        for (var i = 0; i < probabilities.Count; i++)
        {
            var p = Math.Clamp(probabilities[i], 0, 1);
            var bin = Math.Min(bins - 1, (int)(p * bins));
            count[bin]++;
            predicted[bin] += p;
            observed[bin] += labels[i] ? 1 : 0;
        }

        return Enumerable.Range(0, bins)
            .Select(b => new ReliabilityBin(b / (double)bins, (b + 1) / (double)bins, count[b], count[b] == 0 ? 0 : predicted[b] / count[b], count[b] == 0 ? 0 : observed[b] / count[b]))
            .ToList();
    }

    /// <summary>Pearson correlation of two equally long series; NaN when either is constant or shorter than 2.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"The series differ in length ({x.Count} and {y.Count}).", nameof(y));
        }

        if (x.Count < 2)
        {
            return double.NaN;
        }

        double meanX = 0, meanY = 0;
        for (var i = 0; i < x.Count; i++)
        {
            meanX += x[i];
            meanY += y[i];
        }

        meanX /= x.Count;
        meanY /= y.Count;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            var dx = x[i] - meanX;
            var dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Share of pairs whose chosen item scores strictly higher than the rejected one (ties count half). NaN when empty.</summary>
    public static double PairwiseAccuracy(IReadOnlyList<(double Chosen, double Rejected)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            return double.NaN;
        }

        var wins = pairs.Sum(p => p.Chosen > p.Rejected ? 1.0 : p.Chosen.Equals(p.Rejected) ? 0.5 : 0.0);
        return wins / pairs.Count;
    }

    private static void Check(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count)
        {
            throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels.", nameof(labels));
        }
    }
}
