using System.Threading.Channels;
using FeedbackStream.Contracts;

namespace FeedbackStream.Client;

/// <summary>
/// Sends v1 feedback events to the ingest gateway. The enqueue methods build or take an event, serialize it and put
/// it in a bounded in-memory buffer without waiting for the network; a background loop sends batches of up to
/// <see cref="FeedbackStreamClientOptions.MaxBatchEvents"/> events (or whatever is buffered after
/// <see cref="FeedbackStreamClientOptions.FlushInterval"/>) as NDJSON to <c>POST /v1/events</c>, one request at a time,
/// and retries transient failures with the same bytes, so the same event ids: the gateway answers a retried event
/// that it had accepted as a duplicate. Thread-safe; create one per process (it is a singleton in DI) and dispose it
/// on shutdown, which delivers what is buffered within <see cref="FeedbackStreamClientOptions.DisposeTimeout"/>.
/// </summary>
public sealed partial class FeedbackStreamClient : IAsyncDisposable
{
    private readonly FeedbackStreamClientOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Uri _eventsUri;
    private readonly Channel<Entry> _channel = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _room;
    private readonly CancellationTokenSource _closing = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _delivery;
    private int _disposed;

    private long _enqueued;
    private long _sent;
    private long _requests;
    private long _retriedRequests;
    private long _accepted;
    private long _duplicates;
    private long _rejected;
    private long _failed;
    private long _dropped;
    private long _buffered;

    /// <summary>Creates a client with its own <see cref="HttpClient"/> and the system clock.</summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> are invalid (<see cref="FeedbackStreamClientOptions.Validate"/>).</exception>
    public FeedbackStreamClient(FeedbackStreamClientOptions options)
        : this(options, httpClient: null, timeProvider: null)
    {
    }

    /// <summary>
    /// Creates a client. A given <paramref name="httpClient"/> stays the caller's (not disposed; its base address is
    /// not used); without one the client owns an <see cref="HttpClient"/> whose pooled connections are renewed
    /// every few minutes. <paramref name="timeProvider"/> drives timestamps, batching, backoff and timeouts.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> are invalid (<see cref="FeedbackStreamClientOptions.Validate"/>).</exception>
    public FeedbackStreamClient(FeedbackStreamClientOptions options, HttpClient? httpClient, TimeProvider? timeProvider = null)
        : this(options, httpClient, timeProvider, random: null)
    {
    }

