using FeedbackStream.Auth;
using System.Net;

namespace FeedbackStream.Gateway.Tests;

/// <summary>Requests per API key are limited (token bucket per key): past the burst, 429 with Retry-After and a problem body.</summary>
public sealed class RateLimitTests
{
    private const string OtherKey = "test-key-other";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneKeyPastItsBurst_Gets429WithRetryAfter_AnotherKeyIsNotAffected()
    {
        await using var gateway = await TestGateway.StartAsync(
            new()
            {
                ["Gateway:RateLimitRequestsPerSecond"] = "1",
                ["Gateway:RateLimitBurstRequests"] = "3",
                ["Gateway:ApiKeys:1:Name"] = "other",
                ["Gateway:ApiKeys:1:Sha256"] = ApiKeyRing.Hash(OtherKey),
                ["Gateway:ApiKeys:1:Apps:0"] = "chat-web",
            },
            cancellationToken: Ct);
        using var http = gateway.Client();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8; i++)
        {
            var response = await http.SendAsync(TestGateway.Post($"[{TestGateway.Event($"e{i}")}]"), Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && limited is null)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        // The first three fit the burst; of the rest at most one more fits a token added meanwhile.
        Assert.All(statuses.Take(3), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.TooManyRequests), 4, 5);
        using (limited)
        {
            Assert.NotNull(limited);
            Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), limited.Headers.RetryAfter?.ToString());
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
            var problem = await TestGateway.JsonAsync(limited, Ct);
            Assert.Equal("rate_limit_requests_per_second", problem.GetProperty("limit").GetString());
        }

        using var other = await http.SendAsync(TestGateway.Post($"[{TestGateway.Event("o1")}]", key: OtherKey), Ct);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.InRange(gateway.Publisher.Published.Count, 4, 5);
    }

    [Fact]
    public async Task LimitZero_TurnsItOff_AndUnknownKeysAre401NotLimited()
    {
        await using var gateway = await TestGateway.StartAsync(new() { ["Gateway:RateLimitRequestsPerSecond"] = "0", ["Gateway:RateLimitBurstRequests"] = "1" }, cancellationToken: Ct);
        using var http = gateway.Client();
        for (var i = 0; i < 5; i++)
        {
            using var response = await http.SendAsync(TestGateway.Post($"[{TestGateway.Event($"z{i}")}]"), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var anonymous = await http.SendAsync(TestGateway.Post("[]", key: "unknown"), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
    }

    [Fact]
    public async Task RateLimitOutOfRange_FailsAtStart()
    {
        await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var gateway = await TestGateway.StartAsync(new() { ["Gateway:RateLimitRequestsPerSecond"] = "-1" }, cancellationToken: Ct);
        });
    }
}
