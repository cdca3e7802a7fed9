using System.Text.Json.Nodes;
using FeedbackStream.Client.Tests.Support;

namespace FeedbackStream.Client.Tests;

public sealed class RejectionTests
{
    [Theory]
    [InlineData(400, "Body is not valid JSON")]
    [InlineData(401, "Missing or unknown API key")]
    [InlineData(403, "API key not allowed for app")]
    [InlineData(404, "Not Found")]
    public async Task Send_WhenTheRequestIsRefused_DoesNotRetry_AndReportsEveryEvent(int status, string title)
    {
        await using var h = ClientHarness.Create();
        h.Gateway.Then(_ => Answers.Problem(status, title));
        var ids = h.EnqueueReactions(3);

        await h.FlushAsync();
        await h.FlushAsync();

        Assert.Single(h.Gateway.Requests);
        var stats = h.Client.Statistics;
        Assert.Equal((3, 0, 0), (stats.Rejected, stats.RetriedRequests, stats.Accepted));
        Assert.Equal(ids, h.Rejections.Select(r => r.EventId));
        Assert.All(h.Rejections, r =>
        {
            Assert.Equal(FeedbackRejectionKind.RequestRefused, r.Kind);
            Assert.Equal(status, r.StatusCode);
            Assert.StartsWith(title, r.Detail, StringComparison.Ordinal);
        });
        Assert.DoesNotContain(h.Time.PendingTimers, t => t < TimeSpan.FromHours(1));
        h.AssertCountersAddUp();
    }

    [Fact]
    public async Task Send_PerEventResults_CountEachStatus_AndReportOnlyTheRejectedEventWithItsPath()
    {
        await using var h = ClientHarness.Create();
        h.Gateway.Then(r => Answers.Results(
            r,
            i => i switch { 0 => "accepted", 1 => "rejected", _ => "duplicate" },
            i => i == 1 ? [new JsonObject { ["path"] = "$[1].payload.reaction", ["reason"] = "must be one of love, like" }] : null));
        var ids = h.EnqueueReactions(3);

        await h.FlushAsync();

        var stats = h.Client.Statistics;
        Assert.Equal((1, 1, 1, 0L), (stats.Accepted, stats.Rejected, stats.Duplicates, stats.RetriedRequests));
        var rejection = Assert.Single(h.Rejections);
        Assert.Equal(ids[1], rejection.EventId);
        Assert.Equal(FeedbackRejectionKind.Invalid, rejection.Kind);
        Assert.Equal(new FeedbackEventError("$.payload.reaction", "must be one of love, like"), Assert.Single(rejection.Errors));
        Assert.Single(h.Gateway.Requests);
        h.AssertCountersAddUp();
    }

    [Fact]
    public async Task Send_WhenOnRejectedThrows_DeliveryGoesOn()
    {
        await using var h = ClientHarness.Create(o => o.OnRejected = _ => throw new InvalidOperationException("app bug"));
        h.Gateway.Then(_ => Answers.Problem(401, "Missing or unknown API key"));
        h.EnqueueReactions(1);
        await h.FlushAsync();

        h.EnqueueReactions(1);
        await h.FlushAsync();

        Assert.Equal((1, 1), (h.Client.Statistics.Rejected, h.Client.Statistics.Accepted));
    }

    [Fact]
    public async Task Send_On413MaxEventsPerBatch_SplitsByTheLimit_AndLaterBatchesRespectIt()
    {
        await using var h = ClientHarness.Create(o => o.MaxBatchEvents = 10);
        h.Gateway.Then(_ => Answers.Problem(413, "Too many events in one request", "max_events_per_batch", "2"));
        var ids = h.EnqueueReactions(5);

        await h.FlushAsync();

        Assert.Equal([5, 2, 2, 1], h.Gateway.Requests.Select(r => r.Count));
        Assert.Equal(ids, h.Gateway.Requests.Skip(1).SelectMany(r => r.EventIds));
        Assert.Equal(5, h.Client.Statistics.Accepted);

        h.EnqueueReactions(3);
        await h.FlushAsync();
        Assert.Equal([5, 2, 2, 1, 2, 1], h.Gateway.Requests.Select(r => r.Count));
        Assert.Empty(h.Rejections);
    }

    [Fact]
    public async Task Send_On413MaxBodyBytes_SplitsInHalvesUntilTheGatewayTakesThem()
    {
        await using var h = ClientHarness.Create();
        h.Gateway.Fallback = (r, _) => Task.FromResult(r.Count > 2
            ? Answers.Problem(413, "Request body too large", "max_body_bytes", "4194304")
            : Answers.AcceptAll(r));
        var ids = h.EnqueueReactions(8);

        await h.FlushAsync();

        Assert.Equal([8, 4, 2, 2, 4, 2, 2], h.Gateway.Requests.Select(r => r.Count));
        Assert.Equal(ids, h.Gateway.Requests.Where(r => r.Count <= 2).SelectMany(r => r.EventIds));
        Assert.Equal((8, 0), (h.Client.Statistics.Accepted, h.Client.Statistics.Rejected));
    }

    [Fact]
    public async Task Send_On413ForASingleEvent_RejectsIt()
    {
        await using var h = ClientHarness.Create();
        h.Gateway.Then(_ => Answers.Problem(413, "Request body too large", "max_body_bytes", "1024"));
        var id = Assert.Single(h.EnqueueReactions(1));

        await h.FlushAsync();

        var rejection = Assert.Single(h.Rejections);
        Assert.Equal((id, FeedbackRejectionKind.RequestRefused, 413), (rejection.EventId, rejection.Kind, rejection.StatusCode));
        Assert.Single(h.Gateway.Requests);
    }
}
