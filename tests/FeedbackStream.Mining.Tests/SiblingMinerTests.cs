using FeedbackStream.Contracts;

namespace FeedbackStream.Mining.Tests;

public sealed class SiblingMinerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private static List<ResponseLabel> Labels(MiningOptions options, params (string Response, string App, string User, string Prompt, EventPayload? Signal)[] items)
    {
        var events = new List<StoredEvent>();
        foreach (var (response, app, user, prompt, signal) in items)
        {
            events.Add(new(FeedbackEvent.Create($"s-{response}", app, T0, user, $"c-{response}", new ResponseServed(response, 0, $"answer {response}", "m", PromptText: prompt)), T0));
            if (signal is not null)
            {
                events.Add(new(FeedbackEvent.Create($"x-{response}", app, T0.AddSeconds(20), user, $"c-{response}", signal), T0.AddSeconds(20)));
            }
        }

        return new SignalLabeler(options, new KeywordScorer()).Label(events, new Dictionary<string, UserProfile>(), PopulationRates.Default, T0.AddHours(1)).Labels.ToList();
    }

    [Fact]
    public void SamePrompt_LovedAgainstDisliked_IsAPair_NormalisedPromptsMatch()
    {
        var options = new MiningOptions();
        var labels = Labels(options,
            ("a", "app", "u1", "How do I sort a list?", new ReactionSet("a", Reaction.Love, 20_000)),
            ("b", "app", "u2", "how do i sort a list", new ReactionSet("b", Reaction.Dislike, 20_000)),
            ("c", "app", "u3", "something else entirely", new ReactionSet("c", Reaction.Dislike, 20_000)));

        var pair = Assert.Single(SiblingMiner.Mine(labels, options));
        Assert.Equal(("a", "b"), (pair.ChosenResponseId, pair.RejectedResponseId));
        Assert.Equal(PairSources.Siblings, pair.Source);
        Assert.Equal(["u1", "u2"], pair.Users);
    }

    [Fact]
    public void APopularPrompt_OffersOnlyItsMostPositiveAndMostNegativeResponses_AsCandidates()
    {
        var options = new MiningOptions();
        var items = Enumerable.Range(0, 40).SelectMany(i => new (string, string, string, string, EventPayload?)[]
        {
            ($"p{i:D2}", "app", $"u{i}", "popular prompt", new ReactionSet($"p{i:D2}", Reaction.Love, 20_000)),
            ($"n{i:D2}", "app", $"v{i}", "popular prompt", new ReactionSet($"n{i:D2}", Reaction.Dislike, 20_000)),
        }).ToArray();
        // Every answer reads the same (never a pair) except p39's, which ranks 40th of the equally loved.
        var labels = Labels(options, items).Select(l => l with { ResponseText = l.ResponseId == "p39" ? "a different answer" : "the same answer" }).ToList();

        Assert.Empty(SiblingMiner.Mine(labels, options));
        Assert.NotEmpty(SiblingMiner.Mine(labels.Where(l => l.ResponseId is "p39" or "n00"), options));
    }

    [Fact]
    public void FollowupsAlone_DecideAFollowupPair()
    {
        var options = new MiningOptions();
        var labels = Labels(options,
            ("a", "app", "u1", "p", new FollowupSent("a", "thanks a lot", 20_000)),
            ("b", "app", "u2", "p", new FollowupSent("b", "that is wrong", 20_000)));
        var pair = Assert.Single(SiblingMiner.Mine(labels, options));
        Assert.Equal(PairSources.Followup, pair.Source);
        Assert.Equal("a", pair.ChosenResponseId);
    }

    [Fact]
    public void DifferentApps_AreNotPaired_UnlessConfigured()
    {
        var items = new (string, string, string, string, EventPayload?)[]
        {
            ("a", "web", "u1", "p", new ReactionSet("a", Reaction.Love, 20_000)),
            ("b", "ios", "u2", "p", new ReactionSet("b", Reaction.Dislike, 20_000)),
        };
        Assert.Empty(SiblingMiner.Mine(Labels(new MiningOptions(), items), new MiningOptions()));
        var across = new MiningOptions { PairAcrossApps = true };
        Assert.Single(SiblingMiner.Mine(Labels(across, items), across));
    }

    [Fact]
    public void NoSignals_NoPairs_AndNeverAResponseAgainstItself()
    {
        var options = new MiningOptions();
        var labels = Labels(options, ("a", "app", "u1", "p", null), ("b", "app", "u2", "p", null));
        Assert.Empty(SiblingMiner.Mine(labels, options));
        var loved = Labels(options, ("a", "app", "u1", "p", new ReactionSet("a", Reaction.Love, 20_000)));
        Assert.Empty(SiblingMiner.Mine(loved.Concat(loved), options));
    }

    [Fact]
    public void SmallMargins_AreNotPairs()
    {
        var options = new MiningOptions { MinSiblingMargin = 1.5 };
        var labels = Labels(options,
            ("a", "app", "u1", "p", new ReactionSet("a", Reaction.Like, 20_000)),
            ("b", "app", "u2", "p", new ReactionSet("b", Reaction.Sad, 20_000)));
        Assert.Empty(SiblingMiner.Mine(labels, options));
    }

    private static ResponseLabel Rated(string id, double positive, double negative, double score) => new(
        "l-" + id, "app", id, "c-" + id, "u-" + id, "m", "app/t:prompt", "prompt", "answer " + id, 0, "", 0, T0, T0,
        positive > 0, positive > 0 ? 1 : 0, negative > 0, negative > 0 ? 1 : 0, [], "", "", 0, 0, [],
        score, 0.8, (int)(positive + negative), 0, 0, [], [], PositiveEvidence: positive, NegativeEvidence: negative);

    [Fact]
    public void SiblingsOnTheSameSide_ArePaired_OnlyWhenTheJudgeIsSure()
    {
        // Eight users loved a; three loved and five disliked b: both scores are >= 0, the rates differ clearly.
        var labels = new List<ResponseLabel> { Rated("a", 8, 0, 1), Rated("b", 3, 5, 0), Rated("c", 1, 0, 1) };

        var pairs = SiblingMiner.Mine(labels, new MiningOptions());
        var pair = Assert.Single(pairs, p => p.ChosenResponseId == "a");
        Assert.Equal("b", pair.RejectedResponseId);
        Assert.InRange(pair.Confidence, 0.9, 1);
        Assert.True(pair.Margin > 0);
        Assert.All(pairs, p => Assert.Equal("b", p.RejectedResponseId));

        // One love against eight loves: too little to be sure, a and c are not paired; without the judge, no pair at all.
        Assert.Empty(SiblingMiner.Mine(labels, new MiningOptions { MinJudgeProbability = null }));
    }
}