    internal FeedbackStreamClient(FeedbackStreamClientOptions options, HttpClient? httpClient, TimeProvider? timeProvider, Random? random)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid {nameof(FeedbackStreamClientOptions)}: {string.Join(" ", errors)}", nameof(options));
        }

        _options = options.Clone();
        _time = timeProvider ?? TimeProvider.System;
        _random = random ?? new Random();
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // RequestTimeout applies per attempt, on the client's clock.
        };
        var endpoint = _options.Endpoint!.AbsoluteUri;
        _eventsUri = new Uri(new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/"), "v1/events");
        _room = new SemaphoreSlim(_options.MaxBufferedEvents, _options.MaxBufferedEvents);
        _maxBatchEvents = _options.MaxBatchEvents;
        _maxBatchBytes = _options.MaxBatchBytes;
        _delivery = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The address events are posted to (<c>{Endpoint}/v1/events</c>).</summary>
    public Uri EventsUri => _eventsUri;

    /// <summary>A snapshot of the counters.</summary>
    public FeedbackStreamStatistics Statistics => new(
        Interlocked.Read(ref _enqueued),
        Interlocked.Read(ref _sent),
        Interlocked.Read(ref _requests),
        Interlocked.Read(ref _retriedRequests),
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _duplicates),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _dropped),
        Interlocked.Read(ref _buffered));

    /// <summary>Enqueues <c>response.served</c>: a response was shown to the user. Returns the new event's id.</summary>
    /// <remarks>Never blocks; when the buffer is full see <see cref="FeedbackStreamClientOptions.BufferFullMode"/>. <paramref name="occurredAt"/> defaults to now.</remarks>
    public string ResponseServed(
        string userId,
        string conversationId,
        string responseId,
        int turnIndex,
        string responseText,
        string modelVersion,
        string? promptText = null,
        string? promptHash = null,
        string? regeneratedFrom = null,
        int candidateIndex = 0,
        double? latencyMs = null,
        string? surface = null,
        string? locale = null,
        DateTimeOffset? occurredAt = null) =>
        Add(Build(userId, conversationId, Served(responseId, turnIndex, responseText, modelVersion, promptText, promptHash, regeneratedFrom, candidateIndex, latencyMs, surface, locale), occurredAt));

    /// <summary>Like <see cref="ResponseServed"/>, but waits for room when the buffer is full and the mode is <see cref="BufferFullMode.Wait"/>.</summary>
    public ValueTask<string> ResponseServedAsync(
        string userId,
        string conversationId,
        string responseId,
        int turnIndex,
        string responseText,
        string modelVersion,
        string? promptText = null,
        string? promptHash = null,
        string? regeneratedFrom = null,
        int candidateIndex = 0,
        double? latencyMs = null,
        string? surface = null,
        string? locale = null,
        DateTimeOffset? occurredAt = null,
        CancellationToken cancellationToken = default) =>
        AddAsync(Build(userId, conversationId, Served(responseId, turnIndex, responseText, modelVersion, promptText, promptHash, regeneratedFrom, candidateIndex, latencyMs, surface, locale), occurredAt), cancellationToken);

    /// <summary>Enqueues <c>reaction.set</c>: the user put <paramref name="reaction"/> on a response. Returns the new event's id.</summary>
    public string ReactionSet(string userId, string conversationId, string responseId, Reaction reaction, long? shownToReactionMs = null, DateTimeOffset? occurredAt = null) =>
        Add(Build(userId, conversationId, new Contracts.ReactionSet(Required(responseId), reaction, shownToReactionMs), occurredAt));

    /// <summary>Like <see cref="ReactionSet"/>, but may wait for room (<see cref="BufferFullMode.Wait"/>).</summary>
    public ValueTask<string> ReactionSetAsync(string userId, string conversationId, string responseId, Reaction reaction, long? shownToReactionMs = null, DateTimeOffset? occurredAt = null, CancellationToken cancellationToken = default) =>
        AddAsync(Build(userId, conversationId, new Contracts.ReactionSet(Required(responseId), reaction, shownToReactionMs), occurredAt), cancellationToken);

    /// <summary>Enqueues <c>reaction.cleared</c>: the user took <paramref name="reaction"/> off a response. Returns the new event's id.</summary>
    public string ReactionCleared(string userId, string conversationId, string responseId, Reaction reaction, long? shownToReactionMs = null, DateTimeOffset? occurredAt = null) =>
        Add(Build(userId, conversationId, new Contracts.ReactionCleared(Required(responseId), reaction, shownToReactionMs), occurredAt));

    /// <summary>Like <see cref="ReactionCleared"/>, but may wait for room (<see cref="BufferFullMode.Wait"/>).</summary>
    public ValueTask<string> ReactionClearedAsync(string userId, string conversationId, string responseId, Reaction reaction, long? shownToReactionMs = null, DateTimeOffset? occurredAt = null, CancellationToken cancellationToken = default) =>
        AddAsync(Build(userId, conversationId, new Contracts.ReactionCleared(Required(responseId), reaction, shownToReactionMs), occurredAt), cancellationToken);

    /// <summary>Enqueues <c>followup.sent</c>: the user's next utterance after a response. Returns the new event's id.</summary>
    public string FollowupSent(string userId, string conversationId, string responseId, string text, long? shownToFollowupMs = null, DateTimeOffset? occurredAt = null) =>
        Add(Build(userId, conversationId, new Contracts.FollowupSent(Required(responseId), Required(text), shownToFollowupMs), occurredAt));

    /// <summary>Like <see cref="FollowupSent"/>, but may wait for room (<see cref="BufferFullMode.Wait"/>).</summary>
    public ValueTask<string> FollowupSentAsync(string userId, string conversationId, string responseId, string text, long? shownToFollowupMs = null, DateTimeOffset? occurredAt = null, CancellationToken cancellationToken = default) =>
        AddAsync(Build(userId, conversationId, new Contracts.FollowupSent(Required(responseId), Required(text), shownToFollowupMs), occurredAt), cancellationToken);

    /// <summary>Enqueues <c>response.action</c>: the user acted on a response; <paramref name="editedText"/> is set for <see cref="ActionKind.Edit"/> only. Returns the new event's id.</summary>
    public string ResponseAction(string userId, string conversationId, string responseId, ActionKind action, string? editedText = null, long? shownToActionMs = null, DateTimeOffset? occurredAt = null) =>
        Add(Build(userId, conversationId, new Contracts.ResponseAction(Required(responseId), action, editedText, shownToActionMs), occurredAt));

    /// <summary>Like <see cref="ResponseAction"/>, but may wait for room (<see cref="BufferFullMode.Wait"/>).</summary>
    public ValueTask<string> ResponseActionAsync(string userId, string conversationId, string responseId, ActionKind action, string? editedText = null, long? shownToActionMs = null, DateTimeOffset? occurredAt = null, CancellationToken cancellationToken = default) =>
        AddAsync(Build(userId, conversationId, new Contracts.ResponseAction(Required(responseId), action, editedText, shownToActionMs), occurredAt), cancellationToken);

    /// <summary>Enqueues an event of any v1 type with a new id, this client's app id and <paramref name="occurredAt"/> (default now). Returns the id.</summary>
    public string Enqueue(string userId, string conversationId, EventPayload payload, DateTimeOffset? occurredAt = null) =>
        Add(Build(userId, conversationId, payload, occurredAt));

    /// <summary>Like <see cref="Enqueue(string, string, EventPayload, DateTimeOffset?)"/>, but may wait for room (<see cref="BufferFullMode.Wait"/>).</summary>
    public ValueTask<string> EnqueueAsync(string userId, string conversationId, EventPayload payload, DateTimeOffset? occurredAt = null, CancellationToken cancellationToken = default) =>
        AddAsync(Build(userId, conversationId, payload, occurredAt), cancellationToken);

    /// <summary>
    /// Enqueues an event the caller built, sent as it is (its own id and app id; a retry of the same event must keep
    /// its id). Returns <see cref="FeedbackEvent.EventId"/>. Never blocks; see <see cref="FeedbackStreamClientOptions.BufferFullMode"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The event has no id, or its type does not match its payload.</exception>
    public string Enqueue(FeedbackEvent feedbackEvent) => Add(feedbackEvent);

    /// <summary>Like <see cref="Enqueue(FeedbackEvent)"/>, but may wait for room (<see cref="BufferFullMode.Wait"/>).</summary>
    public ValueTask<string> EnqueueAsync(FeedbackEvent feedbackEvent, CancellationToken cancellationToken = default) =>
        AddAsync(feedbackEvent, cancellationToken);

    /// <summary>
    /// Sends what is buffered now and completes when every event enqueued before the call is settled: accepted,
    /// duplicate, rejected or given up (see <see cref="FeedbackStreamClientOptions.OnRejected"/>). Cancelling the
    /// token stops the wait only; delivery goes on.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The client is disposed.</exception>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite(new Entry(settled)))
        {
            throw new ObjectDisposedException(nameof(FeedbackStreamClient));
        }

        await settled.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stops taking events, delivers what is buffered (retrying as usual) for at most
    /// <see cref="FeedbackStreamClientOptions.DisposeTimeout"/>, then gives up on the rest (counted as dropped) and
    /// releases the connection. Waiting <c>*Async</c> enqueuers get <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _delivery;
            return;
        }

        await _closing.CancelAsync();
        _channel.Writer.TryComplete();
        using (var timer = new CancellationTokenSource())
        {
            var timeout = Task.Delay(_options.DisposeTimeout, _time, timer.Token);
            if (await Task.WhenAny(_delivery, timeout) != _delivery)
            {
                await _stop.CancelAsync();
            }

            await timer.CancelAsync();
        }

        await _delivery;
        _stop.Dispose();
        _closing.Dispose();
        _room.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static string Required(string value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        return value;
    }

    private static Contracts.ResponseServed Served(
        string responseId, int turnIndex, string responseText, string modelVersion, string? promptText, string? promptHash,
        string? regeneratedFrom, int candidateIndex, double? latencyMs, string? surface, string? locale) =>
        new(Required(responseId), turnIndex, Required(responseText), Required(modelVersion), promptText, promptHash, regeneratedFrom, candidateIndex, latencyMs, surface, locale);

    private FeedbackEvent Build(string userId, string conversationId, EventPayload payload, DateTimeOffset? occurredAt)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var now = _time.GetUtcNow();
        return FeedbackEvent.Create(Guid.CreateVersion7(now).ToString("D"), _options.AppId, occurredAt ?? now, Required(userId), Required(conversationId), payload);
    }

    private Entry Prepare(FeedbackEvent feedbackEvent)
    {
        ArgumentNullException.ThrowIfNull(feedbackEvent);
        ArgumentException.ThrowIfNullOrEmpty(feedbackEvent.EventId, nameof(feedbackEvent));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        byte[] json;
        try
        {
            json = FeedbackJson.Serialize(feedbackEvent);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"The event cannot be serialized: {e.Message}", nameof(feedbackEvent), e);
        }

        return new Entry(feedbackEvent.EventId, json);
    }

    private string Add(FeedbackEvent feedbackEvent)
    {
        var entry = Prepare(feedbackEvent);
        if (!_room.Wait(0) && !BufferFull(entry, waitAvailable: false))
        {
            return entry.EventId;
        }

        Write(entry);
        return entry.EventId;
    }

    private async ValueTask<string> AddAsync(FeedbackEvent feedbackEvent, CancellationToken cancellationToken)
    {
        var entry = Prepare(feedbackEvent);
        if (!_room.Wait(0))
        {
            if (!BufferFull(entry, waitAvailable: true))
            {
                return entry.EventId;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            try
            {
                await _room.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(FeedbackStreamClient));
            }
        }

        Write(entry);
        return entry.EventId;
    }

    /// <summary>Applies <see cref="FeedbackStreamClientOptions.BufferFullMode"/>: false when the event was dropped, true when the caller should wait for room; throws otherwise.</summary>
    private bool BufferFull(Entry entry, bool waitAvailable)
    {
        switch (_options.BufferFullMode)
        {
            case BufferFullMode.Drop:
                Interlocked.Increment(ref _enqueued);
                Interlocked.Increment(ref _dropped);
                return false;
            case BufferFullMode.Wait when waitAvailable:
                return true;
            case BufferFullMode.Wait:
                throw new FeedbackBufferFullException($"The feedback buffer is full ({_options.MaxBufferedEvents} events); event {entry.EventId} was not enqueued. Use the Async methods to wait for room.");
            default:
                throw new FeedbackBufferFullException($"The feedback buffer is full ({_options.MaxBufferedEvents} events); event {entry.EventId} was not enqueued.");
        }
    }

    /// <summary>Puts an entry that holds a unit of room into the channel.</summary>
    private void Write(Entry entry)
    {
        Interlocked.Increment(ref _enqueued);
        Interlocked.Increment(ref _buffered);
        if (!_channel.Writer.TryWrite(entry))
        {
            Interlocked.Decrement(ref _enqueued);
            Interlocked.Decrement(ref _buffered);
            _room.Release();
            throw new ObjectDisposedException(nameof(FeedbackStreamClient));
        }
    }

    /// <summary>One serialized event, or a flush marker.</summary>
    private sealed class Entry
    {
        public Entry(string eventId, byte[] json)
        {
            EventId = eventId;
            Json = json;
        }

        public Entry(TaskCompletionSource flushed)
        {
            EventId = "";
            Json = [];
            Flushed = flushed;
        }

        public string EventId { get; }

        public byte[] Json { get; }

        public TaskCompletionSource? Flushed { get; }

        /// <summary>Set once the event's fate is known (delivery loop only).</summary>
        public bool Settled { get; set; }
    }
}
