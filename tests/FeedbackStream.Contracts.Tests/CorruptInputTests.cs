using System.Text;
using System.Text.Json;

namespace FeedbackStream.Contracts.Tests;

/// <summary>Bad bytes must surface as a JsonException or a validation error, never as another exception (a poison pill).</summary>
public sealed class CorruptInputTests
{
    private static readonly EventValidator Validator = new();

    public static TheoryData<string> Types => [.. EventTypes.All];

    [Theory]
    [MemberData(nameof(Types))]
    public void DeserializeAndValidate_OnMutatedBytes_FailOnlyInTheDocumentedWay(string type)
    {
        var original = Encoding.UTF8.GetBytes(Samples.ToText(Samples.Full(type)));
        var random = new Random(type.Length * 7919);
        byte[] replacements = [.. "\"\\{}[],:0-9.eE+nulltrueZT d8"u8, 0x00, 0xC3, 0xFF, (byte)'u'];

        for (var i = 0; i < 2000; i++)
        {
            var bytes = (byte[])original.Clone();
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                bytes[random.Next(bytes.Length)] = replacements[random.Next(replacements.Length)];
            }

            var text = Encoding.UTF8.GetString(bytes);
            try
            {
                FeedbackJson.Deserialize(bytes);
            }
            catch (JsonException)
            {
                // The documented failure.
            }
            catch (Exception ex)
            {
                Assert.Fail($"Deserialize threw {ex.GetType().Name} for {text}: {ex.Message}");
            }

            var result = Validator.Validate(bytes);
            Assert.True(result.IsValid || result.Errors.Count > 0);
        }
    }

    [Theory]
    [InlineData("event_id")]
    [InlineData("payload")]
    public void Deserialize_WhenStringHasUnpairedSurrogateEscape_ThrowsJsonException(string field)
    {
        var json = Samples.Base(Samples.Followup).ToJsonString();
        json = field == "event_id"
            ? json.Replace("evt-0001", "evt\\ud800", StringComparison.Ordinal)
            : json.Replace("thanks, perfect", "bad \\udc00", StringComparison.Ordinal);

        Assert.Throws<JsonException>(() => FeedbackJson.Deserialize(Encoding.UTF8.GetBytes(json)));
    }
}
