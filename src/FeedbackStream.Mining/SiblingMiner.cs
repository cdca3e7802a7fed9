namespace FeedbackStream.Mining;

/// <summary>
/// Pairs across responses to the same prompt (same prompt key: the client's hash, or the normalised text), usually
/// from different users: a response whose signals add up positive against one whose signals add up negative.
/// Pure and deterministic. A pair decided by follow-ups alone is tagged <see cref="PairSources.Followup"/>.
/// </summary>
public static class SiblingMiner
{
    /// <summary>At most this many pairs per prompt (best against worst first), so a popular prompt cannot flood the set.</summary>
    public const int MaxPairsPerPrompt = 16;

    public static IReadOnlyList<PreferencePair> Mine(IEnumerable<ResponseLabel> labels, MiningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var pairs = new List<PreferencePair>();
        foreach (var group in labels.Where(l => l.PromptKey.Length > 0).GroupBy(l => l.PromptKey, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ranked = group
                .GroupBy(l => l.ResponseId, StringComparer.Ordinal).Select(g => g.First())
                .Where(l => l.Confidence > 0)
                .OrderByDescending(l => l.Score).ThenBy(l => l.ResponseId, StringComparer.Ordinal)
                .ToList();
            var positives = ranked.Where(l => l.Score > 0).ToList();
            var negatives = ranked.Where(l => l.Score < 0).OrderBy(l => l.Score).ThenBy(l => l.ResponseId, StringComparer.Ordinal).ToList();
            var emitted = 0;
            foreach (var chosen in positives)
            {
                foreach (var rejected in negatives)
                {
                    if (emitted >= MaxPairsPerPrompt)
                    {
                        break;
                    }

                    if (chosen.ResponseId == rejected.ResponseId || (!options.PairAcrossApps && chosen.AppId != rejected.AppId) || chosen.ResponseText == rejected.ResponseText)
                    {
                        continue;
                    }

                    var margin = chosen.Score - rejected.Score;
                    if (margin < options.MinSiblingMargin)
                    {
                        continue;
                    }

                    var followupOnly = OnlyFollowup(chosen) && OnlyFollowup(rejected);
                    var confidence = Math.Tanh(margin) * Math.Sqrt(chosen.Confidence * rejected.Confidence);
                    if (confidence < options.MinPairConfidence)
                    {
                        continue;
                    }

                    pairs.Add(SignalLabeler.Pair(chosen, rejected, followupOnly ? PairSources.Followup : PairSources.Siblings, confidence, margin));
                    emitted++;
                }
            }
        }

        return pairs;
    }

    private static bool OnlyFollowup(ResponseLabel label) =>
        label.FollowupPolarity is "sat" or "dsat" && !label.Love && !label.Dislike && label.OtherReactions.Count == 0 && label.Actions.Count == 0;
}
