namespace FeedbackStream.Mining;

/// <summary>
/// The prior of <see cref="PreferenceJudge"/>: a Beta distribution over a response's approval (the share of its
/// signals that are for it) with mean <see cref="Mean"/> and <see cref="Strength"/> pseudo-signals.
/// </summary>
public readonly record struct ApprovalPrior(double Mean, double Strength)
{
    /// <summary>Pseudo-signals of the prior by default: two, so one signal moves a response but does not settle it.</summary>
    public const double DefaultStrength = 2;

    /// <summary>
    /// Empirical Bayes: the prior's mean is the approval share over every signal of <paramref name="labels"/>
    /// (0.5 when they hold none), kept within [0.05, 0.95] so that no side is ever certain a priori.
    /// </summary>
    public static ApprovalPrior From(IEnumerable<ResponseLabel> labels, double strength = DefaultStrength)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(strength);
        double positive = 0, negative = 0;
        foreach (var label in labels)
        {
            var (p, n) = PreferenceJudge.Evidence(label);
            positive += p;
            negative += n;
        }

        var mean = positive + negative > 0 ? positive / (positive + negative) : 0.5;
        return new ApprovalPrior(Math.Clamp(mean, 0.05, 0.95), strength);
    }
}

/// <summary>
/// How sure the judge is that the first response is the better one: <see cref="Z"/> is the difference of the two
/// approval posteriors' means over its standard error (positive: the first is better), <see cref="Probability"/> the
/// posterior probability that the first one's approval is higher (normal approximation).
/// </summary>
public readonly record struct Judgment(double Z)
{
    public double Probability => PreferenceJudge.NormalCdf(Z);

    /// <summary>1 when the first response is preferred, −1 for the second, 0 when the judge cannot tell.</summary>
    public int Preference => Math.Sign(Z);
}

/// <summary>
/// Compares two responses by their signals as rates, not as counts: each response's approval is a Beta posterior,
/// prior <see cref="ApprovalPrior"/> plus the weighted signals for (<see cref="ResponseLabel.PositiveEvidence"/>) and
/// against (<see cref="ResponseLabel.NegativeEvidence"/>) it; the judgment is the posterior mean difference over its
/// standard error. Unlike a net vote count, 3 loves and no dislike beat 9 loves and 6 dislikes, and a single signal
/// gives a weaker judgment than the same share over many. Pure.
/// </summary>
public static class PreferenceJudge
{
    /// <summary>Signals for and against a label; a row without the evidence columns falls back to its score's sign.</summary>
    public static (double Positive, double Negative) Evidence(ResponseLabel label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return label.PositiveEvidence > 0 || label.NegativeEvidence > 0
            ? (label.PositiveEvidence, label.NegativeEvidence)
            : (Math.Max(0, label.Score), Math.Max(0, -label.Score));
    }

    /// <summary>Posterior mean and variance of a label's approval.</summary>
    public static (double Mean, double Variance) Approval(ResponseLabel label, ApprovalPrior prior)
    {
        var (positive, negative) = Evidence(label);
        var alpha = positive + (prior.Strength * prior.Mean);
        var beta = negative + (prior.Strength * (1 - prior.Mean));
        var total = alpha + beta;
        var mean = alpha / total;
        return (mean, mean * (1 - mean) / (total + 1));
    }

    public static Judgment Compare(ResponseLabel first, ResponseLabel second, ApprovalPrior prior)
    {
        var (m1, v1) = Approval(first, prior);
        var (m2, v2) = Approval(second, prior);
        var difference = m1 - m2;
        return Math.Abs(difference) < 1e-12 ? new Judgment(0) : new Judgment(difference / Math.Sqrt(v1 + v2));
    }

    /// <summary>Standard normal distribution function, through <see cref="Erfc"/>.</summary>
    public static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>Complementary error function, relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit).</summary>
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        ReadOnlySpan<double> c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
        var poly = 0.0;
        for (var i = c.Length - 1; i >= 0; i--)
        {
            poly = (poly * t) + c[i];
        }

        var r = t * Math.Exp(-(z * z) + poly);
        return x >= 0 ? r : 2 - r;
    }
}
