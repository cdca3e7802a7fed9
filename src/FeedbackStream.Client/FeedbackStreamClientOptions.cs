using System.Globalization;

namespace FeedbackStream.Client;

/// <summary>What the enqueue methods do when <see cref="FeedbackStreamClientOptions.MaxBufferedEvents"/> events are already buffered.</summary>
public enum BufferFullMode
{
    /// <summary>Drop the new event and count it in <see cref="FeedbackStreamStatistics.Dropped"/>; the call still returns its id. The default: feedback never blocks or breaks the app.</summary>
    Drop,

    /// <summary>Throw <see cref="FeedbackBufferFullException"/>; nothing is buffered.</summary>
    Throw,

    /// <summary>
    /// The <c>*Async</c> methods wait until delivery frees room (or their token is cancelled). The synchronous
    /// methods never block: under this mode they throw <see cref="FeedbackBufferFullException"/> when the buffer is full.
    /// </summary>
    Wait,
}

/// <summary>Settings of <see cref="FeedbackStreamClient"/> (configuration section <see cref="SectionName"/>).</summary>
public sealed class FeedbackStreamClientOptions
{
    /// <summary>Configuration section the options are conventionally bound from.</summary>
    public const string SectionName = "FeedbackStream";

    /// <summary>Base address of the ingest gateway, e.g. <c>https://feedback.example.com/</c>; events go to <c>{Endpoint}/v1/events</c>. Required, absolute http or https.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The app's API key, sent as <c>Authorization: Bearer &lt;key&gt;</c>. Required.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary><c>app_id</c> of the events the typed methods build: 1..64 of [a-z0-9._-]. Required.</summary>
    public string AppId { get; set; } = "";

    /// <summary>Most events per request (1..100000, default 500); a batch is sent as soon as it is full.</summary>
    public int MaxBatchEvents { get; set; } = 500;

    /// <summary>Largest request body the client builds (1 KiB..256 MiB, default 4 MiB, the gateway's default <c>max_body_bytes</c>).</summary>
    public long MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Longest an event waits in a partial batch before the batch is sent (1 ms..1 h, default 1 s).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Events held in memory at most, buffered or being delivered (&gt;= 1, default 100000); see <see cref="BufferFullMode"/>.</summary>
    public int MaxBufferedEvents { get; set; } = 100_000;

    /// <summary>What enqueueing does when the buffer is full (default <see cref="BufferFullMode.Drop"/>).</summary>
    public BufferFullMode BufferFullMode { get; set; } = BufferFullMode.Drop;

    /// <summary>Longest one HTTP request may take, body included (1 ms..1 h, default 30 s); a timeout is retried.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests per batch at most, the first included (&gt;= 1, default 10); null for no count limit. At least one of this and <see cref="MaxRetryDuration"/> must be set.</summary>
    public int? MaxAttempts { get; set; } = 10;

    /// <summary>Longest a batch is retried, from its first request (default 5 min); null for no time limit.</summary>
    public TimeSpan? MaxRetryDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Ceiling of the first retry delay (default 200 ms); the ceiling doubles per retry up to <see cref="MaxBackoff"/>, and the delay is drawn uniformly below it (full jitter).</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Largest retry delay ceiling (default 30 s; &gt;= <see cref="InitialBackoff"/>). A longer Retry-After from the gateway is still honoured.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="FeedbackStreamClient.DisposeAsync"/> keeps delivering what is buffered (default 10 s; zero to give up at once); what is left then counts as dropped.</summary>
    public TimeSpan DisposeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called once per event that will not be delivered: rejected by the gateway (per-event errors), refused with its
    /// request (400, 401, 403, 413 for a single event, other 4xx) or given up after the retry limits. Runs on the
    /// client's delivery loop: keep it short and do not block; exceptions it throws are ignored.
    /// </summary>
    public Action<FeedbackRejection>? OnRejected { get; set; }

    /// <summary>Every rule these options break, as readable messages; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{nameof(Endpoint)} must be an absolute http or https address of the gateway.");
        }

        if (string.IsNullOrWhiteSpace(ApiKey) || ApiKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add($"{nameof(ApiKey)} is required and may not contain white space or control characters.");
        }

        if (AppId is null || AppId.Length is < 1 or > 64 || !AppId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-'))
        {
            errors.Add($"{nameof(AppId)} must be 1..64 characters of [a-z0-9._-].");
        }

        Range(errors, nameof(MaxBatchEvents), MaxBatchEvents, 1, 100_000);
        Range(errors, nameof(MaxBatchBytes), MaxBatchBytes, 1024, 256L * 1024 * 1024);
        Range(errors, nameof(MaxBufferedEvents), MaxBufferedEvents, 1, int.MaxValue);
        Range(errors, nameof(FlushInterval), FlushInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Range(errors, nameof(RequestTimeout), RequestTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Range(errors, nameof(InitialBackoff), InitialBackoff, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Range(errors, nameof(MaxBackoff), MaxBackoff, InitialBackoff, TimeSpan.FromHours(1));
        Range(errors, nameof(DisposeTimeout), DisposeTimeout, TimeSpan.Zero, TimeSpan.FromHours(1));
        if (!Enum.IsDefined(BufferFullMode))
        {
            errors.Add($"{nameof(BufferFullMode)} must be one of {string.Join(", ", Enum.GetNames<BufferFullMode>())}.");
        }

        if (MaxAttempts is null && MaxRetryDuration is null)
        {
            errors.Add($"Set {nameof(MaxAttempts)}, {nameof(MaxRetryDuration)} or both: a batch may not be retried forever.");
        }

        if (MaxAttempts is { } attempts)
        {
            Range(errors, nameof(MaxAttempts), attempts, 1, 1000);
        }

        if (MaxRetryDuration is { } duration)
        {
            Range(errors, nameof(MaxRetryDuration), duration, TimeSpan.Zero, TimeSpan.FromDays(1));
        }

        return errors;
    }

    /// <summary>A copy, so later changes to this instance do not reach a running client.</summary>
    internal FeedbackStreamClientOptions Clone() => (FeedbackStreamClientOptions)MemberwiseClone();

    private static void Range<T>(List<string> errors, string name, T value, T min, T max)
        where T : IComparable<T>, IFormattable
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be between {min} and {max}; it is {value}."));
        }
    }
}
