namespace FeedbackStream.Mining;

/// <summary>
/// Picks the K most useful pairs for training (after FiFA: margin, quality and diversity). Each pair is a unit vector:
/// by default a hashed bag of words of its prompt and both responses, or the caller's (e.g. the normalised sum of the
/// sentence vectors of prompt, chosen and rejected: <see cref="Combine"/>); selection is greedy: the next pair maximises
/// quality × (1 − λ + λ × distance to its nearest already-selected pair), where quality = confidence × tanh(margin) and
/// distance is cosine distance. λ = 0 ranks by quality alone. Pure and deterministic (ties by pair id).
/// </summary>
public static class PairSelector
{
    public const int Dimensions = 256;

    /// <param name="vectorOf">Unit vector of a pair (all of one length); default: the hashed bag of words.</param>
    public static IReadOnlyList<PreferencePair> Select(IReadOnlyList<PreferencePair> pairs, int k, double diversity = 0.5, Func<PreferencePair, float[]>? vectorOf = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(diversity, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(diversity, 1);
        var candidates = pairs.OrderBy(p => p.PairId, StringComparer.Ordinal).ToList();
        var vectors = candidates.Select(vectorOf ?? (p => Embed($"{p.PromptText} {p.ChosenText} {p.RejectedText}"))).ToList();
        if (vectors.Select(v => v.Length).Distinct().Count() > 1)
        {
            throw new ArgumentException("Every pair's vector must have the same length.", nameof(vectorOf));
        }
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

    /// <summary>The unit vector along the sum of <paramref name="vectors"/> (zeros when they cancel out).</summary>
    public static float[] Combine(params IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        var sum = new float[vectors.Count == 0 ? 0 : vectors[0].Length];
        foreach (var vector in vectors)
        {
            if (vector.Length != sum.Length)
            {
                throw new ArgumentException("The vectors differ in length.", nameof(vectors));
            }

            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] += vector[i];
            }
        }

        var norm = Math.Sqrt(sum.Sum(v => (double)v * v));
        if (norm > 0)
        {
            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] = (float)(sum[i] / norm);
            }
        }

        return sum;
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
