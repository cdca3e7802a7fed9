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
}
