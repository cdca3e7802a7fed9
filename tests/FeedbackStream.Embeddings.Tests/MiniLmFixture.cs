using FeedbackStream.Embeddings.MiniLm;

namespace FeedbackStream.Embeddings.Tests;

/// <summary>One uncached encoder for the class (loading the model takes a second or two).</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmTextEncoder Encoder { get; } = new(new TextEncoderOptions { MaxTokens = 64, BatchSize = 8, CacheCapacity = 0 });

    public void Dispose() => Encoder.Dispose();
}
