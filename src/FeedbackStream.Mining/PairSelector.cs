namespace FeedbackStream.Mining;

/// <summary>
/// Picks the K most useful pairs for training (after FiFA: margin, quality and diversity). Each pair is embedded as a
/// hashed bag of words of its prompt and both responses (unit length); selection is greedy: the next pair maximises
/// quality × (1 − λ + λ × distance to its nearest already-selected pair), where quality = confidence × tanh(margin) and
/// distance is cosine distance. λ = 0 ranks by quality alone. Pure and deterministic (ties by pair id).
/// </summary>
public static class PairSelector
{
    public const int Dimensions = 256;

    public static IReadOnlyList<PreferencePair> Select(IReadOnlyList<PreferencePair> pairs, int k, double diversity = 0.5)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(diversity, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(diversity, 1);
        var candidates = pairs.OrderBy(p => p.PairId, StringComparer.Ordinal).ToList();
        var vectors = candidates.Select(p => Embed($"{p.PromptText} {p.ChosenText} {p.RejectedText}")).ToList();
        var quality = candidates.Select(p => p.Confidence * Math.Tanh(Math.Max(0, p.Margin))).ToList();
        var nearest = Enumerable.Repeat(2.0, candidates.Count).ToArray(); // cosine distance to the closest selected pair (2 = none yet)
        var taken = new bool[candidates.Count];
        var selected = new List<PreferencePair>(Math.Min(k, candidates.Count));
        while (selected.Count < k && selected.Count < candidates.Count)
        {
            var best = -1;
            var bestValue = double.NegativeInfinity;
            for (var i = 0; i < candidates.Count; i++)
            {
                if (taken[i])
                {
                    continue;
                }

                var distance = Math.Min(1, nearest[i]);
                var value = quality[i] * (1 - diversity + (diversity * distance));
                if (value > bestValue)
                {
                    bestValue = value;
                    best = i;
                }
            }

            taken[best] = true;
            selected.Add(candidates[best]);
            for (var i = 0; i < candidates.Count; i++)
            {
                if (!taken[i])
                {
                    nearest[i] = Math.Min(nearest[i], 1 - Dot(vectors[i], vectors[best]));
                }
            }
        }

        return selected;
    }

    internal static float[] Embed(string text)
    {
        var vector = new float[Dimensions];
        foreach (var word in text.ToLowerInvariant().Split((char[])[' ', '\n', '\t', '.', ',', '!', '?', ';', ':', '"', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
        {
            var hash = (uint)StableHash(word);
            vector[hash % Dimensions] += (hash & 0x8000_0000) == 0 ? 1 : -1;
        }

        var norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        if (norm > 0)
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = (float)(vector[i] / norm);
            }
        }

        return vector;
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>FNV-1a: stable across processes (string.GetHashCode is randomised per process).</summary>
    private static int StableHash(string value)
    {
        var hash = 2166136261;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)hash;
    }
}
