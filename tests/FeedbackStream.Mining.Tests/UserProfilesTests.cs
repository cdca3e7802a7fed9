using FeedbackStream.Contracts;

namespace FeedbackStream.Mining.Tests;

public sealed class UserProfilesTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static FeedbackEvent Served(string id, string user, int second) =>
        FeedbackEvent.Create(id, "app1", At.AddSeconds(second), user, "c-" + id, new ResponseServed("r-" + id, 0, "answer", "m1", PromptText: "q"));

    private static FeedbackEvent React(string id, string user, int second, Reaction reaction) =>
        FeedbackEvent.Create(id, "app1", At.AddSeconds(second), user, "c-" + id, new ReactionSet("r-" + id, reaction, 1000));

    [Fact]
    public void Profiles_CountEachEventOnce_TheDominantShare_AndTheBusiestMinute()
    {
        var events = new[]
        {
            Served("s1", "u1", 0), Served("s2", "u1", 5), Served("s2", "u1", 5),
            React("a", "u1", 10, Reaction.Love), React("b", "u1", 20, Reaction.Love), React("c", "u1", 70, Reaction.Dislike), React("c", "u1", 70, Reaction.Dislike),
            React("d", "u2", 0, Reaction.Like),
        };

        var (profiles, population) = UserProfiles.Build(events);

        Assert.Equal(new UserProfile("u1", 2, 3, 2, 1, 2 / 3.0, 2), profiles["u1"]);
        Assert.Equal(new UserProfile("u2", 0, 1, 0, 0, 1, 1), profiles["u2"]);
        Assert.Equal(PopulationRates.Default, population);
    }

    [Fact]
    public void ProfilesFromActivityCells_EqualTheProfilesFromEvents()
    {
        var events = Enumerable.Range(0, 300).Select(i => i % 3 == 0
            ? Served($"e{i}", $"u{i % 7}", i * 11)
            : React($"e{i}", $"u{i % 7}", i * 11, (Reaction)(i % 7))).ToList();

        var activity = UserProfiles.Activity(events).ToList();

        Assert.Equal(UserProfiles.Build(events).Profiles, UserProfiles.FromActivity(activity));
        Assert.True(activity.Count < events.Count, "cells group events by user, kind and minute");
    }

    [Fact]
    public void PopulationRates_NeedFiftyServedResponses()
    {
        Assert.Equal(PopulationRates.Default, UserProfiles.Population(49, 10, 5));
        Assert.Equal(new PopulationRates(0.2, 0.1), UserProfiles.Population(50, 10, 5));
    }
}
