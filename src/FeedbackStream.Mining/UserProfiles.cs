using FeedbackStream.Contracts;

namespace FeedbackStream.Mining;

/// <summary>
/// One cell of a user's activity: how many distinct events of one kind (a served response, or a reaction of one kind)
/// the user had in one minute. <see cref="UserProfiles.Build"/> makes these cells from events and folds them per user
/// (<see cref="UserProfiles.FromActivity"/>); the SQL adapter counts the same cells and folds them in the database, one
/// row of totals per user, which <see cref="UserProfiles.FromTotals"/> turns into the same profile.
/// </summary>
/// <param name="Reaction">The reaction kind, or null for a served response.</param>
/// <param name="Minute">Unix minute of occurred_at (seconds / 60).</param>
public readonly record struct UserActivity(string UserId, string? Reaction, long Minute, long Count);

/// <summary>Builds <see cref="UserProfile"/>s and <see cref="PopulationRates"/> by one set of definitions, from events or from activity cells.</summary>
public static class UserProfiles
{
    /// <summary>Below this many served responses an app's own rates are too noisy: <see cref="PopulationRates.Default"/> stands in.</summary>
    public const long MinServedForPopulation = 50;

    private static readonly string LoveName = Reaction.Love.ToWireName();
    private static readonly string DislikeName = Reaction.Dislike.ToWireName();

    public static (Dictionary<string, UserProfile> Profiles, PopulationRates Population) Build(IEnumerable<FeedbackEvent> events)
    {
        var activity = Activity(events).ToList();
        return (FromActivity(activity), Population(activity));
    }

    /// <summary>The activity cells of <paramref name="events"/>, each event counted once (by event_id).</summary>
    public static IEnumerable<UserActivity> Activity(IEnumerable<FeedbackEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var cells = new Dictionary<(string User, string? Reaction, long Minute), long>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!seen.Add(e.EventId))
            {
                continue;
            }

            (string User, string? Reaction, long Minute)? cell = e.Payload switch
            {
                ResponseServed => (e.UserId, null, 0),
                ReactionSet set => (e.UserId, set.Reaction.ToWireName(), e.OccurredAt.ToUnixTimeSeconds() / 60),
                _ => null,
            };
            if (cell is { } key)
            {
                cells[key] = cells.GetValueOrDefault(key) + 1;
            }
        }

        return cells.Select(c => new UserActivity(c.Key.User, c.Key.Reaction, c.Key.Minute, c.Value));
    }

    /// <summary>Profiles from activity cells: served and reaction counts, the dominant reaction's share and the busiest minute.</summary>
    public static Dictionary<string, UserProfile> FromActivity(IEnumerable<UserActivity> activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var profiles = new Dictionary<string, UserProfile>(StringComparer.Ordinal);
        foreach (var user in activity.GroupBy(a => a.UserId, StringComparer.Ordinal))
        {
            var reactions = user.Where(a => a.Reaction is not null).ToList();
            profiles[user.Key] = FromTotals(
                user.Key,
                user.Where(a => a.Reaction is null).Sum(a => a.Count),
                reactions.Sum(a => a.Count),
                reactions.Where(a => a.Reaction == LoveName).Sum(a => a.Count),
                reactions.Where(a => a.Reaction == DislikeName).Sum(a => a.Count),
                reactions.Count == 0 ? 0 : reactions.GroupBy(a => a.Reaction, StringComparer.Ordinal).Max(g => g.Sum(a => a.Count)),
                reactions.Count == 0 ? 0 : reactions.GroupBy(a => a.Minute).Max(g => g.Sum(a => a.Count)));
        }

        return profiles;
    }

    /// <summary>
    /// A profile from a user's totals over their activity cells: served responses, reactions (and of them loves and
    /// dislikes), the count of the user's most frequent reaction kind and of their busiest minute.
    /// </summary>
    public static UserProfile FromTotals(string userId, long served, long reactions, long loves, long dislikes, long dominantCount, long peakPerMinute) =>
        new(userId, served, reactions, loves, dislikes, reactions == 0 ? 0 : dominantCount / (double)reactions, reactions == 0 ? 0 : peakPerMinute);

    /// <summary>An app's love and dislike rates per served response, from all its users' activity.</summary>
    public static PopulationRates Population(IEnumerable<UserActivity> activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        long served = 0, loves = 0, dislikes = 0;
        foreach (var a in activity)
        {
            served += a.Reaction is null ? a.Count : 0;
            loves += a.Reaction == LoveName ? a.Count : 0;
            dislikes += a.Reaction == DislikeName ? a.Count : 0;
        }

        return Population(served, loves, dislikes);
    }

    /// <summary>Rates from totals, or <see cref="PopulationRates.Default"/> below <see cref="MinServedForPopulation"/> served responses.</summary>
    public static PopulationRates Population(long served, long loves, long dislikes) =>
        served < MinServedForPopulation ? PopulationRates.Default : new PopulationRates(loves / (double)served, dislikes / (double)served);
}
