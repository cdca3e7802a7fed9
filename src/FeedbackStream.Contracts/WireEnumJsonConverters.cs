using System.Text.Json;
using System.Text.Json.Serialization;

namespace FeedbackStream.Contracts;

/// <summary>Reads and writes an enum as its exact wire name; numbers and other spellings are rejected.</summary>
internal abstract class WireEnumJsonConverter<TEnum>(byte[][] utf8Names, string kind, string allowed) : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            for (var i = 0; i < utf8Names.Length; i++)
            {
                if (reader.ValueTextEquals(utf8Names[i]))
                {
                    return FromIndex(i);
                }
            }
        }

        throw new JsonException($"Invalid {kind}: expected one of {allowed}.");
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ToName(value));

    protected abstract TEnum FromIndex(int index);

    protected abstract string ToName(TEnum value);
}

internal sealed class ReactionJsonConverter()
    : WireEnumJsonConverter<Reaction>(WireNames.ReactionUtf8, "reaction", WireNames.ReactionList)
{
    protected override Reaction FromIndex(int index) => (Reaction)index;

    protected override string ToName(Reaction value) => value.ToWireName();
}

internal sealed class ActionKindJsonConverter()
    : WireEnumJsonConverter<ActionKind>(WireNames.ActionUtf8, "action", WireNames.ActionList)
{
    protected override ActionKind FromIndex(int index) => (ActionKind)index;

    protected override string ToName(ActionKind value) => value.ToWireName();
}
