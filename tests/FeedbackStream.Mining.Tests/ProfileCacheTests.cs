namespace FeedbackStream.Mining.Tests;

public sealed class ProfileCacheTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static UserProfile Profile(string user, long served) => new(user, served, 1, 1, 0, 1, 1);

    [Fact]
    public void AProfileReadWithinTheRefresh_IsReused_AndAUserWithoutActivityIsRememberedAsSuch()
    {
        var cache = new ProfileCache(TimeSpan.FromSeconds(10));
        var read = cache.ToRead("app", ["u1", "u2", "u1"], T0);
        Assert.Equal(["u1", "u2"], read);
        cache.Loaded("app", read, new Dictionary<string, UserProfile> { ["u1"] = Profile("u1", 3) }, T0);

        Assert.Empty(cache.ToRead("app", ["u1", "u2"], T0.AddSeconds(9)));
        var held = cache.For("app", ["u1", "u2"]);
        Assert.Equal(["u1"], held.Keys);
        Assert.Equal(3, held["u1"].ResponsesServed);

        // Older than the refresh: read again.
        Assert.Equal(["u1", "u2"], cache.ToRead("app", ["u1", "u2"], T0.AddSeconds(10)));
    }

    [Fact]
    public void TheSameUserIdInAnotherApp_IsAnotherUser()
    {
        var cache = new ProfileCache(TimeSpan.FromMinutes(1));
        cache.Loaded("app1", ["u1"], new Dictionary<string, UserProfile> { ["u1"] = Profile("u1", 3) }, T0);

        Assert.Equal(["u1"], cache.ToRead("app2", ["u1"], T0));
        Assert.Empty(cache.For("app2", ["u1"]));
    }

    [Fact]
    public void ARefreshOfZero_HoldsNothing()
    {
        var cache = new ProfileCache(TimeSpan.Zero);
        cache.Loaded("app", ["u1"], new Dictionary<string, UserProfile> { ["u1"] = Profile("u1", 3) }, T0);

        Assert.Equal(0, cache.Count);
        Assert.Equal(["u1"], cache.ToRead("app", ["u1"], T0));
    }

    [Fact]
    public void TheCacheNeverHoldsMoreThanItsBound_DroppingExpiredEntriesFirst()
    {
        var cache = new ProfileCache(TimeSpan.FromSeconds(10), maxUsers: 3);
        cache.Loaded("app", ["a", "b"], new Dictionary<string, UserProfile>(), T0);
        cache.Loaded("app", ["c"], new Dictionary<string, UserProfile>(), T0.AddSeconds(8));

        // "a" and "b" have expired at T0+12: they go, "c" stays.
        cache.Loaded("app", ["d"], new Dictionary<string, UserProfile>(), T0.AddSeconds(12));
        Assert.Equal(2, cache.Count);
        Assert.Empty(cache.ToRead("app", ["c", "d"], T0.AddSeconds(12)));

        // Nothing expired: the cache starts over rather than grow past its bound.
        cache.Loaded("app", ["e", "f"], new Dictionary<string, UserProfile>(), T0.AddSeconds(13));
        Assert.True(cache.Count <= 3);
    }
}
