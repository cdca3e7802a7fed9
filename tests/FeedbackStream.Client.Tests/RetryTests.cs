using FeedbackStream.Client.Tests.Support;

namespace FeedbackStream.Client.Tests;

public sealed class RetryTests
{
    [Fact]
    public async Task Send_On503WithRetryAfter_WaitsTheRetryAfter_ThenResendsTheSameEvents()
    {
        await using var h = ClientHarness.Create();
        h.Gateway.Then(_ => Answers.Problem(503, "Events not acknowledged by Kafka", retryAfter: TimeSpan.FromSeconds(2)));
        var ids = h.EnqueueReactions(3);
        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);

        var first = await h.Gateway.NextRequestAsync();
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromSeconds(2));
        h.Time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Single(h.Gateway.Requests);
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        var second = await h.Gateway.NextRequestAsync();

        await Until.CompletesAsync(flush, "the flush completes after the retry");
        Assert.Equal(ids, first.EventIds);
        Assert.Equal(first.EventIds, second.EventIds);
        Assert.Equal(first.Body, second.Body);
        var stats = h.Client.Statistics;
        Assert.Equal((2, 1, 6, 3), (stats.Requests, stats.RetriedRequests, stats.Sent, stats.Accepted));
        Assert.Empty(h.Rejections);
    }

    [Fact]
    public async Task Send_OnNetworkError_RetriesAfterTheJitteredBackoff_WithTheSameEvents()
    {
        await using var h = ClientHarness.Create();
        h.Gateway.ThenThrow(new HttpRequestException("connection refused"));
        h.EnqueueReactions(2);
        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);

        var first = await h.Gateway.NextRequestAsync();
        // Jitter 0.5 of the first ceiling (InitialBackoff 100 ms).
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromMilliseconds(50));
        h.Time.Advance(TimeSpan.FromMilliseconds(50));
        var second = await h.Gateway.NextRequestAsync();

        await Until.CompletesAsync(flush, "the flush completes after the retry");
        Assert.Equal(first.EventIds, second.EventIds);
        Assert.Equal(2, h.Client.Statistics.Accepted);
    }

    [Fact]
    public async Task Send_WhenTheGatewayDoesNotAnswerWithinRequestTimeout_Retries()
    {
        await using var h = ClientHarness.Create(o => o.RequestTimeout = TimeSpan.FromSeconds(5));
        h.Gateway.ThenWaitFor(Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken));
        h.EnqueueReactions(1);
        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);

        var first = await h.Gateway.NextRequestAsync();
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromSeconds(5));
        h.Time.Advance(TimeSpan.FromSeconds(5));
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromMilliseconds(50));
        h.Time.Advance(TimeSpan.FromMilliseconds(50));
        var second = await h.Gateway.NextRequestAsync();

        await Until.CompletesAsync(flush, "the flush completes after the retry");
        Assert.Equal(first.EventIds, second.EventIds);
        Assert.Equal((1, 1), (h.Client.Statistics.RetriedRequests, h.Client.Statistics.Accepted));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Send_OnTransientStatus_RetriesTheSameEvents(int status)
    {
        await using var h = ClientHarness.Create();
        h.Gateway.Then(_ => Answers.Problem(status, "transient"));
        var ids = h.EnqueueReactions(2);
        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);

        await h.Gateway.NextRequestAsync();
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromMilliseconds(50));
        h.Time.Advance(TimeSpan.FromMilliseconds(50));

        await Until.CompletesAsync(flush, "the flush completes after the retry");
        Assert.Equal([.. ids, .. ids], h.Gateway.AllEventIds);
        Assert.Equal(2, h.Client.Statistics.Accepted);
    }

    [Fact]
    public async Task Send_OnRepeatedFailures_BackoffDoublesPerRetryUpToMaxBackoff()
    {
        await using var h = ClientHarness.Create(o => o.MaxAttempts = 8);
        h.Gateway.Fallback = (_, _) => Task.FromResult(Answers.Problem(503, "down"));
        h.EnqueueReactions(1);
        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);

        // Half of each ceiling: 100, 200, 400, 800, 1600, 1600, 1600 ms (MaxBackoff 1600 ms).
        int[] expectedMs = [50, 100, 200, 400, 800, 800, 800];
        foreach (var ms in expectedMs)
        {
            await h.Gateway.NextRequestAsync();
            await Until.TimerArmedAsync(h.Time, TimeSpan.FromMilliseconds(ms));
            h.Time.Advance(TimeSpan.FromMilliseconds(ms));
        }

        await Until.CompletesAsync(flush, "the flush completes when the attempts run out");
        Assert.Equal(8, h.Gateway.Requests.Count);
    }

    [Fact]
    public async Task Send_WhenMaxAttemptsRunOut_ReportsRetriesExhaustedForEachEvent()
    {
        await using var h = ClientHarness.Create(o => o.MaxAttempts = 3);
        h.Gateway.Fallback = (_, _) => Task.FromResult(Answers.Problem(503, "down"));
        var ids = h.EnqueueReactions(2);
        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);

        foreach (var ms in new[] { 50, 100 })
        {
            await h.Gateway.NextRequestAsync();
            await Until.TimerArmedAsync(h.Time, TimeSpan.FromMilliseconds(ms));
            h.Time.Advance(TimeSpan.FromMilliseconds(ms));
        }

        await Until.CompletesAsync(flush, "the flush completes when the attempts run out");
        var stats = h.Client.Statistics;
        Assert.Equal((3, 2, 2, 0), (stats.Requests, stats.RetriedRequests, stats.Failed, stats.Accepted));
        Assert.Equal(ids, h.Rejections.Select(r => r.EventId));
        Assert.All(h.Rejections, r =>
        {
            Assert.Equal(FeedbackRejectionKind.RetriesExhausted, r.Kind);
            Assert.Equal(503, r.StatusCode);
        });
        h.AssertCountersAddUp();
    }

    [Fact]
    public async Task Send_WhenRetryAfterPassesMaxRetryDuration_GivesUpWithoutWaiting()
    {
        await using var h = ClientHarness.Create(o =>
        {
            o.MaxAttempts = null;
            o.MaxRetryDuration = TimeSpan.FromSeconds(1);
        });
        h.Gateway.Then(_ => Answers.Problem(503, "down", retryAfter: TimeSpan.FromSeconds(2)));
        h.EnqueueReactions(1);

        await h.FlushAsync();

        Assert.Single(h.Gateway.Requests);
        Assert.Equal(1, h.Client.Statistics.Failed);
        Assert.Equal(FeedbackRejectionKind.RetriesExhausted, Assert.Single(h.Rejections).Kind);
    }

    [Fact]
    public async Task Send_WhenThe200AnswerLacksResults_RetriesTheBatch()
    {
        await using var h = ClientHarness.Create();
        h.Gateway.Then(_ => new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent("{\"accepted\":1}") });
        h.EnqueueReactions(1);
        var flush = h.Client.FlushAsync(TestContext.Current.CancellationToken);

        await h.Gateway.NextRequestAsync();
        await Until.TimerArmedAsync(h.Time, TimeSpan.FromMilliseconds(50));
        h.Time.Advance(TimeSpan.FromMilliseconds(50));

        await Until.CompletesAsync(flush, "the flush completes after the retry");
        Assert.Equal(2, h.Gateway.Requests.Count);
        Assert.Equal(1, h.Client.Statistics.Accepted);
    }
}
