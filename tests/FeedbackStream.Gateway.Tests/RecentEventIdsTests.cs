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

    [Fact]
    public void ExpiredIds_AreDropped_NotOnlyHidden_SoABurstsMemoryIsGivenBack()
    {
        var time = new FakeTimeProvider();
        var ids = new RecentEventIds(1_000_000, TimeSpan.FromMinutes(30), time);
        for (var i = 0; i < 10_000; i++)
        {
            ids.Add("app", $"burst-{i}");
        }

        time.Advance(TimeSpan.FromMinutes(10));
        ids.Add("app", "later");
        Assert.Equal(10_001, ids.Count);

        // Nothing arrives after the burst; the owner's timer calls RemoveExpired.
        time.Advance(TimeSpan.FromMinutes(25));
        ids.RemoveExpired();
        Assert.Equal(1, ids.Count);
        Assert.True(ids.Contains("app", "later"));
        time.Advance(TimeSpan.FromMinutes(10));
        ids.RemoveExpired();
        Assert.Equal(0, ids.Count);
    }

    [Fact]
    public void TheIngestService_ExpiresIdsOnItsTimer()
    {
        var time = new FakeTimeProvider();
        var options = Microsoft.Extensions.Options.Options.Create(new GatewayOptions { RecentEventIdWindow = TimeSpan.FromMinutes(1) });
        using var ingest = new IngestService(options, new RecordingPublisher(), time);
        var recent = (RecentEventIds)typeof(IngestService).GetField("_recent", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(ingest)!;
        recent.Add("app", "e1");
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, recent.Count);
    }
}
