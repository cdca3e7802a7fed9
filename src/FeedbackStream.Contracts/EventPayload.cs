using System.Text.Json.Serialization;

namespace FeedbackStream.Contracts;

/// <summary>
/// Base of the v1 payloads. The set is closed: <see cref="ResponseServed"/>, <see cref="ReactionSet"/>,
/// <see cref="ReactionCleared"/>, <see cref="FollowupSent"/>, <see cref="ResponseAction"/>.
/// </summary>
public abstract record EventPayload
{
    private protected EventPayload()
    {
    }

    /// <summary>The envelope <c>type</c> this payload belongs to (one of <see cref="EventTypes"/>); not serialized.</summary>
    [JsonIgnore]
    public abstract string EventType { get; }
}

/// <summary><c>response.served</c>: a response was shown to the user. At least one of <paramref name="PromptText"/> and <paramref name="PromptHash"/> is set.</summary>
/// <param name="ResponseId"><c>response_id</c>: id of the served response (identifier, 1..128 of [A-Za-z0-9._:-]); later events refer to it.</param>
/// <param name="TurnIndex"><c>turn_index</c>: zero-based turn index in the conversation.</param>
/// <param name="ResponseText"><c>response_text</c>: the response as shown (at most 32768 code points; may be empty).</param>
/// <param name="ModelVersion"><c>model_version</c>: model or policy version, 1..128 printable ASCII characters without spaces.</param>
/// <param name="PromptText"><c>prompt_text</c>: the prompt (at most 32768 code points), or null when only the hash is sent.</param>
/// <param name="PromptHash"><c>prompt_hash</c>: lowercase hex digest of the prompt (16..128 hex digits), or null.</param>
/// <param name="RegeneratedFrom"><c>regenerated_from</c>: parent response id when the user asked for another answer; null otherwise.</param>
/// <param name="CandidateIndex"><c>candidate_index</c>: zero-based index among the answers generated for the turn (default 0).</param>
/// <param name="LatencyMs"><c>latency_ms</c>: time to produce the response in milliseconds (&gt;= 0), or null.</param>
/// <param name="Surface"><c>surface</c>: where it was shown (e.g. web, ios, android, api; 1..32 of [a-z0-9._-]), or null.</param>
/// <param name="Locale"><c>locale</c>: BCP 47 language tag such as <c>pt-BR</c>, or null.</param>
public sealed record ResponseServed(
    string ResponseId,
    int TurnIndex,
    string ResponseText,
    string ModelVersion,
    string? PromptText = null,
    string? PromptHash = null,
    string? RegeneratedFrom = null,
    int CandidateIndex = 0,
    double? LatencyMs = null,
    string? Surface = null,
    string? Locale = null) : EventPayload
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string EventType => EventTypes.ResponseServed;
}

/// <summary><c>reaction.set</c>: the user put a reaction on a response.</summary>
/// <param name="ResponseId"><c>response_id</c>: the response reacted to.</param>
/// <param name="Reaction"><c>reaction</c>: the reaction put on.</param>
/// <param name="ShownToReactionMs"><c>shown_to_reaction_ms</c>: milliseconds from showing the response to the reaction, or null.</param>
public sealed record ReactionSet(
    string ResponseId,
    Reaction Reaction,
    long? ShownToReactionMs = null) : EventPayload
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string EventType => EventTypes.ReactionSet;
}

/// <summary><c>reaction.cleared</c>: the user took a reaction off a response.</summary>
/// <param name="ResponseId"><c>response_id</c>: the response reacted to.</param>
/// <param name="Reaction"><c>reaction</c>: the reaction taken off.</param>
/// <param name="ShownToReactionMs"><c>shown_to_reaction_ms</c>: milliseconds from showing the response to clearing the reaction, or null.</param>
public sealed record ReactionCleared(
    string ResponseId,
    Reaction Reaction,
    long? ShownToReactionMs = null) : EventPayload
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string EventType => EventTypes.ReactionCleared;
}

/// <summary><c>followup.sent</c>: the user's next utterance after a response.</summary>
/// <param name="ResponseId"><c>response_id</c>: the response the utterance answers.</param>
/// <param name="Text"><c>text</c>: the utterance (1..32768 code points).</param>
/// <param name="ShownToFollowupMs"><c>shown_to_followup_ms</c>: milliseconds from showing the response to sending the utterance, or null.</param>
public sealed record FollowupSent(
    string ResponseId,
    string Text,
    long? ShownToFollowupMs = null) : EventPayload
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string EventType => EventTypes.FollowupSent;
}

/// <summary><c>response.action</c>: the user acted on a response.</summary>
/// <param name="ResponseId"><c>response_id</c>: the response acted on.</param>
/// <param name="Action"><c>action</c>: what the user did.</param>
/// <param name="EditedText"><c>edited_text</c>: the user's edited version (1..32768 code points); set if and only if <paramref name="Action"/> is <see cref="ActionKind.Edit"/>.</param>
/// <param name="ShownToActionMs"><c>shown_to_action_ms</c>: milliseconds from showing the response to the action, or null.</param>
public sealed record ResponseAction(
    string ResponseId,
    ActionKind Action,
    string? EditedText = null,
    long? ShownToActionMs = null) : EventPayload
{
    /// <inheritdoc/>
    [JsonIgnore]
    public override string EventType => EventTypes.ResponseAction;
}
