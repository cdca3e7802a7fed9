using System.Globalization;
using System.Net.Http.Headers;

namespace FeedbackStream.Client;

/// <summary>The delivery loop: batching, sending, retrying, splitting and settling events. Runs on one task; the fields here are its own.</summary>
public sealed partial class FeedbackStreamClient
{
    private static readonly MediaTypeHeaderValue NdjsonType = new("application/x-ndjson");
    private static readonly MediaTypeWithQualityHeaderValue JsonType = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue ProblemType = new("application/problem+json");

    // Lowered when the gateway answers 413 with its limit, so later batches fit.
    private int _maxBatchEvents;
    private long _maxBatchBytes;

    private enum AttemptKind
    {
        Answered,
        Refused,
        TooLarge,
        Transient,
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var batch = new List<Entry>();
        var flushes = new List<TaskCompletionSource>();
        Entry? carry = null;
        Task<bool>? dataReady = null;
        try
        {
            var drained = false;
            while (!drained || carry is not null)
            {
                long bytes = 0;
                var due = DateTimeOffset.MaxValue;
                if (carry is not null)
                {
                    batch.Add(carry);
                    bytes = carry.Json.Length + 1;
                    due = _time.GetUtcNow() + _options.FlushInterval;
                    carry = null;
                }

                while (batch.Count < _maxBatchEvents)
                {
                    if (_channel.Reader.TryRead(out var entry))
                    {
                        if (entry.Flushed is { } flushed)
                        {
                            flushes.Add(flushed);
                            break;
                        }

                        if (batch.Count > 0 && bytes + entry.Json.Length + 1 > _maxBatchBytes)
                        {
                            carry = entry;
                            break;
                        }

                        if (batch.Count == 0)
                        {
                            due = _time.GetUtcNow() + _options.FlushInterval;
                        }

                        batch.Add(entry);
                        bytes += entry.Json.Length + 1;
                        continue;
                    }

                    dataReady ??= _channel.Reader.WaitToReadAsync(stop).AsTask();
                    if (batch.Count > 0 && !dataReady.IsCompleted)
                    {
                        var remaining = due - _time.GetUtcNow();
                        if (remaining <= TimeSpan.Zero)
                        {
                            break;
                        }

                        using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
                        var delay = Task.Delay(remaining, _time, delayCancel.Token);
                        await Task.WhenAny(dataReady, delay);
                        await delayCancel.CancelAsync();
                        stop.ThrowIfCancellationRequested();
                        if (!dataReady.IsCompleted)
                        {
                            break; // FlushInterval elapsed.
                        }
                    }

                    var more = await dataReady;
                    dataReady = null;
                    if (!more)
                    {
                        drained = true; // Disposing: send what is left at once.
                        break;
                    }
                }

                if (batch.Count > 0)
                {
                    await DeliverSafelyAsync(batch, stop);
                    batch.Clear();
                }

                foreach (var flushed in flushes)
                {
                    flushed.TrySetResult();
                }

                flushes.Clear();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // DisposeTimeout ran out: what is not settled yet is dropped. The writer is complete, so the channel only shrinks.
            DropUnsettled(batch);
            if (carry is not null)
            {
                DropUnsettled([carry]);
            }

            while (_channel.Reader.TryRead(out var entry))
            {
                if (entry.Flushed is { } flushed)
                {
                    flushes.Add(flushed);
                }
                else
                {
                    DropUnsettled([entry]);
                }
            }

            foreach (var flushed in flushes)
            {
                flushed.TrySetResult();
            }
        }
    }

    /// <summary>Delivers a batch; an unexpected fault fails the batch instead of ending the loop (which would stall every later flush).</summary>
    private async Task DeliverSafelyAsync(List<Entry> batch, CancellationToken stop)
    {
        try
        {
            await DeliverAsync(batch, stop);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            // The loop must outlive any fault of one batch; the fault is reported through OnRejected.
            foreach (var entry in batch)
            {
                if (Settle(entry))
                {
                    Interlocked.Increment(ref _failed);
                    Report(new FeedbackRejection(entry.EventId, FeedbackRejectionKind.RetriesExhausted, null, [], $"Delivery failed: {e.GetType().Name}: {e.Message}"));
                }
            }
        }
    }

