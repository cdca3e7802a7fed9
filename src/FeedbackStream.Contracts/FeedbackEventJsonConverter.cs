using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace FeedbackStream.Contracts;

/// <summary>
/// Envelope converter: writes the envelope fields and the payload; on read, picks the payload record from
/// <c>type</c> (which may come after <c>payload</c> in the document).
/// </summary>
internal sealed class FeedbackEventJsonConverter : JsonConverter<FeedbackEvent>
{
    private const int EventIdField = 0;
    private const int TypeField = 1;
    private const int SchemaVersionField = 2;
    private const int AppIdField = 3;
    private const int OccurredAtField = 4;
    private const int ReceivedAtField = 5;
    private const int UserIdField = 6;
    private const int ConversationIdField = 7;
    private const int PayloadField = 8;

    // Every field but received_at.
    private const uint RequiredFields = 0b1_1101_1111;

    private static readonly JsonEncodedText[] Names =
    [
        JsonEncodedText.Encode("event_id"),
        JsonEncodedText.Encode("type"),
        JsonEncodedText.Encode("schema_version"),
        JsonEncodedText.Encode("app_id"),
        JsonEncodedText.Encode("occurred_at"),
        JsonEncodedText.Encode("received_at"),
        JsonEncodedText.Encode("user_id"),
        JsonEncodedText.Encode("conversation_id"),
        JsonEncodedText.Encode("payload"),
    ];

    private static readonly string TypeList = string.Join(", ", EventTypes.All);

    public override FeedbackEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An event must be a JSON object.");
        }

        string? eventId = null, type = null, appId = null, userId = null, conversationId = null;
        var schemaVersion = 0;
        DateTimeOffset occurredAt = default;
        DateTimeOffset? receivedAt = null;
        var payloadReader = default(Utf8JsonReader);
        uint seen = 0;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = MatchField(ref reader);
            if (field < 0)
            {
                throw new JsonException($"Unknown field '{reader.GetString()}' in the event envelope.");
            }

            if ((seen & (1u << field)) != 0)
            {
                throw new JsonException($"Duplicate field '{Names[field]}' in the event envelope.");
            }

            seen |= 1u << field;
            reader.Read();
            switch (field)
            {
                case EventIdField: eventId = ReadString(ref reader, field); break;
                case TypeField: type = ReadString(ref reader, field); break;
                case SchemaVersionField:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out schemaVersion))
                    {
                        throw new JsonException("Field 'schema_version' must be an integer.");
                    }

                    break;
                case AppIdField: appId = ReadString(ref reader, field); break;
                case OccurredAtField: occurredAt = ReadTimestamp(ref reader, field); break;
                case ReceivedAtField: receivedAt = ReadTimestamp(ref reader, field); break;
                case UserIdField: userId = ReadString(ref reader, field); break;
                case ConversationIdField: conversationId = ReadString(ref reader, field); break;
                default:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new JsonException("Field 'payload' must be an object.");
                    }

                    // The whole value is buffered for a custom converter: keep a copy here, parse it once the type is known.
                    payloadReader = reader;
                    reader.Skip();
                    break;
            }
        }

        var missing = RequiredFields & ~seen;
        if (missing != 0)
        {
            throw new JsonException($"Missing required field '{Names[System.Numerics.BitOperations.TrailingZeroCount(missing)]}' in the event envelope.");
        }

        if (schemaVersion != FeedbackEvent.CurrentSchemaVersion)
        {
            throw new JsonException($"Unsupported schema_version {schemaVersion}; this library reads version {FeedbackEvent.CurrentSchemaVersion}.");
        }

        EventPayload? payload = type switch
        {
            EventTypes.ResponseServed => ReadPayload<ResponseServed>(ref payloadReader, options),
            EventTypes.ReactionSet => ReadPayload<ReactionSet>(ref payloadReader, options),
            EventTypes.ReactionCleared => ReadPayload<ReactionCleared>(ref payloadReader, options),
            EventTypes.FollowupSent => ReadPayload<FollowupSent>(ref payloadReader, options),
            EventTypes.ResponseAction => ReadPayload<ResponseAction>(ref payloadReader, options),
            _ => throw new JsonException($"Unknown event type '{type}'; expected one of {TypeList}."),
        };

        return new FeedbackEvent(eventId!, type, schemaVersion, appId!, occurredAt, receivedAt, userId!, conversationId!, payload);
    }

    public override void Write(Utf8JsonWriter writer, FeedbackEvent value, JsonSerializerOptions options)
    {
        var payload = value.Payload ?? throw new InvalidOperationException($"Event '{value.EventId}' has no payload.");
        if (!string.Equals(value.Type, payload.EventType, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Event '{value.EventId}' has type '{value.Type}' but a {payload.GetType().Name} payload ('{payload.EventType}').");
        }

        writer.WriteStartObject();
        writer.WriteString(Names[EventIdField], value.EventId);
        writer.WriteString(Names[TypeField], value.Type);
        writer.WriteNumber(Names[SchemaVersionField], value.SchemaVersion);
        writer.WriteString(Names[AppIdField], value.AppId);
        writer.WriteString(Names[OccurredAtField], value.OccurredAt);
        if (value.ReceivedAt is { } receivedAt)
        {
            writer.WriteString(Names[ReceivedAtField], receivedAt);
        }

        writer.WriteString(Names[UserIdField], value.UserId);
        writer.WriteString(Names[ConversationIdField], value.ConversationId);
        writer.WritePropertyName(Names[PayloadField]);
        switch (payload)
        {
            case ResponseServed p: JsonSerializer.Serialize(writer, p, Info<ResponseServed>(options)); break;
            case ReactionSet p: JsonSerializer.Serialize(writer, p, Info<ReactionSet>(options)); break;
            case ReactionCleared p: JsonSerializer.Serialize(writer, p, Info<ReactionCleared>(options)); break;
            case FollowupSent p: JsonSerializer.Serialize(writer, p, Info<FollowupSent>(options)); break;
            case ResponseAction p: JsonSerializer.Serialize(writer, p, Info<ResponseAction>(options)); break;
            default: throw new InvalidOperationException($"Unsupported payload type {payload.GetType().Name}.");
        }

        writer.WriteEndObject();
    }

    private static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) =>
        (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    private static T ReadPayload<T>(ref Utf8JsonReader reader, JsonSerializerOptions options)
        where T : EventPayload =>
        JsonSerializer.Deserialize(ref reader, Info<T>(options))
        ?? throw new JsonException("Field 'payload' must be an object.");

    private static int MatchField(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < Names.Length; i++)
        {
            if (reader.ValueTextEquals(Names[i].EncodedUtf8Bytes))
            {
                return i;
            }
        }

        return -1;
    }

    private static string ReadString(ref Utf8JsonReader reader, int field) =>
        reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw new JsonException($"Field '{Names[field]}' must be a string.");

    private static DateTimeOffset ReadTimestamp(ref Utf8JsonReader reader, int field)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var parsed = reader.ValueIsEscaped || reader.HasValueSequence
                ? Rfc3339.TryParse(reader.GetString(), out var value)
                : Rfc3339.TryParse(reader.ValueSpan, out value);
            if (parsed)
            {
                return value;
            }
        }

        throw new JsonException($"Field '{Names[field]}' must be an RFC 3339 date-time with offset, e.g. 2024-05-01T12:00:00Z.");
    }
}
