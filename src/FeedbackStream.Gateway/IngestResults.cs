using System.Text.Json.Serialization;

namespace FeedbackStream.Gateway;

/// <summary>What happened to one event of a batch.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IngestStatus>))]
public enum IngestStatus
{
    /// <summary>Acknowledged by Kafka.</summary>
    [JsonStringEnumMemberName("accepted")]
    Accepted,

    /// <summary>An event with this app_id and event_id was already accepted (a retry); not produced again.</summary>
    [JsonStringEnumMemberName("duplicate")]
    Duplicate,

    /// <summary>Not accepted: see the errors; sending it again unchanged will not help.</summary>
    [JsonStringEnumMemberName("rejected")]
    Rejected,
}

/// <summary>One field-level reason.</summary>
public sealed record IngestError(string Path, string Reason);

/// <summary>The result of one event, in request order.</summary>
public sealed record IngestResult(int Index, string? EventId, IngestStatus Status, IReadOnlyList<IngestError>? Errors = null);

/// <summary>The answer to <c>POST /v1/events</c> when the batch was processed.</summary>
public sealed record IngestResponse(int Accepted, int Duplicates, int Rejected, IReadOnlyList<IngestResult> Results);
