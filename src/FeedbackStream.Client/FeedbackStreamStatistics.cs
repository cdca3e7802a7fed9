namespace FeedbackStream.Client;

/// <summary>
/// Counters of one <see cref="FeedbackStreamClient"/> since it was created (a snapshot; each value is read atomically).
/// Once delivery settles: <c>Enqueued == Accepted + Duplicates + Rejected + Failed + Dropped + Buffered</c>.
/// </summary>
/// <param name="Enqueued">Events handed to the client, including those then dropped because the buffer was full (not those refused with an exception).</param>
/// <param name="Sent">Events put on the wire, counted once per request carrying them (retries count again).</param>
/// <param name="Requests">HTTP requests made.</param>
/// <param name="RetriedRequests">Requests that repeated an earlier request's events after a transient failure.</param>
/// <param name="Accepted">Events the gateway accepted.</param>
/// <param name="Duplicates">Events the gateway answered as duplicates: accepted by an earlier request.</param>
/// <param name="Rejected">Events rejected by the gateway or refused with their request (reported through <see cref="FeedbackStreamClientOptions.OnRejected"/>).</param>
/// <param name="Failed">Events given up after the retry limits (also reported through <see cref="FeedbackStreamClientOptions.OnRejected"/>).</param>
/// <param name="Dropped">Events dropped because the buffer was full (<see cref="BufferFullMode.Drop"/>) or still undelivered when <see cref="FeedbackStreamClientOptions.DisposeTimeout"/> ran out.</param>
/// <param name="Buffered">Events in memory now: waiting for a batch or being delivered.</param>
public sealed record FeedbackStreamStatistics(
    long Enqueued,
    long Sent,
    long Requests,
    long RetriedRequests,
    long Accepted,
    long Duplicates,
    long Rejected,
    long Failed,
    long Dropped,
    long Buffered);
