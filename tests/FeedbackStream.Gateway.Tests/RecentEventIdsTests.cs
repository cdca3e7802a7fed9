using Microsoft.Extensions.Time.Testing;

namespace FeedbackStream.Gateway.Tests;

public sealed class RecentEventIdsTests
{
    [Fact]
    public void RemembersWithinTheWindow_ForgetsAfterIt_PerApp()
    {
        var time = new FakeTimeProvider();
        var ids = new RecentEventIds(100, TimeSpan.FromMinutes(5), time);
        ids.Add("app", "e1");
        Assert.True(ids.Contains("app", "e1"));
        Assert.False(ids.Contains("other-app", "e1"));
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.False(ids.Contains("app", "e1"));
    }

    [Fact]
    public void BeyondCapacity_TheOldestAreForgotten_AndTheCountStaysBounded()
    {
        var ids = new RecentEventIds(3, TimeSpan.FromHours(1), new FakeTimeProvider());
        foreach (var id in new[] { "a", "b", "c", "d", "e" })
        {
            ids.Add("app", id);
        }

        Assert.Equal(3, ids.Count);
        Assert.False(ids.Contains("app", "a"));
        Assert.False(ids.Contains("app", "b"));
        Assert.True(ids.Contains("app", "e"));
    }

    [Fact]
    public void ConcurrentAdds_KeepTheCountExact()
    {
        var ids = new RecentEventIds(1_000_000, TimeSpan.FromHours(1), new FakeTimeProvider());
        Parallel.For(0, 8, worker =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                ids.Add("app", $"{worker}-{i}");
                ids.Add("app", $"{worker}-{i}");
            }
        });
        Assert.Equal(80_000, ids.Count);
    }
}
