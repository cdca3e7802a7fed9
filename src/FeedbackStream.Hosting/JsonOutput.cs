using System.Text.Json;
using System.Text.Json.Serialization;

namespace FeedbackStream.Hosting;

/// <summary>
/// The one way commands print machine-readable results: a single JSON object with snake_case keys,
/// written as the last line of standard output.
/// </summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static void WriteLast<T>(T value)
    {
        Console.Out.Flush();
        Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
        Console.Out.Flush();
    }
}
