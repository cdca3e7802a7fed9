namespace FeedbackStream.Contracts;

/// <summary>Helpers over the closed set of v1 payloads.</summary>
public static class EventPayloadExtensions
{
    /// <summary>The response every v1 payload is about (each type names one).</summary>
    public static string ResponseId(this EventPayload payload) => payload switch
    {
        ResponseServed p => p.ResponseId,
        ReactionSet p => p.ResponseId,
        ReactionCleared p => p.ResponseId,
        FollowupSent p => p.ResponseId,
        ResponseAction p => p.ResponseId,
        _ => throw new ArgumentOutOfRangeException(nameof(payload), payload?.GetType().Name, "Not a v1 payload."),
    };
}
