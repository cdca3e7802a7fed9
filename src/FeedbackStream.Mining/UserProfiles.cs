using FeedbackStream.Contracts;

namespace FeedbackStream.Mining;

/// <summary>Builds <see cref="UserProfile"/>s and <see cref="PopulationRates"/> from events, by the same definitions the SQL adapter uses.</summary>
public static class UserProfiles
{
    public static (Dictionary<string, UserProfile> Profiles, PopulationRates Population) Build(IEnumerable<FeedbackEvent> events)
    {
        var served = new Dictionary<string, long>(StringComparer.Ordinal);
        var reactions = new Dictionary<string, List<(DateTimeOffset At, Reaction Reaction)>>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!seen.Add(e.EventId))
            {
                continue;
            }

            switch (e.Payload)
            {
                case ResponseServed:
                    served[e.UserId] = served.GetValueOrDefault(e.UserId) + 1;
                    break;
                case ReactionSet set:
                    if (!reactions.TryGetValue(e.UserId, out var list))
                    {
                        reactions[e.UserId] = list = [];
                    }

                    list.Add((e.OccurredAt, set.Reaction));
                    break;
            }
        }

        var profiles = new Dictionary<string, UserProfile>(StringComparer.Ordinal);
        foreach (var user in served.Keys.Union(reactions.Keys))
        {
            var list = reactions.GetValueOrDefault(user) ?? [];
            var dominant = list.Count == 0 ? 0 : list.GroupBy(r => r.Reaction).Max(g => g.Count()) / (double)list.Count;
            var peak = list.Count == 0 ? 0 : list.GroupBy(r => r.At.ToUnixTimeSeconds() / 60).Max(g => g.LongCount());
            profiles[user] = new UserProfile(
                user,
                served.GetValueOrDefault(user),
                list.Count,
                list.LongCount(r => r.Reaction == Reaction.Love),
                list.LongCount(r => r.Reaction == Reaction.Dislike),
                dominant,
                peak);
        }

        var totalServed = Math.Max(1, served.Values.Sum());
        var population = new PopulationRates(
            profiles.Values.Sum(p => p.Loves) / (double)totalServed,
            profiles.Values.Sum(p => p.Dislikes) / (double)totalServed);
        return (profiles, population);
    }
}
