namespace FeedbackStream.Contracts;

/// <summary>Wire names of the v1 event types, as carried in the envelope's <c>type</c> field.</summary>
public static class EventTypes
{
    /// <summary>A response was shown to the user (<see cref="Contracts.ResponseServed"/>).</summary>
    public const string ResponseServed = "response.served";

    /// <summary>The user put a reaction on a response (<see cref="Contracts.ReactionSet"/>).</summary>
    public const string ReactionSet = "reaction.set";

    /// <summary>The user took a reaction off a response (<see cref="Contracts.ReactionCleared"/>).</summary>
    public const string ReactionCleared = "reaction.cleared";

    /// <summary>The user sent the next utterance after a response (<see cref="Contracts.FollowupSent"/>).</summary>
    public const string FollowupSent = "followup.sent";

    /// <summary>The user copied, shared, regenerated, edited, stopped or reported a response (<see cref="Contracts.ResponseAction"/>).</summary>
    public const string ResponseAction = "response.action";

    /// <summary>Every v1 type, in schema order.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly([ResponseServed, ReactionSet, ReactionCleared, FollowupSent, ResponseAction]);

    /// <summary>Whether <paramref name="type"/> is one of the v1 types (ordinal comparison).</summary>
    public static bool IsKnown(string? type) => type is ResponseServed or ReactionSet or ReactionCleared or FollowupSent or ResponseAction;
}
