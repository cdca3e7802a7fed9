using FeedbackStream.Client.Tests.Support;
using FeedbackStream.Contracts;

namespace FeedbackStream.Client.Tests;

public sealed class FlushAndDisposeTests
{
    [Fact]
    public async Task FlushAsync_CompletesOnlyAfterTheGatewayAnswered()
    {
        await using var h = ClientHarness.Create();
        var release = new TaskCompletionSource();
        h.Gateway.ThenWaitFor(release.Task);
        h.EnqueueReactions(2);

        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);
        await h.Gateway.NextRequestAsync();
        Assert.False(flush.IsCompleted);
        Assert.Equal(2, h.Client.Statistics.Buffered);

        release.SetResult();
        await Until.CompletesAsync(flush, "the flush completes after the answer");
        var stats = h.Client.Statistics;
        Assert.Equal(2, stats.Accepted);
        Assert.Equal(0, stats.Buffered);
    }

    [Fact]
    public async Task FlushAsync_WithNothingBuffered_CompletesWithoutARequest()
    {
        await using var h = ClientHarness.Create();

        await h.FlushAsync();

        Assert.Empty(h.Gateway.Requests);
    }

    [Fact]
    public async Task FlushAsync_WhenCancelled_StopsWaitingButDeliveryGoesOn()
    {
        await using var h = ClientHarness.Create();
        var release = new TaskCompletionSource();
        h.Gateway.ThenWaitFor(release.Task);
        h.EnqueueReactions(1);
        using var cancel = new CancellationTokenSource();

        var flush = h.Client.FlushAsync(cancel.Token);
        await h.Gateway.NextRequestAsync();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Until.CompletesAsync(flush, "the cancelled flush ends"));
        release.SetResult();
        await h.FlushAsync();
        Assert.Equal(1, h.Client.Statistics.Accepted);
    }

    [Fact]
    public async Task DisposeAsync_DeliversWhatIsBuffered_ThenRefusesNewEvents()
    {
        var h = ClientHarness.Create();
        var ids = h.EnqueueReactions(3);

        await Until.CompletesAsync(h.Client.DisposeAsync().AsTask(), "DisposeAsync completes");

        Assert.Equal(ids, h.Gateway.AllEventIds);
        Assert.Equal(3, h.Client.Statistics.Accepted);
        Assert.Throws<ObjectDisposedException>(() => h.Client.ReactionSet("u", "c", "r", Reaction.Love));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => h.Client.FlushAsync(TestContext.Current.CancellationToken));
        await h.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_WhenTheGatewayHangs_GivesUpAfterDisposeTimeout_AndCountsTheEventsDropped()
    {
        var h = ClientHarness.Create(o => o.DisposeTimeout = TimeSpan.FromSeconds(5));
        h.Gateway.ThenWaitFor(Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken));
        h.EnqueueReactions(2);
        h.Client.FlushAsync(TestContext.Current.CancellationToken).Ignore();
        await h.Gateway.NextRequestAsync();

        var disposing = h.Client.DisposeAsync().AsTask();
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromSeconds(5));
        Assert.False(disposing.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(5));

        await Until.CompletesAsync(disposing, "DisposeAsync completes after its timeout");
        var stats = h.Client.Statistics;
        Assert.Equal(2, stats.Dropped);
        Assert.Equal(0, stats.Buffered);
        Assert.Equal(0, stats.Accepted);
        h.AssertCountersAddUp();
        await h.DisposeAsync();
    }
}

internal static class TaskExtensions
{
    /// <summary>Observes a task the test does not await (its outcome is checked otherwise).</summary>
    public static void Ignore(this Task task) => task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
}
