using System.ComponentModel.DataAnnotations;

namespace FeedbackStream.Embeddings;

/// <summary>Settings of a text encoder (configuration section <c>Encoder</c>). Validated by <see cref="Validate"/>.</summary>
public sealed record TextEncoderOptions
{
    public const string Section = "Encoder";

    /// <summary>Word pieces per text including the two special tokens; longer texts are cut (all-MiniLM-L6-v2 was trained on 256).</summary>
    [Range(8, 512)]
    public int MaxTokens { get; init; } = 256;

    /// <summary>Texts per model call; a call pads to its longest text, so texts are sorted by length before batching.</summary>
    [Range(1, 1024)]
    public int BatchSize { get; init; } = 32;

    /// <summary>Vectors kept in the least-recently-used cache (by text hash); 0 turns the cache off.</summary>
    [Range(0, 10_000_000)]
    public int CacheCapacity { get; init; } = 20_000;

    /// <summary>Threads ONNX Runtime may use inside one call (1 keeps one call on one core and results bit-identical).</summary>
    [Range(1, 64)]
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Throws <see cref="ValidationException"/> naming the first setting out of range.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}
