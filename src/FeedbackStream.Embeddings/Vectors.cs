namespace FeedbackStream.Embeddings;

/// <summary>Small vector helpers for embeddings.</summary>
public static class Vectors
{
    /// <summary>Dot product (the cosine for L2-normalised vectors).</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Vector lengths differ: {a.Length} and {b.Length}.", nameof(b));
        }

        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * (double)b[i];
        }

        return sum;
    }

    /// <summary>Euclidean length.</summary>
    public static double Norm(ReadOnlySpan<float> a) => Math.Sqrt(Dot(a, a));

    /// <summary>Cosine similarity; 0 when either vector is zero.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var norms = Norm(a) * Norm(b);
        return norms == 0 ? 0 : Dot(a, b) / norms;
    }

    /// <summary>Scales <paramref name="a"/> in place to length 1 (a zero vector stays zero).</summary>
    public static void NormalizeInPlace(Span<float> a)
    {
        var norm = Norm(a);
        if (norm <= 0)
        {
            return;
        }

        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (float)(a[i] / norm);
        }
    }
}
