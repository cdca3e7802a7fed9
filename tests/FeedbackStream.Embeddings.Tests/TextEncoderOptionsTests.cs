using System.ComponentModel.DataAnnotations;

namespace FeedbackStream.Embeddings.Tests;

public sealed class TextEncoderOptionsTests
{
    [Fact]
    public void Defaults_are_valid() => new TextEncoderOptions().Validate();

    [Theory]
    [InlineData(2, 32, "MaxTokens")]
    [InlineData(1_000, 32, "MaxTokens")]
    [InlineData(128, 0, "BatchSize")]
    public void Out_of_range_setting_is_named(int maxTokens, int batchSize, string field)
    {
        var error = Assert.Throws<ValidationException>(() => new TextEncoderOptions { MaxTokens = maxTokens, BatchSize = batchSize }.Validate());
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }
}
