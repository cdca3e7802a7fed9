using FeedbackStream.Contracts;

namespace FeedbackStream.Mining;

/// <summary>A conversation within a tenant: the unit a labeller owns (Kafka key = conversation_id).</summary>
public readonly record struct ConversationKey(string AppId, string ConversationId);

/// <summary>A conversation with events not yet reflected in a written label, in one owned partition.</summary>
public sealed class PendingConversation(ConversationKey key, int partition, long firstOffset)
{
    public ConversationKey Key { get; } = key;

    public int Partition { get; } = partition;

    /// <summary>Offset of the oldest record of this conversation not yet reflected in a written label: the partition's
    /// committed offset may not pass it.</summary>
    public long FirstOffset { get; } = firstOffset;

    /// <summary>Offset of the newest record seen: the conversation is labelled only once the pipeline stored it.</summary>
    public long LastOffset { get; internal set; } = firstOffset;

    /// <summary>Newest occurred_at seen (client clock, bounded by the gateway).</summary>
    public DateTimeOffset LastActivity { get; internal set; } = DateTimeOffset.MinValue;

    /// <summary>
    /// The events consumed for this conversation since it became pending, held so a pass can label it without reading
    /// them back; null when they are not all held (the tracker's memory bound was reached). Whether they are the
    /// conversation's whole history is for the caller to check against the store.
    /// </summary>
    public List<FeedbackEvent>? Events { get; internal set; }

    /// <summary>When the conversation is next worth labelling (<see cref="SettlePolicy.DueAt"/> of its newest activity,
    /// or of its earliest still-pending response after a pass).</summary>
    public DateTimeOffset DueAt { get; internal set; }

    /// <summary>Consecutive passes on which labelling this conversation alone failed (<see cref="ConversationTracker.Failed"/>).</summary>
    public int Failures { get; internal set; }

    /// <summary>Records observed so far: a pass that took a snapshot at an older version did not see them all.</summary>
    internal long Version { get; set; }
}

/// <summary>
/// A due conversation as a pass sees it: what the tracker held when the pass asked (<see cref="ConversationTracker.Due"/>).
/// Records consumed while the pass runs change the tracked conversation, not this snapshot, and keep the conversation
/// pending when the pass reports it done.
/// </summary>
public sealed class DueConversation
{
    internal DueConversation(PendingConversation conversation)
    {
        Conversation = conversation;
        Version = conversation.Version;
        Events = conversation.Events is { } events ? [.. events] : null;
        DueAt = conversation.DueAt;
        LastOffset = conversation.LastOffset;
    }

    public ConversationKey Key => Conversation.Key;

    public int Partition => Conversation.Partition;

    public long FirstOffset => Conversation.FirstOffset;

    /// <summary>Newest record seen when the snapshot was taken.</summary>
    public long LastOffset { get; }

    public DateTimeOffset DueAt { get; }

    /// <summary>The held events at the snapshot (a copy), or null when they were not all held.</summary>
    public IReadOnlyList<FeedbackEvent>? Events { get; }

    internal PendingConversation Conversation { get; }

    internal long Version { get; }
}

