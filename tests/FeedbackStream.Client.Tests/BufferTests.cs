using FeedbackStream.Client.Tests.Support;
using FeedbackStream.Contracts;

namespace FeedbackStream.Client.Tests;

public sealed class BufferTests
{
    [Fact]
    public async Task Enqueue_WhenTheBufferIsFullInDropMode_DropsTheNewEventAndCountsIt()
    {
        await using var h = ClientHarness.Create(o =>
        {
            o.MaxBufferedEvents = 2;
            o.BufferFullMode = BufferFullMode.Drop;
        });

        var ids = h.EnqueueReactions(3);

        var stats = h.Client.Statistics;
        Assert.Equal((3, 1, 2), (stats.Enqueued, stats.Dropped, stats.Buffered));
        await h.FlushAsync();
        Assert.Equal(ids[..2], h.Gateway.AllEventIds);
        Assert.Equal(2, h.Client.Statistics.Accepted);
        h.AssertCountersAddUp();
    }

    [Fact]
    public async Task Enqueue_WhenTheBufferIsFullInThrowMode_Throws_AndTakesNothing()
    {
        await using var h = ClientHarness.Create(o =>
        {
            o.MaxBufferedEvents = 2;
            o.BufferFullMode = BufferFullMode.Throw;
        });
        h.EnqueueReactions(2);

        Assert.Throws<FeedbackBufferFullException>(() => h.Client.ReactionSet("u", "c", "r", Reaction.Sad));
        await Assert.ThrowsAsync<FeedbackBufferFullException>(() => h.Client.ReactionSetAsync("u", "c", "r", Reaction.Sad, cancellationToken: TestContext.Current.CancellationToken).AsTask());

        var stats = h.Client.Statistics;
        Assert.Equal((2, 0, 2), (stats.Enqueued, stats.Dropped, stats.Buffered));
        await h.FlushAsync();
        Assert.Equal(2, h.Gateway.AllEventIds.Count);
    }

    [Fact]
    public async Task EnqueueAsync_WhenTheBufferIsFullInWaitMode_WaitsUntilDeliveryFreesRoom()
    {
        await using var h = ClientHarness.Create(o =>
        {
            o.MaxBufferedEvents = 2;
            o.BufferFullMode = BufferFullMode.Wait;
        });
        var release = new TaskCompletionSource();
        h.Gateway.ThenWaitFor(release.Task);
        h.EnqueueReactions(2);

        var waiting = h.Client.ReactionSetAsync("user-9", "conv-1", "resp-9", Reaction.Wow, cancellationToken: TestContext.Current.CancellationToken).AsTask();
        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);
        await h.Gateway.NextRequestAsync();
        Assert.False(waiting.IsCompleted);
        Assert.Throws<FeedbackBufferFullException>(() => h.Client.ReactionSet("u", "c", "r", Reaction.Sad)); // the synchronous methods never block

        release.SetResult();
        var id = await Until.DoneAsync(waiting, "the waiting enqueue gets room");
        await Until.CompletesAsync(flush, "the first flush completes");
        await h.FlushAsync();

        Assert.Equal(id, h.Gateway.Requests[^1].EventIds.Single());
        Assert.Equal(3, h.Client.Statistics.Accepted);
    }

    [Fact]
    public async Task EnqueueAsync_WhenWaitingForRoomAndCancelled_Throws_AndTakesNothing()
    {
        await using var h = ClientHarness.Create(o =>
        {
            o.MaxBufferedEvents = 1;
            o.BufferFullMode = BufferFullMode.Wait;
        });
        h.EnqueueReactions(1);
        using var cancel = new CancellationTokenSource();

        var waiting = h.Client.ReactionSetAsync("u", "c", "r", Reaction.Wow, cancellationToken: cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Until.CompletesAsync(waiting, "the cancelled enqueue ends"));
        Assert.Equal(1, h.Client.Statistics.Enqueued);
    }

    [Fact]
    public async Task EnqueueAsync_WhenWaitingForRoomAndTheClientIsDisposed_ThrowsObjectDisposed()
    {
        var h = ClientHarness.Create(o =>
        {
            o.MaxBufferedEvents = 1;
            o.BufferFullMode = BufferFullMode.Wait;
        });
        h.EnqueueReactions(1);
        var waiting = h.Client.ReactionSetAsync("u", "c", "r", Reaction.Wow, cancellationToken: TestContext.Current.CancellationToken).AsTask();

        await h.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => Until.CompletesAsync(waiting, "the waiting enqueue ends"));
        Assert.Equal(1, h.Client.Statistics.Accepted);
    }
}
