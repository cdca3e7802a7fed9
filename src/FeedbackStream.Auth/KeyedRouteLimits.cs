using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace FeedbackStream.Auth;

/// <summary>
/// Limits of the routes an app API key calls (<c>POST /v1/events</c>, <c>POST /v1/score</c>): the steady requests per
/// second and burst of each key's token bucket (0 requests per second turns the limit off) and the largest body read.
/// The host that owns the HTTP edge registers one instance from its validated options.
/// </summary>
public sealed record KeyedRouteLimits
{
    /// <summary>Largest body when no host registered limits.</summary>
    public const long DefaultMaxBodyBytes = 4 * 1024 * 1024;

    public KeyedRouteLimits(int rateLimitRequestsPerSecond, int rateLimitBurstRequests, long maxBodyBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rateLimitRequestsPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(rateLimitBurstRequests, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBodyBytes, 1);
        RateLimitRequestsPerSecond = rateLimitRequestsPerSecond;
        RateLimitBurstRequests = rateLimitBurstRequests;
        MaxBodyBytes = maxBodyBytes;
    }

    public int RateLimitRequestsPerSecond { get; }

    public int RateLimitBurstRequests { get; }

    public long MaxBodyBytes { get; }
}

/// <summary>One token bucket per API key, shared by every route that requires <see cref="PolicyName"/>.</summary>
public static class PerKeyRateLimiter
{
    /// <summary>The rate-limiting policy of the keyed routes (<c>/v1/events</c>, <c>/v1/score</c>).</summary>
    public const string PolicyName = "per-api-key";

    /// <summary>Partition of requests whose key is missing or unknown: not limited here, they are refused 401 without reading the body.</summary>
    private static readonly ApiKeyPrincipal Anonymous = new("(none)", new HashSet<string>());

    /// <summary>
    /// Registers <paramref name="limits"/> (resolved once, as a singleton) and the <see cref="PolicyName"/> policy: a
    /// token bucket per key of the <see cref="ApiKeyRing"/>; past it, 429 as problem details with Retry-After.
    /// </summary>
    public static IServiceCollection AddPerKeyRateLimiter(this IServiceCollection services, Func<IServiceProvider, KeyedRouteLimits> limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        services.AddSingleton(limits);
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = OnRateLimitedAsync;
            limiter.AddPolicy(PolicyName, context =>
            {
                var limits = context.RequestServices.GetRequiredService<KeyedRouteLimits>();
                var caller = context.RequestServices.GetRequiredService<ApiKeyRing>().Find(ApiKeyHeaders.Read(context.Request));
                if (caller is null || limits.RateLimitRequestsPerSecond == 0)
                {
                    return RateLimitPartition.GetNoLimiter(Anonymous);
                }

                // One bucket per configured key (the principal is one instance per key).
                return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.RateLimitBurstRequests,
                    TokensPerPeriod = limits.RateLimitRequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        });
        return services;
    }

    /// <summary>429 as problem details, with Retry-After (whole seconds, at least 1) from the key's bucket.</summary>
    private static async ValueTask OnRateLimitedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var limits = rejected.HttpContext.RequestServices.GetRequiredService<KeyedRouteLimits>();
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await new RequestRefusal(
            StatusCodes.Status429TooManyRequests,
            "Too many requests for this API key",
            $"This key may make {limits.RateLimitRequestsPerSecond} requests per second (bursts up to {limits.RateLimitBurstRequests}); retry after {seconds} s.",
            "rate_limit_requests_per_second",
            limits.RateLimitRequestsPerSecond.ToString(CultureInfo.InvariantCulture)).ToProblem().ExecuteAsync(rejected.HttpContext);
    }
}
