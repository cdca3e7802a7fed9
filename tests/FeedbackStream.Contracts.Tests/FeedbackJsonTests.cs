using System.Buffers;
using System.Text;
using System.Text.Json;

namespace FeedbackStream.Contracts.Tests;

public sealed class FeedbackJsonTests
{
    private static readonly DateTimeOffset OccurredAt = new(2024, 5, 1, 14, 0, 0, 123, TimeSpan.FromHours(2));

    private static readonly Dictionary<string, FeedbackEvent> Events = new(StringComparer.Ordinal)
    {
        ["response.served full"] = Event(
            new ResponseServed("resp-1", 3, "Vier. 😀", "policy-7", "2+2? ção", "0123456789abcdef", "resp-0", 1, 812.25, "web", "pt-BR"),
            OccurredAt.AddMilliseconds(1500).ToOffset(TimeSpan.Zero)),
        ["response.served minimal"] = Event(new ResponseServed("resp-1", 0, string.Empty, "m", PromptHash: "0123456789abcdef")),
        ["reaction.set"] = Event(new ReactionSet("resp-1", Reaction.Dislike, 5300)),
        ["reaction.cleared"] = Event(new ReactionCleared("resp-1", Reaction.Wow)),
        ["followup.sent"] = Event(new FollowupSent("resp-1", "no, that's wrong\n\"quote\"", 12000)),
        ["response.action edit"] = Event(new ResponseAction("resp-1", ActionKind.Edit, "4 (four)", 900)),
        ["response.action stop"] = Event(new ResponseAction("resp-1", ActionKind.Stop)),
    };

    public static TheoryData<string> EventNames => [.. Events.Keys];

    [Theory]
    [MemberData(nameof(EventNames))]
    public void RoundTrip_SerializeThenDeserialize_ReturnsEqualEvent(string name)
    {
        var original = Events[name];

        var copy = FeedbackJson.Deserialize(FeedbackJson.Serialize(original));

        Assert.Equal(original, copy);
        Assert.Equal(original.OccurredAt.Offset, copy.OccurredAt.Offset);
        Assert.Equal(original.ReceivedAt?.Offset, copy.ReceivedAt?.Offset);
    }

    [Theory]
    [MemberData(nameof(EventNames))]
    public void Serialize_Output_IsValidForSchemaAndValidator(string name)
    {
        var bytes = FeedbackJson.Serialize(Events[name]);
        using var document = JsonDocument.Parse(bytes);

        var schema = SchemaSet.Event.Evaluate(document.RootElement, SchemaSet.Evaluation);
        var result = new EventValidator().Validate(document.RootElement);

        Assert.True(schema.IsValid, string.Join(", ", SchemaSet.ErrorPaths(schema)));
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(Events[name], result.Event);
    }

