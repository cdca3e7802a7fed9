using System.Text.Json.Serialization;

namespace FeedbackStream.Contracts;

/// <summary>Action a user took on a response. Serialized as its lowercase wire name (<see cref="WireNames.ToWireName(ActionKind)"/>).</summary>
[JsonConverter(typeof(ActionKindJsonConverter))]
public enum ActionKind
{
    /// <summary><c>copy</c>: the response was copied.</summary>
    Copy,

    /// <summary><c>share</c>: the response was shared.</summary>
    Share,

    /// <summary><c>regenerate</c>: the user asked for another answer.</summary>
    Regenerate,

    /// <summary><c>edit</c>: the user edited the response; the payload carries the edited text.</summary>
    Edit,

    /// <summary><c>stop</c>: the user stopped the generation.</summary>
    Stop,

    /// <summary><c>report</c>: the user reported the response.</summary>
    Report,
}
