using System.Text.Json.Serialization;

namespace FeedbackStream.Contracts;

/// <summary>
/// One v1 event: the envelope and its typed payload. Wire format: <c>schemas/events/v1/event.schema.json</c>
/// (JSON, snake_case names); serialize with <see cref="FeedbackJson"/>, validate untrusted input with <see cref="EventValidator"/>.
/// </summary>
/// <param name="EventId"><c>event_id</c>: client-generated idempotency key, 1..128 characters of [A-Za-z0-9._:-]; a retried event keeps its id.</param>
/// <param name="Type"><c>type</c>: one of <see cref="EventTypes"/>; must equal <see cref="EventPayload.EventType"/> of <paramref name="Payload"/>.</param>
/// <param name="SchemaVersion"><c>schema_version</c>: always <see cref="CurrentSchemaVersion"/> (1) in v1.</param>
/// <param name="AppId"><c>app_id</c>: product app that emitted the event, 1..64 characters of [a-z0-9._-].</param>
/// <param name="OccurredAt"><c>occurred_at</c>: when the user action happened, by the client clock (RFC 3339 with offset).</param>
/// <param name="ReceivedAt"><c>received_at</c>: when the gateway received the event; optional on input, always set by the gateway.</param>
/// <param name="UserId"><c>user_id</c>: pseudonymous user id, 1..128 characters of [A-Za-z0-9._:-].</param>
/// <param name="ConversationId"><c>conversation_id</c>: conversation the event belongs to (the Kafka key), 1..128 characters of [A-Za-z0-9._:-].</param>
/// <param name="Payload"><c>payload</c>: the type-specific data; the JSON carries no discriminator, <paramref name="Type"/> selects it.</param>
[JsonConverter(typeof(FeedbackEventJsonConverter))]
public sealed record FeedbackEvent(
    string EventId,
    string Type,
    int SchemaVersion,
    string AppId,
    DateTimeOffset OccurredAt,
    DateTimeOffset? ReceivedAt,
    string UserId,
    string ConversationId,
    EventPayload Payload)
{
    /// <summary>The contract version this library reads and writes.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>Creates a v1 event whose <see cref="Type"/> is taken from <paramref name="payload"/> and whose <see cref="ReceivedAt"/> is unset.</summary>
    public static FeedbackEvent Create(
        string eventId,
        string appId,
        DateTimeOffset occurredAt,
        string userId,
        string conversationId,
        EventPayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return new FeedbackEvent(eventId, payload.EventType, CurrentSchemaVersion, appId, occurredAt, null, userId, conversationId, payload);
    }
}
