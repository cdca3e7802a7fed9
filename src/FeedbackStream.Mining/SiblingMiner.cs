namespace FeedbackStream.Mining;

/// <summary>
/// Pairs across responses to the same prompt (same prompt key: the client's hash, or the normalised text), usually
/// from different users: a response whose signals add up positive against one whose signals add up negative.
/// Pure and deterministic. A pair decided by follow-ups alone is tagged <see cref="PairSources.Followup"/>. With
/// <see cref="MiningOptions.MinJudgeProbability"/> set, siblings whose scores lean the same way are also paired when
/// <see cref="PreferenceJudge"/> (rates over every user's signals, prior from all the labels given) is that sure; such
/// a pair's confidence is the judge's probability and its margin the difference of the approval means.
/// </summary>
public static class SiblingMiner
{
    /// <summary>At most this many pairs per prompt (best against worst first), so a popular prompt cannot flood the set.</summary>
    public const int MaxPairsPerPrompt = 16;

    /// <summary>
    /// At most this many of a prompt's most positive and most negative responses are candidates (the store hands over
    /// as many per side), so that the work per prompt is bounded however many responses share it.
    /// </summary>
    public const int MaxCandidatesPerSide = 32;

    public static IReadOnlyList<PreferencePair> Mine(IEnumerable<ResponseLabel> labels, MiningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var all = labels as IReadOnlyCollection<ResponseLabel> ?? labels.ToList();
        var prior = ApprovalPrior.From(all);
        var pairs = new List<PreferencePair>();
        foreach (var group in all.Where(l => l.PromptKey.Length > 0).GroupBy(l => l.PromptKey, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ranked = group
                .GroupBy(l => l.ResponseId, StringComparer.Ordinal).Select(g => g.First())
                .Where(l => l.Confidence > 0)
                .OrderByDescending(l => l.Score).ThenBy(l => l.ResponseId, StringComparer.Ordinal)
                .ToList();
            if (ranked.Count > 2 * MaxCandidatesPerSide)
            {
                ranked = [.. ranked.Take(MaxCandidatesPerSide), .. ranked.TakeLast(MaxCandidatesPerSide)];
            }

            var positives = ranked.Where(l => l.Score > 0).Take(MaxCandidatesPerSide).ToList();
            var negatives = ranked.Where(l => l.Score < 0).OrderBy(l => l.Score).ThenBy(l => l.ResponseId, StringComparer.Ordinal).Take(MaxCandidatesPerSide).ToList();
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

            if (options.MinJudgeProbability is not { } minimum)
            {
                continue;
            }

            // Siblings on the same side of zero: paired only when the rates say clearly which one is better.
            var paired = pairs.Where(p => p.PromptKey == group.Key).Select(p => (p.ChosenResponseId, p.RejectedResponseId)).ToHashSet();
            for (var i = 0; i < ranked.Count && emitted < MaxPairsPerPrompt; i++)
            {
                for (var j = i + 1; j < ranked.Count && emitted < MaxPairsPerPrompt; j++)
                {
                    var (a, b) = (ranked[i], ranked[j]);
                    if ((!options.PairAcrossApps && a.AppId != b.AppId) || a.ResponseText == b.ResponseText || (a.Score > 0 && b.Score < 0) || (a.Score < 0 && b.Score > 0))
                    {
                        continue;
                    }

                    var judgment = PreferenceJudge.Compare(a, b, prior);
                    var probability = Math.Max(judgment.Probability, 1 - judgment.Probability);
                    if (judgment.Preference == 0 || probability < minimum)
                    {
                        continue;
                    }

                    var (chosen, rejected) = judgment.Preference > 0 ? (a, b) : (b, a);
                    if (paired.Contains((chosen.ResponseId, rejected.ResponseId)))
                    {
                        continue;
                    }

                    var margin = PreferenceJudge.Approval(chosen, prior).Mean - PreferenceJudge.Approval(rejected, prior).Mean;
                    pairs.Add(SignalLabeler.Pair(chosen, rejected, PairSources.Siblings, probability, margin));
                    emitted++;
                }
            }
        }

        return pairs;
    }

    private static bool OnlyFollowup(ResponseLabel label) =>
        label.FollowupPolarity is "sat" or "dsat" && !label.Love && !label.Dislike && label.OtherReactions.Count == 0 && label.Actions.Count == 0;
}
