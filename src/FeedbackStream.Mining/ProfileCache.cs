namespace FeedbackStream.Mining;

/// <summary>
/// User profiles a labeller read recently, per app and user. A chunk of conversations touches many users, and the same
/// users come back chunk after chunk; reading a profile aggregates the user's whole lookback, so re-reading it for every
/// chunk made the database's work grow with each user's history instead of with the chunk. A profile read within
/// <paramref name="refresh"/> is reused (a user with no activity is remembered as such). The labeller bounds
/// <paramref name="refresh"/> by the settle window: a conversation is labelled at least a settle window after its last
/// activity, so a profile read at most that long before the label still covers every event of the user up to the
/// conversation's last activity. Pure and bounded (at most <paramref name="maxUsers"/> entries); not thread-safe: one
/// caller at a time.
/// </summary>
public sealed class ProfileCache(TimeSpan refresh, int maxUsers = 200_000)
{
    private readonly Dictionary<(string App, string User), Entry> _byUser = [];

    /// <summary>Users whose profiles are held.</summary>
    public int Count => _byUser.Count;

    /// <summary>The users among <paramref name="users"/> of <paramref name="appId"/> whose profiles must be read at <paramref name="now"/>.</summary>
    public List<string> ToRead(string appId, IEnumerable<string> users, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(users);
        var read = new List<string>();
        foreach (var user in users.Distinct(StringComparer.Ordinal))
        {
            if (!(_byUser.TryGetValue((appId, user), out var entry) && Fresh(entry, now)))
            {
                read.Add(user);
            }
        }

        return read;
    }

    /// <summary>Profiles just read at <paramref name="now"/> for <paramref name="users"/>; a user absent from <paramref name="profiles"/> had no activity.</summary>
    public void Loaded(string appId, IEnumerable<string> users, IReadOnlyDictionary<string, UserProfile> profiles, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(profiles);
        if (refresh <= TimeSpan.Zero)
        {
            return;
        }

        foreach (var user in users)
        {
            if (_byUser.Count >= maxUsers && !_byUser.ContainsKey((appId, user)))
            {
                Evict(now);
            }

            _byUser[(appId, user)] = new Entry(profiles.GetValueOrDefault(user), now);
        }
    }

    /// <summary>The held profiles of <paramref name="users"/> of <paramref name="appId"/> (users without activity are left out).</summary>
    public Dictionary<string, UserProfile> For(string appId, IEnumerable<string> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        var profiles = new Dictionary<string, UserProfile>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            if (_byUser.TryGetValue((appId, user), out var entry) && entry.Profile is { } profile)
            {
                profiles[user] = profile;
            }
        }

        return profiles;
    }

    private bool Fresh(Entry entry, DateTimeOffset now) => now - entry.ReadAt < refresh;

    /// <summary>Drops the expired entries, or every entry when none has expired (the bound holds either way).</summary>
    private void Evict(DateTimeOffset now)
    {
        foreach (var key in _byUser.Where(p => !Fresh(p.Value, now)).Select(p => p.Key).ToList())
        {
            _byUser.Remove(key);
        }

        if (_byUser.Count >= maxUsers)
        {
            _byUser.Clear();
        }
    }

    private sealed record Entry(UserProfile? Profile, DateTimeOffset ReadAt);
}
