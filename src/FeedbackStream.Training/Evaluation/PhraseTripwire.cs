namespace FeedbackStream.Training.Evaluation;

/// <summary>
/// The phrase tripwire: the word 1–2-grams most associated with Love in training data (smoothed log-odds ranked by
/// their z-score, with a minimum support), and how often each version's responses contain them. A version whose rate of these phrases jumps
/// while its love rate does not is learning to say what gets loved rather than to be better.
/// </summary>
public static class PhraseTripwire
{
    public static IReadOnlyList<(string Phrase, double LogOdds)> TopPhrases(IEnumerable<LoveExample> train, int top = 10, int minimumSupport = 30)
    {
        ArgumentNullException.ThrowIfNull(train);
        var loved = new Dictionary<string, int>(StringComparer.Ordinal);
        var other = new Dictionary<string, int>(StringComparer.Ordinal);
        int lovedDocs = 0, otherDocs = 0;
        foreach (var e in train)
        {
            var counts = e.Love ? loved : other;
            if (e.Love)
            {
                lovedDocs++;
            }
            else
            {
                otherDocs++;
            }

            foreach (var gram in Grams(e.Response))
            {
                counts[gram] = counts.GetValueOrDefault(gram) + 1;
            }
        }

        if (lovedDocs == 0 || otherDocs == 0)
        {
            return [];
        }

        // Ranked by the z-score of the smoothed log-odds ratio (log-odds over its standard error), so that a phrase
        // seen in a handful of loved responses does not outrank one seen in thousands ("Fightin' Words" style).
        return loved
            .Where(kv => kv.Value + other.GetValueOrDefault(kv.Key) >= minimumSupport)
            .Select(kv =>
            {
                var a = kv.Value + 0.5;
                var b = lovedDocs - kv.Value + 0.5;
                var c = other.GetValueOrDefault(kv.Key) + 0.5;
                var d = otherDocs - other.GetValueOrDefault(kv.Key) + 0.5;
                var logOdds = Math.Log(a / b) - Math.Log(c / d);
                var z = logOdds / Math.Sqrt((1 / a) + (1 / b) + (1 / c) + (1 / d));
                return (Phrase: kv.Key, LogOdds: logOdds, Z: z, Counts: (kv.Value, other.GetValueOrDefault(kv.Key)));
            })
            .Where(x => x.LogOdds > 0)
            .OrderByDescending(x => x.Z)
            .ThenByDescending(x => x.Phrase.Length)
            .ThenBy(x => x.Phrase, StringComparer.Ordinal)
            .Aggregate(new List<(string Phrase, double LogOdds, double Z, (int, int) Counts)>(), (kept, x) =>
            {
                // The pieces of one longer phrase occur in the same responses (equal counts in loved and other
                // responses): keep one of them, so the list names different phrases.
                if (kept.Count < top && !kept.Any(k => k.Counts == x.Counts))
                {
                    kept.Add(x);
                }

                return kept;
            })
            .Select(x => (x.Phrase, x.LogOdds))
            .ToList();
    }

    /// <summary>Share of each version's responses containing each phrase.</summary>
    public static IReadOnlyList<PhraseRate> Rates(IReadOnlyList<(string Phrase, double LogOdds)> phrases, IEnumerable<LoveExample> examples)
    {
        ArgumentNullException.ThrowIfNull(phrases);
        ArgumentNullException.ThrowIfNull(examples);
        var totals = new Dictionary<string, int>(StringComparer.Ordinal);
        var hits = phrases.ToDictionary(p => p.Phrase, _ => new Dictionary<string, int>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var e in examples)
        {
            totals[e.ModelVersion] = totals.GetValueOrDefault(e.ModelVersion) + 1;
            var grams = Grams(e.Response);
            foreach (var phrase in phrases)
            {
                if (grams.Contains(phrase.Phrase))
                {
                    var byVersion = hits[phrase.Phrase];
                    byVersion[e.ModelVersion] = byVersion.GetValueOrDefault(e.ModelVersion) + 1;
                }
            }
        }

        return phrases.Select(p => new PhraseRate(
            p.Phrase,
            Math.Round(p.LogOdds, 4),
            totals.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(t => t.Key, t => Math.Round(hits[p.Phrase].GetValueOrDefault(t.Key) / (double)t.Value, 4), StringComparer.Ordinal)))
            .ToList();
    }

    /// <summary>Distinct lower-cased word unigrams and bigrams of a text, tokenised as the model's features are.</summary>
    public static HashSet<string> Grams(string text)
    {
        var grams = new HashSet<string>(StringComparer.Ordinal);
        var lookup = grams.GetAlternateLookup<ReadOnlySpan<char>>();
        var buffer = new char[128];
        Model.LoveFeaturizer.VisitGrams(text, gram => lookup.Add(gram), ref buffer);
        return grams;
    }
}
