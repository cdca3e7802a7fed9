namespace FeedbackStream.Replay;

/// <summary>Two sibling assistant replies to one prompter message that the humans ranked differently (<see cref="Better"/> has the lower rank).</summary>
public sealed record RankedPair(string ParentId, string Better, string Worse);

/// <summary>
/// OASST messages indexed as trees: children in <c>created_date</c> order, depth from the root, and the messages
/// whose chain of parents leaves the file (detached: their context is unknown). A message id seen twice keeps its first
/// copy; the repeats are counted (<see cref="DuplicateMessages"/>, <see cref="ConflictingDuplicates"/>) for commands to report.
/// </summary>
public sealed class OasstCorpus
{
    private static readonly IReadOnlyList<OasstMessage> None = [];
    private readonly Dictionary<string, OasstMessage> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<OasstMessage>> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _depth = new(StringComparer.Ordinal);
    private readonly List<string> _conflictingIds = [];

    public OasstCorpus(IEnumerable<OasstMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var ordered = new List<OasstMessage>();
        foreach (var message in messages)
        {
            if (_byId.TryAdd(message.MessageId, message))
            {
                ordered.Add(message);
            }
            else
            {
                DuplicateMessages++;
                if (!SameContent(_byId[message.MessageId], message))
                {
                    ConflictingDuplicates++;
                    _conflictingIds.Add(message.MessageId);
                }
            }
        }

        Messages = ordered;
        foreach (var message in ordered.Where(m => m.ParentId is not null))
        {
            if (!_children.TryGetValue(message.ParentId!, out var list))
            {
                _children[message.ParentId!] = list = [];
            }

            list.Add(message);
        }

        foreach (var list in _children.Values)
        {
            list.Sort((a, b) => a.CreatedDate != b.CreatedDate ? a.CreatedDate.CompareTo(b.CreatedDate) : string.CompareOrdinal(a.MessageId, b.MessageId));
        }

        foreach (var message in ordered)
        {
            var depth = 0;
            var current = message;
            var seen = new HashSet<string>(StringComparer.Ordinal) { message.MessageId };
            while (current.ParentId is { } parent && _byId.TryGetValue(parent, out var next) && seen.Add(parent))
            {
                current = next;
                depth++;
            }

            if (current.ParentId is null)
            {
                _depth[message.MessageId] = depth;
            }
        }
    }

    public static OasstCorpus Load(string path) => new(OasstReader.ReadFile(path));

    /// <summary>Messages in file order, one per id.</summary>
    public IReadOnlyList<OasstMessage> Messages { get; }

    /// <summary>Messages whose id was already seen in the file (a repeated line or tree); the first copy is kept.</summary>
    public int DuplicateMessages { get; }

    /// <summary>Of <see cref="DuplicateMessages"/>, the copies whose content differs from the first (the later one is ignored).</summary>
    public int ConflictingDuplicates { get; }

    /// <summary>Up to ten ids of conflicting duplicates, for the report.</summary>
    public IReadOnlyList<string> ConflictingIds => _conflictingIds.Take(10).ToList();

    /// <summary>One line for command output: how many records were repeated, or null when none were.</summary>
    public string? DuplicateSummary => DuplicateMessages == 0
        ? null
        : $"{DuplicateMessages:N0} messages appear more than once in the file (repeated lines or trees); the first copy of each was kept" +
          (ConflictingDuplicates == 0 ? "." : $", and {ConflictingDuplicates:N0} later copies differ from it (e.g. {string.Join(", ", ConflictingIds)}).");

    private static bool SameContent(OasstMessage a, OasstMessage b) =>
        a with { Emojis = b.Emojis } == b &&
        a.Emojis.Count == b.Emojis.Count &&
        a.Emojis.All(e => b.Emojis.TryGetValue(e.Key, out var count) && count == e.Value);

    public int Trees => Messages.Select(m => m.MessageTreeId).Distinct(StringComparer.Ordinal).Count();

    /// <summary>Messages whose chain of parents does not reach a root in the file.</summary>
    public int Detached => Messages.Count - _depth.Count;

    public OasstMessage? Find(string messageId) => _byId.GetValueOrDefault(messageId);

    /// <summary>Replies to a message, oldest first.</summary>
    public IReadOnlyList<OasstMessage> ChildrenOf(string messageId) => _children.TryGetValue(messageId, out var list) ? list : None;

    /// <summary>Distance from the tree's root (0 for the root), or null when the message is detached.</summary>
    public int? DepthOf(string messageId) => _depth.TryGetValue(messageId, out var depth) ? depth : null;

    /// <summary>The texts from the root down to <paramref name="messageId"/> included (empty when detached).</summary>
    public IReadOnlyList<string> PathTexts(string messageId)
    {
        if (!_depth.ContainsKey(messageId))
        {
            return [];
        }

        var texts = new List<string>();
        for (var current = _byId.GetValueOrDefault(messageId); current is not null; current = current.ParentId is { } p ? _byId.GetValueOrDefault(p) : null)
        {
            texts.Add(current.Text);
        }

        texts.Reverse();
        return texts;
    }

    /// <summary>
    /// Every pair of assistant replies to the same parent message with different human ranks, better first. Grouped by
    /// <c>parent_id</c> as the file states it (a parent missing from the file still groups its replies).
    /// </summary>
    public IReadOnlyList<RankedPair> RankedSiblingPairs()
    {
        var pairs = new List<RankedPair>();
        foreach (var (parent, children) in _children.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var ranked = children.Where(c => c.Role == OasstRole.Assistant && c.Rank is not null).ToList();
            for (var i = 0; i < ranked.Count; i++)
            {
                for (var j = i + 1; j < ranked.Count; j++)
                {
                    var (a, b) = (ranked[i], ranked[j]);
                    if (a.Rank != b.Rank)
                    {
                        pairs.Add(a.Rank < b.Rank ? new RankedPair(parent, a.MessageId, b.MessageId) : new RankedPair(parent, b.MessageId, a.MessageId));
                    }
                }
            }
        }

        return pairs;
    }
}
