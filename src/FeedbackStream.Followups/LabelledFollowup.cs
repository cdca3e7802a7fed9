namespace FeedbackStream.Followups;

/// <summary>A follow-up utterance with its gold label.</summary>
/// <param name="Text">The utterance as the user wrote it.</param>
/// <param name="Polarity">Gold polarity.</param>
/// <param name="Kind">Gold kind (one of <see cref="FollowupKinds.All"/>), consistent with <paramref name="Polarity"/>.</param>
/// <param name="Source">Where the label comes from: <c>seed</c>, <c>eurtad_reaction</c>, <c>eurtad_context</c>.</param>
/// <param name="Tags">Hard-case tags of seed rows (negation, sarcasm, mixed, short, question); empty elsewhere.</param>
/// <param name="Note">Extra provenance, e.g. the EURTAD reaction type or source file.</param>
public sealed record LabelledFollowup(string Text, Polarity Polarity, string Kind, string Source, IReadOnlyList<string> Tags, string Note = "")
{
    public const string SeedSource = "seed";
    public const string EurtadReactionSource = "eurtad_reaction";
    public const string EurtadContextSource = "eurtad_context";
}
