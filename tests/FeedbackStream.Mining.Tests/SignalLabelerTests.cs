using FeedbackStream.Contracts;

namespace FeedbackStream.Mining.Tests;

/// <summary>A stand-in scorer for pure tests: "thanks" is satisfied, "wrong" dissatisfied.</summary>
internal sealed class KeywordScorer : IFollowupScorer
{
    public FollowupScore Score(string text) =>
        text.Contains("thanks", StringComparison.OrdinalIgnoreCase) ? new(0.9, 0.05, "sat", "gratitude")
        : text.Contains("wrong", StringComparison.OrdinalIgnoreCase) ? new(0.05, 0.9, "dsat", "factual_error")
        : new(0.2, 0.2, "neutral", "");
}

public sealed class SignalLabelerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = T0.AddHours(2);
    private static readonly string Text = new('x', 400);
    private int _sequence;

    private StoredEvent E(EventPayload payload, double seconds, string user = "u1", string conversation = "c1", string app = "app", string? id = null) =>
        new(FeedbackEvent.Create(id ?? $"e{_sequence++:D4}", app, T0.AddSeconds(seconds), user, conversation, payload), T0.AddSeconds(seconds + 1));

    private static ResponseServed Served(string id, string prompt = "how do I sort a list?", string? regeneratedFrom = null, string? text = null) =>
        new(id, 0, text ?? Text + id, "m1", PromptText: prompt, RegeneratedFrom: regeneratedFrom, CandidateIndex: regeneratedFrom is null ? 0 : 1);

    private static LabelBatch Run(IEnumerable<StoredEvent> events, MiningOptions? options = null, Dictionary<string, UserProfile>? profiles = null, DateTimeOffset? now = null) =>
        new SignalLabeler(options ?? new MiningOptions(), new KeywordScorer()).Label(events, profiles ?? [], new PopulationRates(0.1, 0.05), now ?? Later);

    [Fact]
    public void DuplicateEventId_IsCountedOnce_AndTheDropIsRecorded()
    {
        var love = E(new ReactionSet("r1", Reaction.Love, 10_000), 12, id: "same");
        var batch = Run([E(Served("r1"), 0), love, love with { IngestedAt = love.IngestedAt.AddSeconds(5) }]);
        var label = Assert.Single(batch.Labels);
        Assert.True(label.Love);
        Assert.Contains(batch.Decisions, d => d.Rule == "duplicate" && d.EventId == "same" && d.Action == DecisionAction.Dropped);
    }

    [Fact]
    public void SetThenCleared_ResolvesToAbsent_SetClearedSet_ResolvesToPresent()
    {
        var cleared = Run([E(Served("r1"), 0), E(new ReactionSet("r1", Reaction.Love, 10_000), 10), E(new ReactionCleared("r1", Reaction.Love, 20_000), 20)]);
        Assert.False(Assert.Single(cleared.Labels).Love);
        Assert.Contains(cleared.Decisions, d => d.Rule == "toggle");

        var again = Run([E(Served("r1"), 0), E(new ReactionSet("r1", Reaction.Love, 10_000), 10), E(new ReactionCleared("r1", Reaction.Love, 20_000), 20), E(new ReactionSet("r1", Reaction.Love, 30_000), 30)]);
        Assert.True(Assert.Single(again.Labels).Love);
    }

    [Fact]
    public void ReactionFasterThanReadingTime_IsDropped_PlausibleOneKept()
    {
        var fast = Run([E(Served("r1"), 0), E(new ReactionSet("r1", Reaction.Love, 150), 1)]);
        Assert.False(Assert.Single(fast.Labels).Love);
        Assert.Contains(fast.Decisions, d => d.Rule == "too_fast" && d.Reason.Contains("plausible", StringComparison.Ordinal));

        var slow = Run([E(Served("r1"), 0), E(new ReactionSet("r1", Reaction.Love, 8_000), 8)]);
        Assert.True(Assert.Single(slow.Labels).Love);
    }

    [Fact]
    public void ReadingTimeFallsBackToTimestamps_WhenTheClientSentNoDuration()
    {
        var batch = Run([E(Served("r1"), 0), E(new ReactionSet("r1", Reaction.Love), 0.2)]);
        Assert.False(Assert.Single(batch.Labels).Love);
    }

    [Fact]
    public void UniformBot_AndVolumeSpammer_HaveTheirReactionsDropped()
    {
        var profiles = new Dictionary<string, UserProfile>
        {
            ["bot"] = new("bot", 100, 100, 100, 0, 1.0, 3),
            ["spammer"] = new("spammer", 30, 30, 10, 10, 0.4, 45),
        };
        var batch = Run([E(Served("r1"), 0, user: "bot"), E(new ReactionSet("r1", Reaction.Love, 9_000), 9, user: "bot"),
            E(Served("r2"), 0, user: "spammer", conversation: "c2"), E(new ReactionSet("r2", Reaction.Dislike, 9_000), 9, user: "spammer", conversation: "c2")], profiles: profiles);
        Assert.All(batch.Labels, l => Assert.False(l.Love || l.Dislike));
        Assert.Contains(batch.Decisions, d => d.Rule == "bot" && d.Reason.Contains("uniformity", StringComparison.Ordinal));
        Assert.Contains(batch.Decisions, d => d.Rule == "bot" && d.Reason.Contains("volume", StringComparison.Ordinal));
    }

    [Fact]
    public void Brigade_ManyUsersOneResponseInABurst_OnlyTheConversationsUserCounts()
    {
        var events = new List<StoredEvent> { E(Served("r1"), 0, user: "owner"), E(new ReactionSet("r1", Reaction.Like, 9_000), 9, user: "owner") };
        events.AddRange(Enumerable.Range(0, 6).Select(i => E(new ReactionSet("r1", Reaction.Dislike, 20_000), 20 + i, user: $"raider{i}")));
        var label = Assert.Single(Run(events).Labels);
        Assert.False(label.Dislike);
        Assert.Contains("like", label.OtherReactions);
        Assert.Contains("brigade", label.Rules);
    }

    [Fact]
    public void LoveFromALoveEverythingUser_WeighsLess_ThanFromATypicalUser()
    {
        var profiles = new Dictionary<string, UserProfile>
        {
            ["lover"] = new("lover", 100, 90, 90, 0, 0.9, 2),
            ["typical"] = new("typical", 100, 12, 8, 1, 0.6, 2),
        };
        var batch = Run([E(Served("r1"), 0, user: "lover"), E(new ReactionSet("r1", Reaction.Love, 9_000), 9, user: "lover"),
            E(Served("r2"), 0, user: "typical", conversation: "c2"), E(new ReactionSet("r2", Reaction.Love, 9_000), 9, user: "typical", conversation: "c2")], profiles: profiles);
        var lover = batch.Labels.Single(l => l.UserId == "lover");
        var typical = batch.Labels.Single(l => l.UserId == "typical");
        Assert.InRange(lover.LoveWeight, 0.1, 0.3);
        Assert.InRange(typical.LoveWeight, 0.95, 1.0);
        Assert.Contains(batch.Decisions, d => d.Rule == "base_rate" && d.Action == DecisionAction.Reweighted && d.UserId == "lover");
    }

    [Fact]
    public void BaseRate_OneReactionFromAUserNeverServed_IsNotReweighted()
    {
        // A reviewer pseudonym: one dislike, never served a response (as the oasst1 replay has hundreds of).
        var profiles = new Dictionary<string, UserProfile>
        {
            ["owner"] = new("owner", 1, 0, 0, 0, 0, 0),
            ["reviewer"] = new("reviewer", 0, 1, 0, 1, 1, 1),
        };
        var batch = new SignalLabeler(new MiningOptions(), new KeywordScorer()).Label(
            [E(Served("r1"), 0, user: "owner"), E(new ReactionSet("r1", Reaction.Dislike, 9_000), 9, user: "reviewer")], profiles, new PopulationRates(0.6, 0.5), Later);
        var label = Assert.Single(batch.Labels);
        Assert.Equal(1, label.DislikeWeight);
        Assert.DoesNotContain(batch.Decisions, d => d.Rule == "base_rate");
        Assert.Contains(batch.Decisions, d => d.Rule == "kept" && d.UserId == "reviewer" && d.Reason.Contains("1 reactions over 0 served", StringComparison.Ordinal));
    }

    [Fact]
    public void BaseRate_ReactorWithoutAProfile_IsNotJudgedByTheOwnersHistory()
    {
        var profiles = new Dictionary<string, UserProfile> { ["owner"] = new("owner", 100, 95, 95, 0, 1, 2) };
        var batch = Run([E(Served("r1"), 0, user: "owner"), E(new ReactionSet("r1", Reaction.Love, 9_000), 9, user: "stranger")], profiles: profiles);
        Assert.Equal(1, Assert.Single(batch.Labels).LoveWeight);
        Assert.DoesNotContain(batch.Decisions, d => d.Rule == "base_rate");
    }

    [Fact]
    public void BaseRate_BelowTheMinimumHistory_IsNotReweighted_AtTheMinimumItIs()
    {
        var options = new MiningOptions { Denoising = new DenoisingOptions { BaseRateMinReactions = 20, BaseRateMinServed = 20 } };
        var few = Run([E(Served("r1"), 0, user: "lover"), E(new ReactionSet("r1", Reaction.Love, 9_000), 9, user: "lover")], options,
            new() { ["lover"] = new("lover", 19, 19, 19, 0, 1, 1) });
        Assert.Equal(1, Assert.Single(few.Labels).LoveWeight);
        var enough = Run([E(Served("r1"), 0, user: "lover"), E(new ReactionSet("r1", Reaction.Love, 9_000), 9, user: "lover")], options,
            new() { ["lover"] = new("lover", 20, 20, 20, 0, 1, 1) });
        Assert.True(Assert.Single(enough.Labels).LoveWeight < 1);
    }

    [Fact]
    public void BaseRate_Reason_QuotesTheCountsAndRates()
    {
        var profiles = new Dictionary<string, UserProfile> { ["lover"] = new("lover", 100, 90, 90, 0, 0.9, 2) };
        var batch = Run([E(Served("r1"), 0, user: "lover"), E(new ReactionSet("r1", Reaction.Love, 9_000), 9, user: "lover")], profiles: profiles);
        var decision = Assert.Single(batch.Decisions, d => d.Rule == "base_rate");
        Assert.Contains("love to 90 of 100 responses served", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("90.0 %", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("10.0 % for all users", decision.Reason, StringComparison.Ordinal);
        Assert.Contains($"weight {decision.Weight:F2}", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evidence_AddsUpEveryDistinctUsersSignals_ScoreCountsLoveOnce()
    {
        var events = new List<StoredEvent> { E(Served("r1"), 0, user: "owner") };
        events.AddRange(Enumerable.Range(0, 3).Select(i => E(new ReactionSet("r1", Reaction.Love, 9_000), 900 * (i + 1), user: $"fan{i}")));
        events.Add(E(new ReactionSet("r1", Reaction.Dislike, 9_000), 900 * 4, user: "critic"));
        var label = Assert.Single(Run(events).Labels);
        Assert.Equal(3, label.PositiveEvidence);
        Assert.Equal(1, label.NegativeEvidence);
        Assert.Equal(0, label.Score);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void DenoisingOptions_ARuleThatWouldActOnOneObservation_IsRefused(int minimum)
    {
        Assert.Contains(nameof(DenoisingOptions.BaseRateMinReactions), new DenoisingOptions { BaseRateMinReactions = minimum }.Validate(), StringComparison.Ordinal);
        Assert.Contains(nameof(DenoisingOptions.BaseRateMinServed), new DenoisingOptions { BaseRateMinServed = minimum }.Validate(), StringComparison.Ordinal);
        Assert.Contains(nameof(DenoisingOptions.BotMinReactions), new DenoisingOptions { BotMinReactions = minimum }.Validate(), StringComparison.Ordinal);
        Assert.Null(new DenoisingOptions().Validate());
    }

    [Fact]
    public void DenoisingOff_KeepsEverySignalWithWeightOne()
    {
        var options = new MiningOptions { Denoising = new DenoisingOptions { Enabled = false } };
        var batch = Run([E(Served("r1"), 0), E(new ReactionSet("r1", Reaction.Love, 100), 0.1)], options, new() { ["u1"] = new("u1", 10, 10, 10, 0, 1, 1) });
        var label = Assert.Single(batch.Labels);
        Assert.True(label.Love);
        Assert.Equal(1, label.LoveWeight);
    }

    [Fact]
    public void UnsettledResponse_IsPending_SettledOneIsLabelled()
    {
        var events = new[] { E(Served("r1"), 0), E(new ReactionSet("r1", Reaction.Love, 9_000), 9) };
        var early = Run(events, now: T0.AddMinutes(2));
        Assert.Empty(early.Labels);
        Assert.Equal(1, early.PendingResponses);
        Assert.Single(Run(events, now: T0.AddMinutes(11)).Labels);
    }

    [Fact]
    public void ArrivalOrder_DoesNotChangeTheResult_ReactionBeforeItsResponse()
    {
        var events = new[]
        {
            E(Served("r1"), 0), E(new ReactionSet("r1", Reaction.Love, 9_000), 9), E(new FollowupSent("r1", "thanks!", 20_000), 20),
            E(new ResponseAction("r1", ActionKind.Copy, null, 15_000), 15), E(Served("r2", regeneratedFrom: "r1"), 30),
        };
        var forward = Run(events);
        var reversed = Run(events.Reverse().Select((e, i) => e with { IngestedAt = T0.AddSeconds(100 + i) }));
        Assert.Equal(forward.Labels.Select(l => (l.LabelId, l.Score, l.Love)), reversed.Labels.Select(l => (l.LabelId, l.Score, l.Love)));
        Assert.Equal(0, forward.OrphanSignals);
    }

    [Fact]
    public void SignalsForAResponseNeverServed_AreCountedAsOrphans()
    {
        var batch = Run([E(new ReactionSet("ghost", Reaction.Love, 9_000), 9)]);
        Assert.Empty(batch.Labels);
        Assert.Equal(1, batch.OrphanSignals);
    }

    [Fact]
    public void Followups_AddTheirPolarityToTheScore()
    {
        var batch = Run([E(Served("r1"), 0), E(new FollowupSent("r1", "that's wrong", 20_000), 20), E(Served("r2"), 0, conversation: "c2"), E(new FollowupSent("r2", "thanks, works", 20_000), 20, conversation: "c2")]);
        Assert.Equal("dsat", batch.Labels.Single(l => l.ResponseId == "r1").FollowupPolarity);
        Assert.True(batch.Labels.Single(l => l.ResponseId == "r1").Score < 0);
        Assert.True(batch.Labels.Single(l => l.ResponseId == "r2").Score > 0);
    }

    [Fact]
    public void Regeneration_ThenLoveOnTheNewCandidate_PrefersTheNewCandidate()
    {
        var batch = Run([
            E(Served("r1"), 0), E(new ResponseAction("r1", ActionKind.Regenerate, null, 5_000), 5),
            E(Served("r1b", regeneratedFrom: "r1"), 6), E(new ReactionSet("r1b", Reaction.Love, 9_000), 15)]);
        var pair = Assert.Single(batch.Pairs);
        Assert.Equal(PairSources.Regeneration, pair.Source);
        Assert.Equal("r1b", pair.ChosenResponseId);
        Assert.Equal("r1", pair.RejectedResponseId);
        Assert.Contains(pair.EvidenceEventIds, id => batch.Labels.Single(l => l.ResponseId == "r1b").EvidenceEventIds.Contains(id));
    }

    [Fact]
    public void Edit_PrefersTheUsersTextOverTheResponse()
    {
        var batch = Run([E(Served("r1"), 0), E(new ResponseAction("r1", ActionKind.Edit, "a better answer", 30_000), 30)]);
        var pair = Assert.Single(batch.Pairs);
        Assert.Equal(PairSources.Edit, pair.Source);
        Assert.Equal("a better answer", pair.ChosenText);
        Assert.Equal("r1", pair.RejectedResponseId);
    }

    [Fact]
    public void Recomputation_GivesTheSameIds()
    {
        var events = new[] { E(Served("r1"), 0), E(new ResponseAction("r1", ActionKind.Edit, "better", 30_000), 30) };
        var a = Run(events);
        var b = Run(events);
        Assert.Equal(a.Labels.Select(l => l.LabelId), b.Labels.Select(l => l.LabelId));
        Assert.Equal(a.Pairs.Select(p => p.PairId), b.Pairs.Select(p => p.PairId));
    }

    [Fact]
    public void LateEvent_IsCounted_AndTheLabelIsRecomputedWithIt()
    {
        var served = E(Served("r1"), 0);
        var late = new StoredEvent(FeedbackEvent.Create("late", "app", T0.AddSeconds(10), "u1", "c1", new ReactionSet("r1", Reaction.Love, 10_000)), T0.AddHours(1));
        var label = Assert.Single(Run([served, late], now: T0.AddHours(2)).Labels);
        Assert.True(label.Love);
        Assert.Equal(1, label.LateEvents);
    }
}
