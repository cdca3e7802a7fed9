namespace FeedbackStream.Replay.Tests;

public sealed class OasstLoveExamplesTests
{
    [Fact]
    public void AssistantReplies_BecomeExamples_WithTheirParentAsContext_AndPlusOneAsLove()
    {
        var examples = OasstLoveExamples.From(Fixtures.Corpus(Fixtures.Flat)).ToDictionary(e => e.Id);
        Assert.Equal(["a1", "a2", "a3", "b1"], examples.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("How do I boil an egg?", examples["a1"].Context);
        Assert.Equal("Thanks, that worked!", examples["a3"].Context);
        Assert.True(examples["a1"].Love);
        Assert.True(examples["a2"].Love);
        Assert.False(examples["a3"].Love);
        Assert.False(examples["b1"].Love);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 10, 2, 0, TimeSpan.Zero), examples["a2"].ServedAt);
        Assert.Equal("oasst-human", examples["a1"].ModelVersion);
        Assert.Equal(1, examples["a3"].TurnIndex);
    }
}
