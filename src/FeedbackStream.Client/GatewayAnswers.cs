using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FeedbackStream.Client;

/// <summary>The 200 answer of <c>POST /v1/events</c>; unknown fields are ignored so the gateway can add some.</summary>
internal sealed record IngestAnswer(int Accepted, int Duplicates, int Rejected, List<IngestAnswerResult>? Results);

/// <summary>One event's result; <see cref="Status"/> is kept as text so an unexpected value is recognised, not thrown on.</summary>
internal sealed record IngestAnswerResult(int Index, string? EventId, string? Status, List<IngestAnswerError>? Errors);

internal sealed record IngestAnswerError(string? Path, string? Reason);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IngestAnswer))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;

/// <summary>Reading what the gateway answered.</summary>
internal static class GatewayAnswers
{
    public const string StatusAccepted = "accepted";
    public const string StatusDuplicate = "duplicate";
    public const string StatusRejected = "rejected";
    public const string LimitMaxEvents = "max_events_per_batch";
    public const string LimitMaxBytes = "max_body_bytes";

    /// <summary>The 200 body, or null when it is not a well-formed answer for <paramref name="eventIds"/> (one result per event, indexes in range and distinct, ids matching).</summary>
    public static IngestAnswer? ReadIngestAnswer(ReadOnlySpan<byte> body, IReadOnlyList<string> eventIds)
    {
        IngestAnswer? answer;
        try
        {
            answer = JsonSerializer.Deserialize(body, GatewayJsonContext.Default.IngestAnswer);
        }
        catch (JsonException)
        {
            return null;
        }

        if (answer?.Results is not { } results || results.Count != eventIds.Count)
        {
            return null;
        }

        var seen = new bool[eventIds.Count];
        foreach (var result in results)
        {
            if (result is null || (uint)result.Index >= (uint)eventIds.Count || seen[result.Index] ||
                (result.EventId is not null && result.EventId != eventIds[result.Index]) ||
                result.Status is not (StatusAccepted or StatusDuplicate or StatusRejected))
            {
                return null;
            }

            seen[result.Index] = true;
        }

        return answer;
    }

    /// <summary>The title and detail of a problem-details body, and its <c>limit</c> / <c>limit_value</c> extensions when present.</summary>
    public static (string? Detail, string? Limit, long? LimitValue) ReadProblem(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null);
            }

            var title = ReadString(root, "title");
            var detail = ReadString(root, "detail");
            var text = (title, detail) switch
            {
                (null, null) => null,
                (null, _) => detail,
                (_, null) => title,
                _ => $"{title}: {detail}",
            };
            long? limitValue = null;
            if (root.TryGetProperty("limit_value", out var value))
            {
                if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
                {
                    limitValue = number;
                }
                else if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out number))
                {
                    limitValue = number;
                }
            }

            return (text, ReadString(root, "limit"), limitValue);
        }
        catch (JsonException)
        {
            return (null, null, null);
        }
    }

    /// <summary>
    /// An error path relative to the event: the gateway writes <c>$[3].payload.reaction</c> for the request's fourth
    /// event; the caller sees <c>$.payload.reaction</c>. Other paths are kept as they are.
    /// </summary>
    public static string RelativePath(string? path, int index)
    {
        if (path is null)
        {
            return "$";
        }

        var prefix = string.Create(CultureInfo.InvariantCulture, $"$[{index}]");
        return path.StartsWith(prefix, StringComparison.Ordinal) ? "$" + path[prefix.Length..] : path;
    }

    private static string? ReadString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