    [Theory]
    [MemberData(nameof(EventNames))]
    public void Serialize_ToBufferWriter_WritesSameBytes(string name)
    {
        var buffer = new ArrayBufferWriter<byte>();

        FeedbackJson.Serialize(Events[name], buffer);

        Assert.Equal(FeedbackJson.Serialize(Events[name]), buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Serialize_WritesSnakeCaseWireNames_AndOmitsNulls()
    {
        var json = Encoding.UTF8.GetString(FeedbackJson.Serialize(Events["response.action stop"]));

        Assert.Equal(
            """{"event_id":"evt-1","type":"response.action","schema_version":1,"app_id":"chat.web","occurred_at":"2024-05-01T14:00:00.123+02:00","user_id":"u-1","conversation_id":"c-1","payload":{"response_id":"resp-1","action":"stop"}}""",
            json);
    }

    [Fact]
    public void Serialize_KeepsNonAsciiTextAsUtf8()
    {
        var json = Encoding.UTF8.GetString(FeedbackJson.Serialize(Events["response.served full"]));

        // Characters outside the Basic Multilingual Plane (emoji) are still written as \u escapes by the encoder.
        Assert.Contains("\"prompt_text\":\"2+2? ção\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_WhenTypeDoesNotMatchPayload_Throws()
    {
        var wrong = Events["reaction.set"] with { Type = EventTypes.ReactionCleared };

        var ex = Assert.Throws<InvalidOperationException>(() => FeedbackJson.Serialize(wrong));

        Assert.Contains("reaction.cleared", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_WhenTypeUnknown_ThrowsNamingTheTypeAndTheKnownOnes()
    {
        var json = Replace(Events["reaction.set"], "\"type\":\"reaction.set\"", "\"type\":\"reaction.removed\"");

        var ex = Assert.Throws<JsonException>(() => FeedbackJson.Deserialize(json));

        Assert.Contains("Unknown event type 'reaction.removed'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("response.served", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_WhenPayloadPrecedesType_PicksPayloadFromType()
    {
        var json = """{"payload":{"response_id":"r","reaction":"laugh"},"type":"reaction.cleared","event_id":"e","schema_version":1,"app_id":"a","occurred_at":"2024-05-01T12:00:00Z","user_id":"u","conversation_id":"c"}"""u8;

        var value = FeedbackJson.Deserialize(json);

        Assert.Equal(new ReactionCleared("r", Reaction.Laugh), value.Payload);
    }

    public static TheoryData<string, string, string> BrokenEnvelopes => new()
    {
        { "\"app_id\":\"chat.web\"", "\"app_id\":\"chat.web\",\"extra\":1", "Unknown field 'extra'" },
        { "\"app_id\":\"chat.web\"", "\"app_id\":\"chat.web\",\"app_id\":\"x\"", "Duplicate field 'app_id'" },
        { "\"app_id\":\"chat.web\",", string.Empty, "Missing required field 'app_id'" },
        { "\"schema_version\":1", "\"schema_version\":2", "Unsupported schema_version 2" },
        { "\"occurred_at\":\"2024-05-01T14:00:00.123+02:00\"", "\"occurred_at\":\"2024-05-01T14:00:00\"", "occurred_at" },
        { "\"reaction\":\"dislike\"", "\"reaction\":6", "Invalid reaction" },
        { "\"reaction\":\"dislike\"", "\"reaction\":\"Dislike\"", "Invalid reaction" },
        { "\"reaction\":\"dislike\"", "\"reaction\":\"dislike\",\"note\":\"x\"", "note" },
        { "\"response_id\":\"resp-1\",", string.Empty, "response_id" },
        { "\"user_id\":\"u-1\"", "\"user_id\":null", "user_id" },
        { "\"payload\":{", "\"payload\":[{", "payload" },
    };

    [Theory]
    [MemberData(nameof(BrokenEnvelopes))]
    public void Deserialize_WhenStructureIsWrong_ThrowsJsonException(string find, string replacement, string expected)
    {
        var json = Replace(Events["reaction.set"], find, replacement);

        var ex = Assert.Throws<JsonException>(() => FeedbackJson.Deserialize(json));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_AreReadOnlySnakeCase_AndSerializeEventsLikeSerialize()
    {
        var value = Events["followup.sent"];

        Assert.True(FeedbackJson.Options.IsReadOnly);
        Assert.Equal(FeedbackJson.Serialize(value), JsonSerializer.SerializeToUtf8Bytes(value, FeedbackJson.Options));
        Assert.Equal(value, JsonSerializer.Deserialize<FeedbackEvent>(FeedbackJson.Serialize(value), FeedbackJson.Options));
    }

    [Fact]
    public void Create_TakesTypeFromPayload()
    {
        var value = FeedbackEvent.Create("e", "a", OccurredAt, "u", "c", new FollowupSent("r", "t"));

        Assert.Equal(EventTypes.FollowupSent, value.Type);
        Assert.Equal(FeedbackEvent.CurrentSchemaVersion, value.SchemaVersion);
        Assert.Null(value.ReceivedAt);
    }

    private static FeedbackEvent Event(EventPayload payload, DateTimeOffset? receivedAt = null) =>
        FeedbackEvent.Create("evt-1", "chat.web", OccurredAt, "u-1", "c-1", payload) with { ReceivedAt = receivedAt };

    private static byte[] Replace(FeedbackEvent value, string find, string replacement)
    {
        var json = Encoding.UTF8.GetString(FeedbackJson.Serialize(value));
        Assert.Contains(find, json, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(json.Replace(find, replacement, StringComparison.Ordinal));
    }
}
