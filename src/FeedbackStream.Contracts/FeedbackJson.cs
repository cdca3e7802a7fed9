using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FeedbackStream.Contracts;

/// <summary>
/// System.Text.Json wire format of v1 events: snake_case names, nulls omitted, unknown fields and duplicate
/// fields rejected, non-ASCII text written unescaped (UTF-8). Backed by source-generated metadata.
/// </summary>
/// <remarks>
/// <see cref="Deserialize(ReadOnlySpan{byte})"/> checks structure (fields, JSON types, known type, schema version,
/// timestamps) but not lengths and patterns: use <see cref="EventValidator"/> on untrusted input.
/// </remarks>
public static class FeedbackJson
{
    private static readonly JsonTypeInfo<FeedbackEvent> EventInfo;

    static FeedbackJson()
    {
        var options = new JsonSerializerOptions(FeedbackJsonContext.Default.Options)
        {
            // Events go to Kafka and ClickHouse, never into HTML: keep non-ASCII text as UTF-8 instead of \uXXXX escapes.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly();
        Options = options;
        EventInfo = (JsonTypeInfo<FeedbackEvent>)options.GetTypeInfo(typeof(FeedbackEvent));
    }

    /// <summary>
    /// Read-only options for the v1 records (snake_case, source-generated resolver). Pass them to
    /// <see cref="JsonSerializer"/> or chain their <see cref="JsonSerializerOptions.TypeInfoResolver"/> into a host's options.
    /// </summary>
    public static JsonSerializerOptions Options { get; }

    /// <summary>Serializes <paramref name="value"/> to UTF-8 JSON.</summary>
    /// <exception cref="InvalidOperationException"><see cref="FeedbackEvent.Type"/> does not match the payload.</exception>
    public static byte[] Serialize(FeedbackEvent value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return JsonSerializer.SerializeToUtf8Bytes(value, EventInfo);
    }

    /// <summary>Serializes <paramref name="value"/> as UTF-8 JSON into <paramref name="destination"/> (no intermediate array).</summary>
    /// <exception cref="InvalidOperationException"><see cref="FeedbackEvent.Type"/> does not match the payload.</exception>
    public static void Serialize(FeedbackEvent value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { Encoder = Options.Encoder });
        JsonSerializer.Serialize(writer, value, EventInfo);
    }

    /// <summary>Deserializes one event from UTF-8 JSON.</summary>
    /// <exception cref="JsonException">Malformed JSON, unknown or duplicate field, missing field, wrong JSON type,
    /// unknown <c>type</c>, unsupported <c>schema_version</c> or invalid timestamp.</exception>
    public static FeedbackEvent Deserialize(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, EventInfo)
        ?? throw new JsonException("An event must be a JSON object, not null.");
}
