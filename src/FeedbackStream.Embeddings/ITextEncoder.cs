namespace FeedbackStream.Embeddings;

/// <summary>
/// Turns texts into fixed-length vectors (sentence embeddings). Implementations are thread-safe, never throw on any string
/// content (over-long text is truncated, invalid UTF-16 is replaced) and return one vector per input, in input order.
/// </summary>
public interface ITextEncoder
{
    /// <summary>Names the model and its settings that shaped the vectors (a cache or a stored vector is only valid for the same name).</summary>
    string ModelName { get; }

    /// <summary>Length of every vector.</summary>
    int Dimensions { get; }

    /// <summary>Encodes <paramref name="texts"/>; vectors are L2-normalised unless the implementation says otherwise.</summary>
    IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default);
}
