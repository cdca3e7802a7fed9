namespace FeedbackStream.Replay;

/// <summary>Who wrote an OASST message: the person asking (<c>prompter</c>) or the one answering (<c>assistant</c>).</summary>
public enum OasstRole
{
    Prompter,
    Assistant,
}

/// <summary>
/// One message of an OpenAssistant conversation tree, with the fields the replay uses. The corpus's human
/// annotations (<c>labels</c>: quality, helpfulness, ...) are deliberately not read: they are not user behaviour.
/// <see cref="Rank"/> is read only to evaluate against; it is never turned into an event.
/// </summary>
/// <param name="MessageId"><c>message_id</c>.</param>
/// <param name="ParentId"><c>parent_id</c> (from the field, or from the nesting in the tree format); null for a tree's root.</param>
/// <param name="UserId"><c>user_id</c>: the message's author.</param>
/// <param name="CreatedDate"><c>created_date</c>.</param>
/// <param name="Text"><c>text</c>.</param>
/// <param name="Role"><c>role</c>.</param>
/// <param name="Rank"><c>rank</c>: human rank among the sibling assistant replies (0 = best), or null.</param>
/// <param name="Emojis"><c>emojis</c>: name to count (<c>+1</c>, <c>-1</c>, <c>red_flag</c>, <c>_skip_reply</c>, ...).</param>
/// <param name="MessageTreeId"><c>message_tree_id</c> (inherited from the tree in the nested format when absent).</param>
/// <param name="Lang"><c>lang</c>, or null.</param>
/// <param name="ModelName"><c>model_name</c>, or null (human-written replies).</param>
/// <param name="Deleted"><c>deleted</c>.</param>
public sealed record OasstMessage(
    string MessageId,
    string? ParentId,
    string UserId,
    DateTimeOffset CreatedDate,
    string Text,
    OasstRole Role,
    int? Rank,
    IReadOnlyDictionary<string, int> Emojis,
    string MessageTreeId,
    string? Lang = null,
    string? ModelName = null,
    bool Deleted = false)
{
    public int EmojiCount(string name) => Emojis.TryGetValue(name, out var count) ? count : 0;
}
