using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Tests;

public sealed class FollowupTextTests
{
    [Theory]
    [InlineData("That’s  WRONG!", "thats wrong!")]
    [InlineData("I don't know", "i dont know")]
    [InlineData("doesn`t work", "doesnt work")]
    [InlineData("lol 😂", "lol emojilaugh")]
    [InlineData("tl;dr", "tldr")]
    public void Normalize_FoldsCaseApostrophesAndEmoji(string input, string expected) =>
        Assert.Equal(expected, FollowupText.Normalize(input));

    [Fact]
    public void Tokenize_SplitsSegmentsAtPunctuationAndClausesAtBut()
    {
        var text = FollowupText.Tokenize("Thanks, but is it right?");

        Assert.Equal(["thanks", "is", "it", "right"], text.Tokens.Select(t => t.Value));
        Assert.Equal([0, 1, 1, 1], text.Tokens.Select(t => t.Segment));
        Assert.Equal([0, 1, 1, 1], text.Tokens.Select(t => t.Clause));
        Assert.Equal(2, text.ClauseCount);
        Assert.Equal([false, true], text.SegmentEndsWithQuestionMark);
    }

    [Fact]
    public void StableHash_IsFnv1a64OfSaltNewlineValue() =>
        Assert.Equal(0xf23dd545847c63feUL, StableHash.Of("salt", "value"));
}
