using FeedbackStream.Contracts;

namespace FeedbackStream.Mining.Tests;

/// <summary>Events of one app never change another app's labels or pairs, whatever ids they carry.</summary>
public sealed class TenantIsolationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    private static StoredEvent E(string id, string app, double seconds, EventPayload payload, string conversation = "c1") =>
        new(FeedbackEvent.Create(id, app, T0.AddSeconds(seconds), "u1", conversation, payload), T0.AddSeconds(seconds + 1));

    private static LabelBatch Run(IEnumerable<StoredEvent> events) =>
        new SignalLabeler(new MiningOptions(), new KeywordScorer()).Label(events, new Dictionary<string, UserProfile>(), PopulationRates.Default, T0.AddHours(1));

    private static ResponseServed Served(string id, string text) => new(id, 0, text + new string(' ', 300), "m1", PromptText: "why?");

    [Fact]
    public void AnotherAppsClearAndDislike_CarryingTheSameIds_DoNotTouchTheLabel()
    {
        StoredEvent[] app1 = [E("s1", "app1", 0, Served("r1", "answer")), E("love", "app1", 20, new ReactionSet("r1", Reaction.Love, 20_000))];
        var alone = Assert.Single(Run(app1).Labels);

        StoredEvent[] hostile =
        [
            E("x1", "app2", 30, new ReactionCleared("r1", Reaction.Love, 30_000)),
            E("x2", "app2", 31, new ReactionSet("r1", Reaction.Dislike, 31_000)),
            E("love", "app2", 32, new ReactionCleared("r1", Reaction.Love, 32_000)),
        ];
        var batch = Run([.. app1, .. hostile]);
        var label = Assert.Single(batch.Labels, l => l.AppId == "app1");
        Assert.True(label.Love);
        Assert.False(label.Dislike);
        Assert.Equal(alone.Score, label.Score);
        Assert.Equal(alone.LastSignalAt, label.LastSignalAt);
        Assert.DoesNotContain(batch.Decisions, d => d.AppId == "app1" && d.EventId is "x1" or "x2");
        Assert.Equal(3, batch.OrphanSignals);
    }

    [Fact]
    public void AnotherAppServingTheSameResponseId_GetsItsOwnLabel_AndNeverTakesTheFirstOver()
    {
        var batch = Run(
        [
            E("s1", "app1", 0, Served("r1", "the real answer")),
            E("love", "app1", 20, new ReactionSet("r1", Reaction.Love, 20_000)),
            E("s2", "app2", 5, Served("r1", "an impostor")),
        ]);
        Assert.Equal(2, batch.Labels.Count);
        var app1 = Assert.Single(batch.Labels, l => l.AppId == "app1");
        var app2 = Assert.Single(batch.Labels, l => l.AppId == "app2");
        Assert.NotEqual(app1.LabelId, app2.LabelId);
        Assert.StartsWith("the real answer", app1.ResponseText, StringComparison.Ordinal);
        Assert.True(app1.Love);
        Assert.False(app2.Love);
    }

    [Fact]
    public void RegenerationPairs_NeverJoinAcrossApps()
    {
        var batch = Run(
        [
            E("s1", "app1", 0, Served("r1", "first")),
            E("regen", "app1", 10, new ResponseAction("r1", ActionKind.Regenerate, null, 10_000)),
            E("s2", "app2", 12, new ResponseServed("r2", 0, "imposter" + new string(' ', 300), "m1", PromptText: "why?", RegeneratedFrom: "r1", CandidateIndex: 1)),
            E("l2", "app2", 40, new ReactionSet("r2", Reaction.Love, 20_000)),
        ]);
        Assert.DoesNotContain(batch.Pairs, p => p.Source == PairSources.Regeneration);
    }
}
