using FeedbackStream.Auth;
using System.ComponentModel.DataAnnotations;

namespace FeedbackStream.Gateway;

/// <summary>Ingest gateway settings (configuration section <c>Gateway</c>).</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>API keys by SHA-256, each allowed a set of apps.</summary>
    public List<ApiKeyOptions> ApiKeys { get; } = [];

    /// <summary>Largest request body accepted (after transfer decoding).</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most events one request may carry.</summary>
    [Range(1, 100_000)]
    public int MaxEventsPerBatch { get; set; } = 2000;

    /// <summary>Longest free text (prompt, response, follow-up, edit) in characters; at most the schema's 32768.</summary>
    [Range(1, 32768)]
    public int MaxTextChars { get; set; } = 32768;

    /// <summary>How far <c>occurred_at</c> may be ahead of the gateway clock.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How old <c>occurred_at</c> may be (late events are expected; ancient ones are mistakes).</summary>
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Longest the gateway waits for Kafka's acknowledgements before answering 503.</summary>
    public TimeSpan ProduceTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The Retry-After a 503 carries.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Event ids remembered to answer retries with "duplicate" (per gateway process; the tables are the real guarantee).</summary>
    [Range(0, 50_000_000)]
    public int RecentEventIdCapacity { get; set; } = 1_000_000;

    /// <summary>How long an accepted event id is remembered.</summary>
    public TimeSpan RecentEventIdWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Steady requests per second one API key may make to <c>/v1/events</c> and <c>/v1/score</c> (a token bucket per key);
    /// past it the gateway answers 429 with Retry-After. 0 turns the limit off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RateLimitRequestsPerSecond { get; set; } = 500;

    /// <summary>Requests one key may send at once above the steady rate (the bucket's size).</summary>
    [Range(1, 10_000_000)]
    public int RateLimitBurstRequests { get; set; } = 1000;

    /// <summary>
    /// After a burst, how long the process must allocate (almost) nothing before one compacting collection gives the
    /// burst's memory back (pooled buffers, a grown heap). Zero turns it off.
    /// </summary>
    public TimeSpan IdleMemoryTrimAfter { get; set; } = TimeSpan.FromSeconds(60);

    public RedactionOptions Redaction { get; } = new();
}
