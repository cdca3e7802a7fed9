using System.Collections.Concurrent;

namespace FeedbackStream.Gateway;

/// <summary>
/// Event ids this gateway recently got acknowledged by Kafka, so that a client's retry is answered "duplicate"
/// and not produced again. Bounded by count (oldest first out) and by age (expired ids are dropped, not only hidden). Best effort by design: another replica
/// or a restart does not know them; the ClickHouse tables, idempotent on event_id, are the guarantee.
/// </summary>
public sealed class RecentEventIds(int capacity, TimeSpan window, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _expiry = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private readonly Lock _dequeue = new();

    // ConcurrentDictionary.Count takes every lock of the dictionary; on the hot path the size is tracked here instead.
    private int _count;

    public int Count => Volatile.Read(ref _count);

    private static string Key(string appId, string eventId) => string.Concat(appId, "\u001f", eventId);

    public bool Contains(string appId, string eventId)
    {
        if (capacity == 0 || !_expiry.TryGetValue(Key(appId, eventId), out var expiry))
        {
            return false;
        }

        return expiry > time.GetTimestamp();
    }

    public void Add(string appId, string eventId)
    {
        if (capacity == 0)
        {
            return;
        }

        var key = Key(appId, eventId);
        var expiry = time.GetTimestamp() + (long)(window.TotalSeconds * time.TimestampFrequency);
        if (_expiry.TryAdd(key, expiry))
        {
            _order.Enqueue(key);
            Interlocked.Increment(ref _count);
        }
        else
        {
            _expiry[key] = expiry;
        }

        lock (_dequeue)
        {
            while (Volatile.Read(ref _count) > capacity && _order.TryDequeue(out var oldest))
            {
                if (_expiry.TryRemove(oldest, out _))
                {
                    Interlocked.Decrement(ref _count);
                }
            }

            RemoveExpiredLocked();
        }
    }

    /// <summary>
    /// Forgets the ids whose window has passed, oldest first. <see cref="Add"/> calls it; the owner also calls it on a
    /// timer, so that the memory of a burst is given back when the window has passed even if no event follows.
    /// </summary>
    public void RemoveExpired()
    {
        lock (_dequeue)
        {
            RemoveExpiredLocked();
        }
    }

    /// <summary>Only one thread dequeues at a time, so the id peeked at is the id dequeued.</summary>
    private void RemoveExpiredLocked()
    {
        var now = time.GetTimestamp();
        while (_order.TryPeek(out var oldest))
        {
            if (_expiry.TryGetValue(oldest, out var expiry) && expiry > now)
            {
                // Ids are queued in the order they were first accepted, so the rest expire later (a re-added id only later still).
                return;
            }

            if (!_order.TryDequeue(out var removed))
            {
                return;
            }

            if (_expiry.TryGetValue(removed, out var current) && current <= now && _expiry.TryRemove(removed, out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }
}
