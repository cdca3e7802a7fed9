namespace FeedbackStream.Mining;

/// <summary>
/// The labels sibling mining pairs a new label against, per prompt: the <see cref="SiblingMiner.MaxCandidatesPerSide"/>
/// highest and lowest scored labels of other responses to the same prompt. Reading them is an aggregation over every
/// label of the prompt, so a popular prompt (thousands of labels) made every chunk that touched it pay for all its
/// labels. The labeller keeps the candidates of popular prompts (those with more labels than both sides hold) for
/// <paramref name="refresh"/>, adds the labels it writes itself, and reads them again when the entry is older; rare
/// prompts cost little to read and are not kept. Labels other labellers write reach an entry when it is read again.
/// Pure and bounded (at most <paramref name="maxPrompts"/> prompts); not thread-safe: the labeller's loop owns it.
/// </summary>
public sealed class SiblingCandidates(TimeSpan refresh, int maxPrompts = 1000)
{
    private const int PerSide = SiblingMiner.MaxCandidatesPerSide;
    private readonly Dictionary<string, Entry> _byPrompt = new(StringComparer.Ordinal);

    /// <summary>Prompts whose candidates are held.</summary>
    public int Count => _byPrompt.Count;

    /// <summary>The prompts among <paramref name="promptKeys"/> whose candidates must be read at <paramref name="now"/>.</summary>
    public List<string> ToRead(IEnumerable<string> promptKeys, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(promptKeys);
        var read = new List<string>();
        foreach (var key in promptKeys.Distinct(StringComparer.Ordinal))
        {
            if (_byPrompt.TryGetValue(key, out var entry) && now - entry.ReadAt < refresh)
            {
                continue;
            }

            _byPrompt.Remove(key);
            read.Add(key);
        }

        return read;
    }

    /// <summary>
    /// Candidates just read for <paramref name="promptKeys"/> (at most <see cref="SiblingMiner.MaxCandidatesPerSide"/>
    /// per side and prompt, as <see cref="ToRead"/> asked). A prompt that filled both sides is kept.
    /// </summary>
    public void Loaded(IEnumerable<string> promptKeys, IEnumerable<ResponseLabel> candidates, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(promptKeys);
        ArgumentNullException.ThrowIfNull(candidates);
        var byPrompt = candidates.GroupBy(l => l.PromptKey, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var key in promptKeys.Distinct(StringComparer.Ordinal))
        {
            if (!byPrompt.TryGetValue(key, out var labels) || labels.Count < 2 * PerSide)
            {
                continue;
            }

            if (_byPrompt.Count >= maxPrompts)
            {
                _byPrompt.Remove(_byPrompt.MinBy(p => p.Value.ReadAt).Key);
            }

            _byPrompt[key] = new Entry(now, labels.ToDictionary(l => l.LabelId, StringComparer.Ordinal));
        }
    }

    /// <summary>The held candidates of <paramref name="promptKeys"/>.</summary>
    public IEnumerable<ResponseLabel> For(IEnumerable<string> promptKeys)
    {
        ArgumentNullException.ThrowIfNull(promptKeys);
        return promptKeys.Distinct(StringComparer.Ordinal)
            .SelectMany(key => _byPrompt.TryGetValue(key, out var entry) ? entry.Labels.Values : Enumerable.Empty<ResponseLabel>());
    }

    /// <summary>Labels this labeller wrote: each replaces its older version in its prompt's entry, which keeps its extremes.</summary>
    public void Written(IEnumerable<ResponseLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var group in labels.GroupBy(l => l.PromptKey, StringComparer.Ordinal))
        {
            if (!_byPrompt.TryGetValue(group.Key, out var entry))
            {
                continue;
            }

            foreach (var label in group)
            {
                entry.Labels[label.LabelId] = label;
            }

            if (entry.Labels.Count > 2 * PerSide)
            {
                var ranked = entry.Labels.Values.OrderByDescending(l => l.Score).ThenBy(l => l.LabelId, StringComparer.Ordinal).ToList();
                var keep = ranked.Take(PerSide).Concat(ranked.TakeLast(PerSide)).Select(l => l.LabelId).ToHashSet(StringComparer.Ordinal);
                foreach (var id in entry.Labels.Keys.Where(id => !keep.Contains(id)).ToList())
                {
                    entry.Labels.Remove(id);
                }
            }
        }
    }

    private sealed record Entry(DateTimeOffset ReadAt, Dictionary<string, ResponseLabel> Labels);
}
