using System.Text.Json;
using FeedbackStream.Client.Tests.Support;
using FeedbackStream.Contracts;

namespace FeedbackStream.Client.Tests;

public sealed class BatchingTests
{
    [Fact]
    public async Task Enqueue_WhenMaxBatchEventsReached_SendsFullBatchesAtOnce_AndTheRestAfterTheInterval()
    {
        await using var h = ClientHarness.Create(o => o.MaxBatchEvents = 3);

        var ids = h.EnqueueReactions(7);

        var first = await h.Gateway.NextRequestAsync();
        var second = await h.Gateway.NextRequestAsync();
        Assert.Equal(ids[..3], first.EventIds);
        Assert.Equal(ids[3..6], second.EventIds);

        // The seventh waits for FlushInterval (1 h in the harness): its timer is armed and nothing else was sent.
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromHours(1));
        Assert.Equal(2, h.Gateway.Requests.Count);

        h.Time.Advance(TimeSpan.FromHours(1));
        var third = await h.Gateway.NextRequestAsync();
        Assert.Equal(ids[6..], third.EventIds);
        await h.FlushAsync();
        Assert.Equal(7, h.Client.Statistics.Accepted);
        h.AssertCountersAddUp();
    }

    [Fact]
    public async Task Enqueue_WhenFlushIntervalElapses_SendsThePartialBatch_NotBefore()
    {
        await using var h = ClientHarness.Create(o => o.FlushInterval = TimeSpan.FromSeconds(1));

        var ids = h.EnqueueReactions(2);
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromSeconds(1));

        h.Time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Empty(h.Gateway.Requests);

        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        var request = await h.Gateway.NextRequestAsync();
        Assert.Equal(ids, request.EventIds);
    }

    [Fact]
    public async Task Enqueue_WhenTheNextEventWouldPassMaxBatchBytes_StartsANewBatch()
    {
        await using var h = ClientHarness.Create(o => o.MaxBatchBytes = 1024);
        var ids = Enumerable.Range(0, 5).Select(i => h.Client.FollowupSent("user-1", "conv-1", $"resp-{i}", new string('x', 300))).ToList();

        await h.FlushAsync();

        var requests = h.Gateway.Requests;
        Assert.True(requests.Count > 1, $"expected several requests, got {requests.Count}");
        Assert.All(requests, r => Assert.InRange(r.Body.Length, 1, 1024));
        Assert.Equal(ids, h.Gateway.AllEventIds);
    }

    [Fact]
    public async Task Requests_PostNdjsonWithBearerKeyToV1Events_AndEveryLineValidatesAsV1()
    {
        await using var h = ClientHarness.Create(o => o.Endpoint = new Uri("http://gateway.test/feedback"));
        h.EnqueueReactions(3);

        await h.FlushAsync();

        var request = Assert.Single(h.Gateway.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(new Uri("http://gateway.test/feedback/v1/events"), request.Uri);
        Assert.Equal("Bearer test-key", request.Authorization);
        Assert.Equal("application/x-ndjson", request.ContentType);
        var validator = new EventValidator();
        Assert.All(request.Lines, line =>
        {
            using var document = JsonDocument.Parse(line);
            var result = validator.Validate(document.RootElement);
            Assert.True(result.IsValid, string.Join("; ", result.Errors));
        });
    }
}
