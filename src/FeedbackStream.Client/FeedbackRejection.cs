namespace FeedbackStream.Client;

/// <summary>Why an event will not be delivered.</summary>
public enum FeedbackRejectionKind
{
    /// <summary>The gateway processed the batch and rejected this event (status <c>rejected</c>); see <see cref="FeedbackRejection.Errors"/>. Sending it again unchanged will not help.</summary>
    Invalid,

    /// <summary>The gateway refused the whole request (400, 401, 403, 413 for a single event, or another 4xx); see <see cref="FeedbackRejection.StatusCode"/>.</summary>
    RequestRefused,

    /// <summary>Every attempt failed transiently (429, 5xx, network error, timeout) until <see cref="FeedbackStreamClientOptions.MaxAttempts"/> or <see cref="FeedbackStreamClientOptions.MaxRetryDuration"/> ran out.</summary>
    RetriesExhausted,
}

/// <summary>One field-level reason the gateway gave.</summary>
/// <param name="Path">JSON path inside the event, e.g. <c>$.payload.reaction</c> (the gateway's <c>$[i]</c> request prefix is replaced by <c>$</c>).</param>
/// <param name="Reason">Human-readable reason.</param>
public sealed record FeedbackEventError(string Path, string Reason);

/// <summary>An event that will not be delivered, as passed to <see cref="FeedbackStreamClientOptions.OnRejected"/>.</summary>
/// <param name="EventId">The event's <c>event_id</c>.</param>
/// <param name="Kind">Why.</param>
/// <param name="StatusCode">HTTP status of the (last) answer; null after a network error or timeout.</param>
/// <param name="Errors">Per-event errors (for <see cref="FeedbackRejectionKind.Invalid"/>); empty otherwise.</param>
/// <param name="Detail">Problem title and detail of a refused request, or the last transient failure; null for per-event rejections.</param>
public sealed record FeedbackRejection(
    string EventId,
    FeedbackRejectionKind Kind,
    int? StatusCode,
    IReadOnlyList<FeedbackEventError> Errors,
    string? Detail);