/// <summary>
/// Which conversations an owner of Kafka partitions still has to label, and how far each partition's offset may be
/// committed: never past the first record of a conversation whose label is not written yet. Pure (no I/O, no clock of
/// its own), so ownership, rebalances and restarts are unit-tested. Thread-safe: the labeller's consumer observes records
/// while a pass labels a snapshot of the due conversations (<see cref="DueConversation"/>); a conversation that gained a
/// record after its snapshot stays pending when the pass reports it done. It holds at most
/// <paramref name="maxEventsHeld"/> consumed events of pending conversations (0: none); a conversation whose events do
/// not all fit is read back from the store when it is labelled.
/// </summary>
public sealed class ConversationTracker(SettlePolicy policy, int maxEventsHeld = 0)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, PartitionState> _partitions = [];
    private int _eventsHeld;

    /// <summary>The partitions tracked now (a copy).</summary>
    public IReadOnlyCollection<int> Partitions
    {
        get
        {
            lock (_gate)
            {
                return [.. _partitions.Keys];
            }
        }
    }

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _partitions.Values.Sum(p => p.Pending.Count);
            }
        }
    }

    /// <summary>Consumed events held in memory for pending conversations.</summary>
    public int EventsHeld
    {
        get
        {
            lock (_gate)
            {
                return _eventsHeld;
            }
        }
    }

    /// <summary>Starts tracking a partition newly owned; its pending work is rebuilt by consuming from the committed offset.</summary>
    public void Assign(int partition)
    {
        lock (_gate)
        {
            _partitions.TryAdd(partition, new PartitionState());
        }
    }

    /// <summary>Forgets a partition that moved to another owner (that owner re-consumes from the committed offset).</summary>
    public void Revoke(int partition)
    {
        lock (_gate)
        {
            if (_partitions.Remove(partition, out var state))
            {
                foreach (var conversation in state.Pending.Values)
                {
                    Release(conversation);
                }
            }
        }
    }

    /// <summary>A decodable record of <paramref name="key"/> at <paramref name="offset"/>, with its event when the caller wants it held.</summary>
    public void Observe(int partition, long offset, ConversationKey key, DateTimeOffset occurredAt, FeedbackEvent? @event = null)
    {
        lock (_gate)
        {
            var state = State(partition);
            state.Advance(offset);
            if (!state.Pending.TryGetValue(key, out var conversation))
            {
                state.Pending[key] = conversation = new PendingConversation(key, partition, offset) { Events = [] };
            }

            if (conversation.Events is not null)
            {
                if (@event is not null && _eventsHeld < maxEventsHeld)
                {
                    conversation.Events.Add(@event);
                    _eventsHeld++;
                }
                else
                {
                    Release(conversation);
                }
            }

            conversation.Version++;
            conversation.LastOffset = Math.Max(conversation.LastOffset, offset);
            if (occurredAt > conversation.LastActivity)
            {
                conversation.LastActivity = occurredAt;
            }

            conversation.DueAt = policy.DueAt(conversation.LastActivity);
        }
    }

    /// <summary>Whether any tracked conversation is due by the clock at <paramref name="now"/> (whatever the pipeline stored).</summary>
    public bool AnyDue(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _partitions.Values.Any(p => p.Pending.Values.Any(c => c.DueAt <= now));
        }
    }

    /// <summary>Whether <paramref name="key"/> has records this owner consumed and has not labelled yet.</summary>
    public bool IsPending(ConversationKey key)
    {
        lock (_gate)
        {
            return _partitions.Values.Any(p => p.Pending.ContainsKey(key));
        }
    }

    /// <summary>A record that needs no labelling (undecodable: the pipeline dead-letters it).</summary>
    public void Skip(int partition, long offset)
    {
        lock (_gate)
        {
            State(partition).Advance(offset);
        }
    }

    /// <summary>
    /// Snapshots of the conversations due at <paramref name="now"/> whose newest record the pipeline has stored
    /// (<paramref name="storedThrough"/> per partition), oldest due first, at most <paramref name="limit"/>.
    /// <paramref name="waiting"/> counts those due but not yet stored.
    /// </summary>
    public List<DueConversation> Due(DateTimeOffset now, IReadOnlyDictionary<int, long> storedThrough, int limit, out int waiting)
    {
        ArgumentNullException.ThrowIfNull(storedThrough);
        lock (_gate)
        {
            waiting = 0;
            var due = new List<PendingConversation>();
            foreach (var (partition, state) in _partitions)
            {
                var stored = storedThrough.TryGetValue(partition, out var through) ? through : -1;
                foreach (var conversation in state.Pending.Values)
                {
                    if (conversation.DueAt > now)
                    {
                        continue;
                    }

                    if (conversation.LastOffset > stored)
                    {
                        waiting++;
                        continue;
                    }

                    due.Add(conversation);
                }
            }

            return [.. due.OrderBy(c => c.DueAt).ThenBy(c => c.Partition).ThenBy(c => c.FirstOffset).Take(limit).Select(c => new DueConversation(c))];
        }
    }

    /// <summary>
    /// The conversation's labels, as of its snapshot, are written: it no longer holds its partition's offset back, unless
    /// it gained a record after the snapshot (it stays pending, due by its newest activity, and is labelled again whole).
    /// </summary>
    public void Completed(DueConversation due)
    {
        ArgumentNullException.ThrowIfNull(due);
        lock (_gate)
        {
            if (Current(due) is { } state && due.Conversation.Version == due.Version)
            {
                state.Pending.Remove(due.Key);
                Release(due.Conversation);
            }
        }
    }

    /// <summary>Some responses of the conversation have not settled (an older record carried later activity): look again at <paramref name="dueAt"/>.</summary>
    public void Deferred(DueConversation due, DateTimeOffset dueAt)
    {
        ArgumentNullException.ThrowIfNull(due);
        lock (_gate)
        {
            var conversation = due.Conversation;
            // A record observed since the snapshot set the conversation's own due time; the later of the two holds.
            conversation.DueAt = conversation.Version == due.Version || dueAt > conversation.DueAt ? dueAt : conversation.DueAt;
        }
    }

    /// <summary>
    /// Labelling the conversation alone failed on this pass: returns how many passes it has failed. The caller sets it
    /// aside (<see cref="Completed"/>, once that is recorded) when this reaches its limit, so it stops holding its
    /// partition back.
    /// </summary>
    public int Failed(DueConversation due)
    {
        ArgumentNullException.ThrowIfNull(due);
        lock (_gate)
        {
            return ++due.Conversation.Failures;
        }
    }

    /// <summary>The offset a partition may commit: its oldest unlabelled record, else the next record to consume; null when nothing was consumed.</summary>
    public long? CommitOffset(int partition)
    {
        lock (_gate)
        {
            if (!_partitions.TryGetValue(partition, out var state) || state.Next is null)
            {
                return null;
            }

            return state.Pending.Count == 0 ? state.Next : Math.Min(state.Next.Value, state.Pending.Values.Min(c => c.FirstOffset));
        }
    }

    /// <summary>
    /// The instant up to which every settled response of the partition is labelled, at <paramref name="now"/>: the
    /// settle horizon, or just before the oldest last activity still waiting.
    /// </summary>
    public DateTimeOffset LabelledThrough(int partition, DateTimeOffset now)
    {
        var horizon = now - policy.Window;
        lock (_gate)
        {
            if (!_partitions.TryGetValue(partition, out var state) || state.Pending.Count == 0)
            {
                return horizon;
            }

            var oldest = state.Pending.Values.Min(c => c.LastActivity);
            return oldest < horizon ? oldest - TimeSpan.FromMilliseconds(1) : horizon;
        }
    }

    /// <summary>The partition state that still tracks the snapshot's conversation (the same object: not revoked, not reassigned and rebuilt).</summary>
    private PartitionState? Current(DueConversation due) =>
        _partitions.TryGetValue(due.Partition, out var state) && state.Pending.TryGetValue(due.Key, out var current) && ReferenceEquals(current, due.Conversation)
            ? state
            : null;

    private void Release(PendingConversation conversation)
    {
        _eventsHeld -= conversation.Events?.Count ?? 0;
        conversation.Events = null;
    }

    private PartitionState State(int partition)
    {
        if (!_partitions.TryGetValue(partition, out var state))
        {
            _partitions[partition] = state = new PartitionState();
        }

        return state;
    }

    private sealed class PartitionState
    {
        public Dictionary<ConversationKey, PendingConversation> Pending { get; } = [];

        /// <summary>The next offset to consume (one past the newest record seen).</summary>
        public long? Next { get; private set; }

        public void Advance(long offset) => Next = Math.Max(Next ?? 0, offset + 1);
    }
}
