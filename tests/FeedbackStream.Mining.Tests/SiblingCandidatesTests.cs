namespace FeedbackStream.Mining.Tests;

public sealed class SiblingCandidatesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private const int PerSide = SiblingMiner.MaxCandidatesPerSide;

    private static ResponseLabel Label(string prompt, int i, double score) => new(
        $"l-{prompt}-{i}", "app", $"r-{prompt}-{i}", "c", "u", "m", prompt, "prompt", "answer", 0, "", 0, T0, T0,
        score > 0, score > 0 ? 1 : 0, score < 0, score < 0 ? 1 : 0, [], "", "", 0, 0, [], score, 0.8, 1, 0, 0, [], []);

    /// <summary>What the store returns for a prompt with <paramref name="count"/> labels scored -count/2 .. count/2: its extremes.</summary>
    private static List<ResponseLabel> Extremes(string prompt, int count)
    {
        var all = Enumerable.Range(0, count).Select(i => Label(prompt, i, i - (count / 2))).ToList();
        return all.Count <= 2 * PerSide ? all : [.. all.Take(PerSide), .. all.TakeLast(PerSide)];
    }

    [Fact]
    public void APopularPromptIsReadOnceEveryRefresh_ARarePromptEveryTime()
    {
        var cache = new SiblingCandidates(TimeSpan.FromMinutes(1));
        var read = cache.ToRead(["popular", "rare"], T0);
        Assert.Equal(["popular", "rare"], read);
        cache.Loaded(read, [.. Extremes("popular", 5000), .. Extremes("rare", 3)], T0);

        Assert.Equal(["rare"], cache.ToRead(["popular", "rare"], T0.AddSeconds(59)));
        Assert.Equal(2 * PerSide, cache.For(["popular", "rare"]).Count());
        Assert.Equal(["popular"], cache.ToRead(["popular"], T0.AddSeconds(60)));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void WrittenLabels_ReplaceTheirOlderVersion_AndTheEntryKeepsOnlyItsExtremes()
    {
        var cache = new SiblingCandidates(TimeSpan.FromMinutes(1));
        cache.Loaded(["p"], Extremes("p", 1000), T0);
        var top = cache.For(["p"]).MaxBy(l => l.Score)!;

        // A new best label enters at the top and pushes the lowest of the top side out; a rescored label replaces its
        // older version instead of being held twice.
        var best = Label("p", 5000, 10_000);
        var rescored = top with { Score = -10_000 };
        cache.Written([best, rescored]);

        var held = cache.For(["p"]).ToList();
        Assert.Equal(2 * PerSide, held.Count);
        Assert.Equal(held.Count, held.Select(l => l.LabelId).Distinct().Count());
        Assert.Equal(best.LabelId, held.MaxBy(l => l.Score)!.LabelId);
        Assert.Equal(-10_000, held.Single(l => l.LabelId == top.LabelId).Score);
        Assert.Equal(-10_000, held.Min(l => l.Score));
    }

    [Fact]
    public void LabelsOfPromptsNotHeld_AreNotKept_AndTheNumberOfPromptsIsBounded()
    {
        var cache = new SiblingCandidates(TimeSpan.FromMinutes(1), maxPrompts: 2);
        cache.Written([Label("not-held", 1, 1)]);
        Assert.Empty(cache.For(["not-held"]));

        cache.Loaded(["a"], Extremes("a", 100), T0);
        cache.Loaded(["b"], Extremes("b", 100), T0.AddSeconds(1));
        cache.Loaded(["c"], Extremes("c", 100), T0.AddSeconds(2));
        Assert.Equal(2, cache.Count);
        Assert.Empty(cache.For(["a"]));
        Assert.Equal(4 * PerSide, cache.For(["b", "c"]).Count());
    }
}
