using System.Text;
using System.Text.Json;
using FeedbackStream.Contracts;

namespace FeedbackStream.Pipeline;

/// <summary>Where a Kafka record came from.</summary>
public readonly record struct RecordPosition(string Topic, int Partition, long Offset);

/// <summary>A row of <c>events_raw</c>.</summary>
public sealed record EventRow(
    string EventId,
    string Type,
    ushort SchemaVersion,
    string AppId,
    string UserId,
    string ConversationId,
    string ResponseId,
    DateTime OccurredAt,
    DateTime ReceivedAt,
    string Payload,
    RecordPosition Position)
{
    /// <summary>The validated event the row was made from (the labeller holds it instead of reading the row back).</summary>
    public FeedbackEvent? Event { get; init; }
}

/// <summary>A row of <c>events_rejected</c>: a record that could not be decoded or validated, and why.</summary>
public sealed record RejectedRow(RecordPosition Position, string Key, string Raw, uint RawBytes, string Reason, string ErrorPath)
{
    /// <summary>The reason as one of a few words (<c>empty</c>, <c>json</c>, <c>not_object</c>, <c>invalid_event</c>), for metrics.</summary>
    public string Kind { get; init; } = "invalid_event";
}

/// <summary>
/// Turns one Kafka record into an <see cref="EventRow"/> or a <see cref="RejectedRow"/>. Pure: no I/O, never throws
/// for bad input; a record that is not a valid v1 event becomes a dead letter with its reason.
/// </summary>
public sealed class RecordDecoder(int rejectedRawMaxBytes)
{
    private readonly EventValidator _validator = new(new EventValidatorOptions());

    public object Decode(RecordPosition position, string? key, byte[]? value, DateTime receivedFallback)
    {
        if (value is null || value.Length == 0)
        {
            return Reject(position, key, value, "empty record value", "$") with { Kind = "empty" };
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(value, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            return Reject(position, key, value, $"not valid JSON: {e.Message}", "$") with { Kind = "json" };
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Reject(position, key, value, "not a JSON object", "$") with { Kind = "not_object" };
            }

            var result = _validator.Validate(document.RootElement);
            if (!result.IsValid)
            {
                var first = result.Errors[0];
                var reason = string.Join("; ", result.Errors.Take(5).Select(e => e.ToString()));
                return Reject(position, key, value, $"not a valid v1 event: {reason}", first.Path);
            }

            var e = result.Event;
            return new EventRow(
                e.EventId,
                e.Type,
                (ushort)e.SchemaVersion,
                e.AppId,
                e.UserId,
                e.ConversationId,
                e.Payload.ResponseId(),
                e.OccurredAt.UtcDateTime,
                (e.ReceivedAt ?? new DateTimeOffset(receivedFallback, TimeSpan.Zero)).UtcDateTime,
                document.RootElement.GetProperty("payload").GetRawText(),
                position)
            {
                Event = e,
            };
        }
    }

    private RejectedRow Reject(RecordPosition position, string? key, byte[]? value, string reason, string path)
    {
        var bytes = value ?? [];
        var kept = bytes.AsSpan(0, Math.Min(bytes.Length, rejectedRawMaxBytes));
        // Cut at a UTF-8 boundary-safe decode; invalid sequences become U+FFFD.
        return new RejectedRow(position, key ?? "", Encoding.UTF8.GetString(kept), (uint)bytes.Length, reason, path);
    }
}
