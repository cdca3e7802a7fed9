namespace FeedbackStream.Mining.Tests;

public sealed class PairSelectorTests
{
    private static PreferencePair Pair(string id, string prompt, double confidence, double margin = 2) =>
        new(id, "app", "k", prompt, "c-" + id, $"chosen answer about {prompt}", "r-" + id, $"rejected answer about {prompt}", PairSources.Siblings, confidence, margin, [], []);

    [Fact]
    public void WithoutDiversity_TheMostConfidentPairsWin()
    {
        var pairs = new[] { Pair("a", "cats", 0.9), Pair("b", "cats", 0.95), Pair("c", "dogs", 0.5) };
        Assert.Equal(["b", "a"], PairSelector.Select(pairs, 2, diversity: 0).Select(p => p.PairId));
    }

    [Fact]
    public void WithDiversity_ANearDuplicateLosesToADifferentTopic()
    {
        var pairs = new[] { Pair("a", "sorting lists in csharp", 0.9), Pair("b", "sorting lists in csharp", 0.88), Pair("c", "baking sourdough bread at home", 0.7) };
        Assert.Equal(["a", "c"], PairSelector.Select(pairs, 2, diversity: 0.8).Select(p => p.PairId));
    }

    [Fact]
    public void LargerMargins_RankHigherAtEqualConfidence_AndKIsRespected()
    {
        var pairs = Enumerable.Range(0, 20).Select(i => Pair($"p{i:D2}", $"topic {i}", 0.8, margin: 0.2 + (i * 0.1))).ToList();
        var selected = PairSelector.Select(pairs, 5, diversity: 0);
        Assert.Equal(5, selected.Count);
        Assert.Equal(["p19", "p18", "p17", "p16", "p15"], selected.Select(p => p.PairId));
        Assert.Empty(PairSelector.Select(pairs, 0));
    }

    [Fact]
    public void Selection_IsDeterministic_WhateverTheInputOrder()
    {
        var pairs = Enumerable.Range(0, 30).Select(i => Pair($"p{i:D2}", $"topic {i % 7}", 0.5 + (i % 5 * 0.1))).ToList();
        var a = PairSelector.Select(pairs, 10).Select(p => p.PairId).ToList();
        var b = PairSelector.Select(pairs.AsEnumerable().Reverse().ToList(), 10).Select(p => p.PairId).ToList();
        Assert.Equal(a, b);
    }

    [Fact]
    public void CallersVectors_DecideWhatIsNearAndWhatIsFar()
    {
        // Word overlap says a and b are near duplicates and c is far; the caller's vectors (say, sentence vectors that
        // know "canine" and "dog" mean the same) say a and c are the same topic and b is another.
        var pairs = new[] { Pair("a", "dog food", 0.9), Pair("b", "dog food recall", 0.85), Pair("c", "canine nutrition", 0.8) };
        var vectors = new Dictionary<string, float[]> { ["a"] = [1, 0], ["b"] = [0, 1], ["c"] = [1, 0] };

        Assert.Equal(["a", "c"], PairSelector.Select(pairs, 2, diversity: 0.8).Select(p => p.PairId));
        Assert.Equal(["a", "b"], PairSelector.Select(pairs, 2, diversity: 0.8, p => vectors[p.PairId]).Select(p => p.PairId));
        Assert.Throws<ArgumentException>(() => PairSelector.Select(pairs, 2, 0.8, p => p.PairId == "b" ? [1, 0, 0] : vectors[p.PairId]));
    }

    [Fact]
    public void Combine_IsTheUnitVectorOfTheSum()
    {
        var v = PairSelector.Combine([3, 0], [0, 4], [0, 0]);
        Assert.Equal(0.6, v[0], 6);
        Assert.Equal(0.8, v[1], 6);
        Assert.Equal([0f, 0f], PairSelector.Combine([1, -1], [-1, 1]));
        Assert.Throws<ArgumentException>(() => PairSelector.Combine([1, 0], [1, 0, 0]));
    }
}
