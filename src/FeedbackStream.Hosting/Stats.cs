namespace FeedbackStream.Hosting;

/// <summary>Small statistics helpers for benchmark output.</summary>
internal static class Stats
{
    /// <summary>The nearest-rank percentile (0..100) of <paramref name="values"/>; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Round(double value, int digits = 3) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}
