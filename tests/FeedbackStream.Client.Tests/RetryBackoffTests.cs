namespace FeedbackStream.Client.Tests;

public sealed class RetryBackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Fact]
    public void Ceiling_DoublesFromInitialBackoff_UpToMaxBackoff()
    {
        var ceilings = Enumerable.Range(1, 12).Select(n => RetryBackoff.Ceiling(n, Initial, Max).TotalMilliseconds);

        Assert.Equal([200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000, 30000], ceilings);
        Assert.Equal(Max, RetryBackoff.Ceiling(int.MaxValue, Initial, Max));
    }

    [Fact]
    public void Delay_IsAUniformDrawBelowTheCeiling()
    {
        Assert.Equal(TimeSpan.Zero, RetryBackoff.Delay(3, Initial, Max, 0, null));
        Assert.Equal(TimeSpan.FromMilliseconds(200), RetryBackoff.Delay(3, Initial, Max, 0.25, null));

        var random = new Random(7);
        for (var retry = 1; retry <= 10; retry++)
        {
            var ceiling = RetryBackoff.Ceiling(retry, Initial, Max);
            var delays = Enumerable.Range(0, 200).Select(_ => RetryBackoff.Delay(retry, Initial, Max, random.NextDouble(), null)).ToList();
            Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, ceiling));
            Assert.True(delays.Distinct().Count() > 100, $"retry {retry}: the delays are not jittered");
            Assert.InRange(delays.Average(d => d.Ticks), ceiling.Ticks * 0.35, ceiling.Ticks * 0.65);
        }
    }

    [Fact]
    public void Delay_IsNeverShorterThanRetryAfter()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), RetryBackoff.Delay(1, Initial, Max, 0.9, TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.FromSeconds(15), RetryBackoff.Delay(9, Initial, Max, 0.5, TimeSpan.FromSeconds(1)));
    }
}
