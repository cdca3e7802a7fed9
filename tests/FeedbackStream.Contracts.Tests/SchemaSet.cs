using System.Collections.Concurrent;
using System.Text.Json;
using Json.Schema;

namespace FeedbackStream.Contracts.Tests;

/// <summary>The v1 schema files as copied to the test output, loaded as documents and as JsonSchema.Net schemas.</summary>
internal static class SchemaSet
{
    public const string IdBase = "https://schemas.feedbackstream.dev/events/v1/";

    /// <summary>Payload schema names, which are also the event type names.</summary>
    public static readonly string[] PayloadSchemas =
        ["response.served", "reaction.set", "reaction.cleared", "followup.sent", "response.action"];

    public static readonly string[] AllSchemas = ["common", "envelope", .. PayloadSchemas, "event"];

    private static readonly ConcurrentDictionary<string, JsonElement> Documents = new(StringComparer.Ordinal);

    private static readonly Lazy<BuildOptions> Built = new(Build);

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "schemas", "events", "v1");

    public static EvaluationOptions Evaluation { get; } = new()
    {
        OutputFormat = OutputFormat.List,
        RequireFormatValidation = true,
    };

    /// <summary>event.schema.json, with every other file registered for its $refs.</summary>
    public static JsonSchema Event => Get("event");

    public static string FilePath(string name) => Path.Combine(Directory, name + ".schema.json");

    public static JsonElement Document(string name) =>
        Documents.GetOrAdd(name, static n => JsonDocument.Parse(File.ReadAllBytes(FilePath(n))).RootElement.Clone());

    public static JsonSchema Get(string name) =>
        Built.Value.SchemaRegistry.Get(new Uri(IdBase + name + ".schema.json")) as JsonSchema
        ?? throw new InvalidOperationException($"Schema {name} is not registered.");

    /// <summary>A schema that is just <c>{"$ref": "common.schema.json#/$defs/{name}"}</c>.</summary>
    public static JsonSchema Definition(string name) =>
        JsonSchema.FromText(
            $$"""{"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"{{IdBase}}common.schema.json#/$defs/{{name}}"}""",
            Built.Value);

    public static IReadOnlySet<string> Properties(string name) =>
        Document(name).GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    public static IReadOnlySet<string> Required(string name) =>
        Document(name).GetProperty("required").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);

    public static IReadOnlyList<string> Enum(JsonElement schema) =>
        [.. schema.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!)];

    public static JsonElement CommonDefinition(string name) =>
        Document("common").GetProperty("$defs").GetProperty(name);

    /// <summary>Instance locations of the errors that decided the result, as <c>$</c> paths (failed <c>if</c> branches left out).</summary>
    public static IReadOnlyList<string> ErrorPaths(EvaluationResults results) =>
    [
        .. (results.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 } && !d.EvaluationPath.ToString().Contains("/if", StringComparison.Ordinal))
            .Select(d => ToDollarPath(d.InstanceLocation.ToString()))
            .Distinct(StringComparer.Ordinal),
    ];

    public static string ToDollarPath(string pointer) =>
        "$" + string.Concat(pointer.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => "." + s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)));

    private static BuildOptions Build()
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };

        // Referenced files first: references are resolved while building.
        foreach (var name in AllSchemas)
        {
            JsonSchema.FromFile(FilePath(name), options);
        }

        return options;
    }
}
