namespace FeedbackStream.Simulator;

/// <summary>Draws the simulators share.</summary>
internal static class RandomExtensions
{
    /// <summary>A standard normal draw (Box-Muller).</summary>
    public static double NextGaussian(this Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
