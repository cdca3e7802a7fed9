using FeedbackStream.Followups.Seed;
using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Tests;

public sealed class SeedSetTests
{
    private static readonly IReadOnlyList<LabelledFollowup> Seed = FollowupSeedSet.Load();

    [Fact]
    public void Load_CoversEveryKindWithEnoughRows()
    {
        foreach (var kind in FollowupKinds.All)
        {
            var count = Seed.Count(r => r.Kind == kind);
            Assert.True(count >= 30, $"{kind}: {count} rows");
        }

        Assert.True(Seed.Count >= 700, $"{Seed.Count} rows");
        Assert.True(Seed.Count(r => r.Polarity == Polarity.Neutral) >= 100);
    }

    [Fact]
    public void Load_HasHardCases()
    {
        foreach (var tag in new[] { "negation", "sarcasm", "mixed", "short", "question" })
        {
            Assert.True(Seed.Count(r => r.Tags.Contains(tag)) >= 5, tag);
        }

        Assert.All(Seed.Where(r => r.Tags.Contains("sarcasm")), r => Assert.Equal(Polarity.Dsat, r.Polarity));
    }

    [Fact]
    public void Load_TextsAreUniqueAfterNormalization()
    {
        var duplicates = Seed.GroupBy(r => FollowupText.Normalize(r.Text)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

        Assert.Empty(duplicates);
    }

    [Fact]
    public void Split_IsDeterministicDisjointAndStratified()
    {
        var (train, held) = FollowupSeedSet.Split(Seed);
        var (train2, held2) = FollowupSeedSet.Split(Seed);

        Assert.Equal(held.Select(r => r.Text), held2.Select(r => r.Text));
        Assert.Equal(Seed.Count, train.Count + held.Count);
        Assert.Empty(train.Select(r => r.Text).Intersect(held.Select(r => r.Text)));
        foreach (var kind in FollowupKinds.All)
        {
            var total = Seed.Count(r => r.Kind == kind);
            var heldOut = held.Count(r => r.Kind == kind);
            Assert.InRange(heldOut, (int)Math.Floor(total * 0.25), (int)Math.Ceiling(total * 0.35));
        }

        Assert.NotEqual(held.Select(r => r.Text), FollowupSeedSet.Split(Seed, salt: "another salt").HeldOut.Select(r => r.Text));
    }

    [Fact]
    public void Parse_KindOfTheWrongPolarity_ThrowsNamingTheLine()
    {
        var error = Assert.Throws<FormatException>(() => FollowupSeedSet.Parse(new StringReader("polarity\tkind\ttext\ttags\nsat\tfactual_error\tThat is wrong.\t\n")));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }
}
