using System.Text.Json.Serialization;

namespace FeedbackStream.Contracts;

/// <summary>Emoji reaction on a response. Serialized as its lowercase wire name (<see cref="WireNames.ToWireName(Reaction)"/>).</summary>
[JsonConverter(typeof(ReactionJsonConverter))]
public enum Reaction
{
    /// <summary><c>love</c></summary>
    Love,

    /// <summary><c>like</c></summary>
    Like,

    /// <summary><c>laugh</c></summary>
    Laugh,

    /// <summary><c>wow</c></summary>
    Wow,

    /// <summary><c>sad</c></summary>
    Sad,

    /// <summary><c>angry</c></summary>
    Angry,

    /// <summary><c>dislike</c></summary>
    Dislike,
}
