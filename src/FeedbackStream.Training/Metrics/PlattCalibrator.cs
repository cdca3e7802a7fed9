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

    /// <summary>Fits A and B by maximum likelihood (Newton-Raphson with a small ridge; at most 50 iterations).</summary>
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
        double a = 1, b = 0;
        for (var iteration = 0; iteration < 50; iteration++)
        {
            double gA = 0, gB = 0, hAA = 1e-9, hAB = 0, hBB = 1e-9;
            for (var i = 0; i < x.Length; i++)
            {
                var p = Sigmoid((a * x[i]) + b);
                var r = p - (labels[i] ? 1 : 0);
                var w = Math.Max(p * (1 - p), 1e-12);
                gA += r * x[i];
                gB += r;
                hAA += w * x[i] * x[i];
                hAB += w * x[i];
                hBB += w;
            }

            var det = (hAA * hBB) - (hAB * hAB);
            if (Math.Abs(det) < 1e-18)
            {
                break;
            }

            var stepA = ((hBB * gA) - (hAB * gB)) / det;
            var stepB = ((hAA * gB) - (hAB * gA)) / det;
            a -= stepA;
            b -= stepB;
            if (Math.Abs(stepA) + Math.Abs(stepB) < 1e-9)
            {
                break;
            }
        }

        return new PlattCalibrator(a, b);
    }

    internal static double Logit(double p)
    {
        var q = Math.Clamp(p, 1e-7, 1 - 1e-7);
        return Math.Log(q / (1 - q));
    }

    internal static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
