namespace FeedbackStream.Client;

/// <summary>Exponential backoff with full jitter: the n-th retry waits a uniform draw in [0, min(max, initial * 2^(n-1))).</summary>
internal static class RetryBackoff
{
    /// <summary>The ceiling of the <paramref name="retry"/>-th retry delay (1 for the first retry).</summary>
    public static TimeSpan Ceiling(int retry, TimeSpan initial, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var ticks = initial.Ticks * Math.Pow(2, Math.Min(retry - 1, 62));
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// The delay before the <paramref name="retry"/>-th retry: <paramref name="random01"/> (in [0, 1)) times the
    /// ceiling, but never shorter than the gateway's <paramref name="retryAfter"/> when it sent one.
    /// </summary>
    public static TimeSpan Delay(int retry, TimeSpan initial, TimeSpan max, double random01, TimeSpan? retryAfter)
    {
        var jittered = TimeSpan.FromTicks((long)(Ceiling(retry, initial, max).Ticks * Math.Clamp(random01, 0, 1)));
        return retryAfter is { } after && after > jittered ? after : jittered;
    }
}