    /// <summary>Sends <paramref name="events"/> until the gateway settles them, a limit splits them, or the retry limits run out.</summary>
    private async Task DeliverAsync(List<Entry> events, CancellationToken stop)
    {
        var body = BuildBody(events);
        var ids = events.ConvertAll(e => e.EventId);
        var firstAttempt = _time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 1)
            {
                Interlocked.Increment(ref _retriedRequests);
            }

            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _sent, events.Count);
            var outcome = await AttemptAsync(body, ids, stop);
            switch (outcome.Kind)
            {
                case AttemptKind.Answered:
                    Apply(events, outcome.Answer!);
                    return;
                case AttemptKind.TooLarge when events.Count > 1:
                    foreach (var part in Split(events, outcome))
                    {
                        await DeliverAsync(part, stop);
                    }

                    return;
                case AttemptKind.TooLarge:
                case AttemptKind.Refused:
                    RejectAll(events, FeedbackRejectionKind.RequestRefused, outcome);
                    return;
                default:
                    var delay = RetryBackoff.Delay(attempt, _options.InitialBackoff, _options.MaxBackoff, _random.NextDouble(), outcome.RetryAfter);
                    if (attempt >= _options.MaxAttempts || _time.GetElapsedTime(firstAttempt) + delay > _options.MaxRetryDuration)
                    {
                        RejectAll(events, FeedbackRejectionKind.RetriesExhausted, outcome);
                        return;
                    }

                    await Task.Delay(delay, _time, stop);
                    break;
            }
        }
    }

    private async Task<Attempt> AttemptAsync(byte[] body, List<string> ids, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _eventsUri);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = NdjsonType;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        request.Headers.Accept.Add(JsonType);
        request.Headers.Accept.Add(ProblemType);
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token);
            var content = await response.Content.ReadAsByteArrayAsync(linked.Token);
            return Classify(response, content, ids);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return Attempt.Transient(null, string.Create(CultureInfo.InvariantCulture, $"No answer within RequestTimeout ({_options.RequestTimeout})."), null);
        }
        catch (HttpRequestException e)
        {
            return Attempt.Transient(null, $"Network error: {e.Message}", null);
        }
    }

    private Attempt Classify(HttpResponseMessage response, byte[] content, List<string> ids)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            var answer = GatewayAnswers.ReadIngestAnswer(content, ids);
            return answer is not null
                ? new Attempt(AttemptKind.Answered, status, null, null, answer, null, null)
                : Attempt.Transient(status, "The gateway's answer does not hold one result per event.", null);
        }

        var (detail, limit, limitValue) = GatewayAnswers.ReadProblem(content);
        detail ??= string.Create(CultureInfo.InvariantCulture, $"{status} {response.ReasonPhrase}");
        return status switch
        {
            413 => new Attempt(AttemptKind.TooLarge, status, detail, null, null, limit, limitValue),
            408 or 429 or >= 500 => Attempt.Transient(status, detail, RetryAfter(response)),
            _ => new Attempt(AttemptKind.Refused, status, detail, null, null, null, null),
        };
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date > _time.GetUtcNow() ? date - _time.GetUtcNow() : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Splits a batch the gateway found too large: by the limit it named, else in halves. Every part is smaller, so splitting ends.</summary>
    private List<List<Entry>> Split(List<Entry> events, Attempt outcome)
    {
        var maxEvents = events.Count;
        var maxBytes = long.MaxValue;
        if (outcome.Limit == GatewayAnswers.LimitMaxEvents && outcome.LimitValue is > 0 and var eventLimit)
        {
            maxEvents = (int)Math.Min(eventLimit, events.Count);
            _maxBatchEvents = Math.Min(_maxBatchEvents, maxEvents);
        }
        else if (outcome.Limit == GatewayAnswers.LimitMaxBytes && outcome.LimitValue is > 0 and var byteLimit)
        {
            maxBytes = byteLimit;
            _maxBatchBytes = Math.Min(_maxBatchBytes, byteLimit);
        }

        var parts = new List<List<Entry>>();
        var current = new List<Entry>();
        long bytes = 0;
        foreach (var entry in events)
        {
            if (current.Count > 0 && (current.Count >= maxEvents || bytes + entry.Json.Length + 1 > maxBytes))
            {
                parts.Add(current);
                current = [];
                bytes = 0;
            }

            current.Add(entry);
            bytes += entry.Json.Length + 1;
        }

        parts.Add(current);
        if (parts.Count < 2)
        {
            var half = events.Count / 2;
            parts = [events[..half], events[half..]];
        }

        return parts;
    }

    private void Apply(List<Entry> events, IngestAnswer answer)
    {
        foreach (var result in answer.Results!)
        {
            var entry = events[result.Index];
            if (!Settle(entry))
            {
                continue;
            }

            switch (result.Status)
            {
                case GatewayAnswers.StatusAccepted:
                    Interlocked.Increment(ref _accepted);
                    break;
                case GatewayAnswers.StatusDuplicate:
                    Interlocked.Increment(ref _duplicates);
                    break;
                default:
                    Interlocked.Increment(ref _rejected);
                    var errors = (result.Errors ?? []).Select(e => new FeedbackEventError(GatewayAnswers.RelativePath(e.Path, result.Index), e.Reason ?? "")).ToArray();
                    Report(new FeedbackRejection(entry.EventId, FeedbackRejectionKind.Invalid, 200, errors, null));
                    break;
            }
        }
    }

    private void RejectAll(List<Entry> events, FeedbackRejectionKind kind, Attempt outcome)
    {
        foreach (var entry in events)
        {
            if (Settle(entry))
            {
                Interlocked.Increment(ref kind == FeedbackRejectionKind.RetriesExhausted ? ref _failed : ref _rejected);
                Report(new FeedbackRejection(entry.EventId, kind, outcome.StatusCode, [], outcome.Detail));
            }
        }
    }

    private void DropUnsettled(List<Entry> events)
    {
        foreach (var entry in events)
        {
            if (Settle(entry))
            {
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    /// <summary>Marks an event settled and gives its room back; false when it already was.</summary>
    private bool Settle(Entry entry)
    {
        if (entry.Settled)
        {
            return false;
        }

        entry.Settled = true;
        Interlocked.Decrement(ref _buffered);
        _room.Release();
        return true;
    }

    private void Report(FeedbackRejection rejection)
    {
        if (_options.OnRejected is not { } callback)
        {
            return;
        }

        try
        {
            callback(rejection);
        }
        catch (Exception)
        {
            // A faulty app callback must not stop delivery (documented on OnRejected); the counters still carry the rejection.
        }
    }

    private static byte[] BuildBody(List<Entry> events)
    {
        var length = 0;
        foreach (var entry in events)
        {
            length += entry.Json.Length + 1;
        }

        var body = new byte[length];
        var offset = 0;
        foreach (var entry in events)
        {
            entry.Json.CopyTo(body, offset);
            offset += entry.Json.Length;
            body[offset++] = (byte)'\n';
        }

        return body;
    }

    private readonly record struct Attempt(
        AttemptKind Kind, int? StatusCode, string? Detail, TimeSpan? RetryAfter, IngestAnswer? Answer, string? Limit, long? LimitValue)
    {
        public static Attempt Transient(int? statusCode, string detail, TimeSpan? retryAfter) =>
            new(AttemptKind.Transient, statusCode, detail, retryAfter, null, null, null);
    }
}
