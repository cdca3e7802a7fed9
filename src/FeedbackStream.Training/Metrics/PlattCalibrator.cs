namespace FeedbackStream.Training.Metrics;

/// <summary>
/// Platt scaling on the logit of a model's probability: p' = σ(A·logit(p) + B), fitted by Newton's method on a
/// held-out slice with the natural base rate. Undoes the shift that upsampling positives puts into the raw scores
/// (and any over- or under-confidence), so predictions match the true base rate.
/// </summary>
public sealed record PlattCalibrator(double A, double B)
{
    public static readonly PlattCalibrator Identity = new(1, 0);

    public double Apply(double probability) => Sigmoid((A * Logit(probability)) + B);

    /// <summary>Fits A and B by maximum likelihood on Platt's smoothed targets (Newton's method with backtracking; at most 100 iterations).</summary>
    public static PlattCalibrator Fit(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        if (probabilities.Count != labels.Count)
        {
            throw new ArgumentException($"{probabilities.Count} probabilities but {labels.Count} labels.", nameof(labels));
        }

        if (!labels.Contains(true) || !labels.Contains(false))
        {
            throw new ArgumentException("Calibration needs both classes in its slice.", nameof(labels));
        }

        var x = probabilities.Select(Logit).ToArray();
        // Platt's smoothed targets keep the fit finite when the slice is small or separable.
        var positives = labels.Count(l => l);
        var negatives = labels.Count - positives;
        var high = (positives + 1.0) / (positives + 2.0);
        var low = 1.0 / (negatives + 2.0);
        var t = labels.Select(l => l ? high : low).ToArray();
        if (x.Max() - x.Min() < 1e-9)
        {
            // Constant scores carry no ranking: predict the slice's base rate.
            return new PlattCalibrator(0, Logit(positives / (double)labels.Count));
        }

        double a = 1, b = 0;
        var loss = Loss(x, t, a, b);
        for (var iteration = 0; iteration < 100; iteration++)
        {
            double gA = 0, gB = 0, hAA = 1e-6, hAB = 0, hBB = 1e-6;
            for (var i = 0; i < x.Length; i++)
            {
                var p = Sigmoid((a * x[i]) + b);
                var r = p - t[i];
                var w = Math.Max(p * (1 - p), 1e-12);
                gA += r * x[i];
                gB += r;
                hAA += w * x[i] * x[i];
                hAB += w * x[i];
                hBB += w;
            }

            var det = (hAA * hBB) - (hAB * hAB);
            if (det <= 0)
            {
                break;
            }

            var stepA = ((hBB * gA) - (hAB * gB)) / det;
            var stepB = ((hAA * gB) - (hAB * gA)) / det;

            // Backtracking: halve the Newton step until the loss does not grow.
            var scale = 1.0;
            double nextLoss;
            while ((nextLoss = Loss(x, t, a - (scale * stepA), b - (scale * stepB))) > loss + 1e-12 && scale > 1e-6)
            {
                scale /= 2;
            }

            a -= scale * stepA;
            b -= scale * stepB;
            var improvement = loss - nextLoss;
            loss = nextLoss;
            if (Math.Abs(scale * stepA) + Math.Abs(scale * stepB) < 1e-9 || improvement < 1e-12)
            {
                break;
            }
        }

        return new PlattCalibrator(a, b);
    }

    private static double Loss(double[] x, double[] t, double a, double b)
    {
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var z = (a * x[i]) + b;
            // log(1 + e^z) - t z, computed stably.
            sum += (z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z))) - (t[i] * z);
        }

        return sum;
    }

    internal static double Logit(double p)
    {
        var q = Math.Clamp(p, 1e-7, 1 - 1e-7);
        return Math.Log(q / (1 - q));
    }

    internal static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
