using FeedbackStream.Contracts;

namespace FeedbackStream.Mining.Tests;

/// <summary>
/// The labeller's bookkeeping, driven by a fake clock and a pipeline whose store order the test controls. Each scenario
/// ends with every settled served response labelled with all its events, and the committed offset never passes a
/// conversation whose label is not written.
/// </summary>
public sealed class ConversationTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly SettlePolicy Policy = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));

    /// <summary>One partition's log, a pipeline that stores records when told, and a labeller loop over a tracker.</summary>
    private sealed class Harness
    {
        private readonly List<FeedbackEvent> _log = [];
        private readonly Dictionary<long, DateTimeOffset> _stored = [];
        private readonly MiningOptions _mining = new() { SettleWindow = Policy.Window, SettleGrace = Policy.Grace };

        public ConversationTracker Tracker { get; private set; } = New();

        public DateTimeOffset Now { get; set; } = T0;

        /// <summary>Label id -> the labels written for it, in order.</summary>
        public Dictionary<string, List<ResponseLabel>> Written { get; } = [];

        public long Append(FeedbackEvent e)
        {
            _log.Add(e);
            return _log.Count - 1;
        }

        /// <summary>The labeller consumes every record from <paramref name="from"/> on.</summary>
        public void Consume(long from = -1)
        {
            for (var offset = Math.Max(from, Tracker.CommitOffset(0) ?? 0); offset < _log.Count; offset++)
            {
                var e = _log[(int)offset];
                Tracker.Observe(0, offset, new ConversationKey(e.AppId, e.ConversationId), e.OccurredAt);
            }
        }

        /// <summary>The pipeline stores these offsets, stamped with <paramref name="ingestedAt"/> (which may run backwards).</summary>
        public void Store(IEnumerable<long> offsets, DateTimeOffset ingestedAt)
        {
            foreach (var offset in offsets)
            {
                _stored[offset] = ingestedAt;
            }
        }

        /// <summary>What pipeline_progress says: the highest offset below which everything is stored.</summary>
        public Dictionary<int, long> StoredThrough()
        {
            long through = -1;
            while (_stored.ContainsKey(through + 1))
            {
                through++;
            }

            return new Dictionary<int, long> { [0] = through };
        }

        public int Pass()
        {
            var due = Tracker.Due(Now, StoredThrough(), 1000, out _);
            var keys = due.Select(d => d.Key).ToHashSet();
            var events = _stored.Where(s => keys.Contains(new ConversationKey(_log[(int)s.Key].AppId, _log[(int)s.Key].ConversationId)))
                .Select(s => new StoredEvent(_log[(int)s.Key], s.Value)).ToList();
            var batch = new SignalLabeler(_mining, new KeywordScorer()).Label(events, new Dictionary<string, UserProfile>(), PopulationRates.Default, Now);
            foreach (var label in batch.Labels)
            {
                if (!Written.TryGetValue(label.LabelId, out var list))
                {
                    Written[label.LabelId] = list = [];
                }

                list.Add(label);
            }

            foreach (var conversation in due)
            {
                var pending = batch.Pending.Where(p => p.AppId == conversation.Key.AppId && p.ConversationId == conversation.Key.ConversationId).ToList();
                if (pending.Count > 0)
                {
                    Tracker.Deferred(conversation, pending.Min(p => p.DueAt));
                }
                else
                {
                    Tracker.Completed(conversation);
                }
            }

            return batch.Labels.Count;
        }

        /// <summary>A new owner (restart or rebalance) with empty memory, consuming from the committed offset.</summary>
        public void Handover()
        {
            var committed = Tracker.CommitOffset(0) ?? 0;
            Tracker.Revoke(0);
            Tracker = New();
            Tracker.Assign(0);
            Consume(committed);
        }

        /// <summary>The current label of a response reflects every event of it (its last activity).</summary>
        public ResponseLabel Current(string app, string responseId)
        {
            var label = Written[Ids.Of("label", app, responseId)][^1];
            var last = _log.Where(e => e.AppId == app && e.Payload.ResponseId() == responseId).Max(e => e.OccurredAt);
            Assert.Equal(last, label.LastSignalAt);
            return label;
        }

        private static ConversationTracker New()
        {
            var tracker = new ConversationTracker(Policy);
            tracker.Assign(0);
            return tracker;
        }
    }

    private static FeedbackEvent Served(string conversation, string response, DateTimeOffset at, string app = "app") =>
        FeedbackEvent.Create($"{app}-{response}-served", app, at, "u1", conversation, new ResponseServed(response, 0, new string('x', 200), "m1", PromptText: "why?"));

    private static FeedbackEvent Love(string conversation, string response, DateTimeOffset at, string id, string app = "app") =>
        FeedbackEvent.Create(id, app, at, "u1", conversation, new ReactionSet(response, Reaction.Love, 20_000));

    [Fact]
    public void RecordStoredAfterThePassCapturedItsClock_WaitsForThePipeline_ThenIsLabelled()
    {
        var h = new Harness();
        var served = h.Append(Served("c1", "r1", T0));
        var love = h.Append(Love("c1", "r1", T0.AddSeconds(20), "l1"));
        h.Consume();
        h.Store([served], T0.AddSeconds(21));
        h.Now = T0.AddSeconds(40);

        // Due by its settle window, but its newest record is not stored yet: not labelled from half the data.
        Assert.Equal(0, h.Pass());
        Assert.Equal(0, h.Tracker.CommitOffset(0));

        h.Store([love], T0.AddSeconds(41));
        Assert.Equal(1, h.Pass());
        Assert.True(h.Current("app", "r1").Love);
        Assert.Equal(2, h.Tracker.CommitOffset(0));
    }

    [Fact]
    public void InsertsCommittedOutOfStampOrder_AndMillisecondTies_LoseNothing()
    {
        var h = new Harness();
        for (var i = 0; i < 6; i++)
        {
            h.Append(Served($"c{i}", $"r{i}", T0.AddSeconds(i)));
            h.Append(Love($"c{i}", $"r{i}", T0.AddSeconds(i + 15), $"l{i}"));
        }

        h.Consume();
        // The later batch carries the earlier stamp, and two batches share one millisecond.
        h.Store([6, 7, 8, 9, 10, 11], T0.AddSeconds(30));
        h.Now = T0.AddSeconds(60);
        Assert.Equal(0, h.Pass());
        h.Store([0, 1, 2], T0.AddSeconds(29));
        h.Store([3, 4, 5], T0.AddSeconds(29));
        Assert.Equal(6, h.Pass());
        for (var i = 0; i < 6; i++)
        {
            Assert.True(h.Current("app", $"r{i}").Love);
            Assert.Single(h.Written[Ids.Of("label", "app", $"r{i}")]);
        }
    }

    [Fact]
    public void LateEventAfterTheHorizonPassed_RelabelsTheResponse_AndIsCountedLate()
    {
        var h = new Harness();
        h.Append(Served("c1", "r1", T0));
        h.Consume();
        h.Store([0], T0);
        h.Now = T0.AddMinutes(5);
        Assert.Equal(1, h.Pass());
        Assert.False(h.Current("app", "r1").Love);
        Assert.Equal(1, h.Tracker.CommitOffset(0));

        // A love that happened long ago arrives now: the conversation is due at once and labelled again.
        h.Append(Love("c1", "r1", T0.AddSeconds(30), "late"));
        h.Consume();
        h.Store([1], h.Now);
        Assert.Equal(1, h.Pass());
        var label = h.Current("app", "r1");
        Assert.True(label.Love);
        Assert.Equal(1, label.LateEvents);
        Assert.Equal(2, h.Written[label.LabelId].Count);
    }

    [Fact]
    public void OlderRecordWithLaterActivity_DefersTheConversation_UntilItSettles()
    {
        var h = new Harness();
        h.Append(Served("c1", "r1", T0));
        h.Append(Love("c1", "r1", T0.AddSeconds(50), "l1"));
        h.Consume();
        h.Store([0, 1], T0.AddSeconds(51));
        h.Now = T0.AddSeconds(55);
        Assert.Equal(0, h.Pass());
        Assert.Equal(0, h.Tracker.CommitOffset(0));
        h.Now = T0.AddSeconds(61);
        Assert.Equal(1, h.Pass());
        Assert.True(h.Current("app", "r1").Love);
    }

    [Fact]
    public void RebalanceMidStream_NewOwnerRebuildsFromTheCommittedOffset_EveryResponseLabelled()
    {
        var h = new Harness();
        for (var i = 0; i < 10; i++)
        {
            h.Append(Served($"c{i}", $"r{i}", T0.AddSeconds(i * 5)));
            h.Append(Love($"c{i}", $"r{i}", T0.AddSeconds((i * 5) + 20), $"l{i}"));
        }

        h.Consume();
        h.Store(Enumerable.Range(0, 20).Select(i => (long)i), T0.AddSeconds(70));
        h.Now = T0.AddSeconds(50);
        var first = h.Pass();
        Assert.InRange(first, 1, 9);
        var committed = h.Tracker.CommitOffset(0);

        // The partition moves: the old owner commits up to its labels; the new one re-consumes from there.
        h.Handover();
        Assert.Equal(committed, h.Tracker.CommitOffset(0));
        h.Now = T0.AddSeconds(120);
        h.Pass();
        for (var i = 0; i < 10; i++)
        {
            Assert.True(h.Current("app", $"r{i}").Love);
        }

        Assert.Equal(20, h.Tracker.CommitOffset(0));
        Assert.Equal(0, h.Tracker.PendingCount);
    }

    [Fact]
    public void CommitOffset_StaysAtTheOldestUnlabelledRecord_AndUndecodableRecordsAdvanceIt()
    {
        var tracker = new ConversationTracker(Policy);
        tracker.Assign(3);
        Assert.Null(tracker.CommitOffset(3));
        tracker.Skip(3, 0);
        Assert.Equal(1, tracker.CommitOffset(3));
        tracker.Observe(3, 1, new ConversationKey("a", "c1"), T0);
        tracker.Observe(3, 2, new ConversationKey("a", "c2"), T0);
        tracker.Skip(3, 3);
        Assert.Equal(1, tracker.CommitOffset(3));
        var due = tracker.Due(T0.AddMinutes(1), new Dictionary<int, long> { [3] = 3 }, 10, out var waiting);
        Assert.Equal(0, waiting);
        tracker.Completed(due.Single(d => d.Key.ConversationId == "c1"));
        Assert.Equal(2, tracker.CommitOffset(3));
        tracker.Completed(due.Single(d => d.Key.ConversationId == "c2"));
        Assert.Equal(4, tracker.CommitOffset(3));
        Assert.Equal(T0.AddMinutes(1) - Policy.Window, tracker.LabelledThrough(3, T0.AddMinutes(1)));
    }

    [Fact]
    public void HeldEvents_StayWithinTheBound_AndAreReleasedWhenLabelledRevokedOrOverflowing()
    {
        var tracker = new ConversationTracker(Policy, maxEventsHeld: 3);
        tracker.Assign(0);
        tracker.Assign(1);
        var a = new ConversationKey("app", "a");
        var b = new ConversationKey("app", "b");
        var c = new ConversationKey("app", "c");
        tracker.Observe(0, 0, a, T0, Served("a", "ra", T0));
        tracker.Observe(0, 1, a, T0, Love("a", "ra", T0, "a-love"));
        tracker.Observe(1, 0, b, T0, Served("b", "rb", T0));
        Assert.Equal(3, tracker.EventsHeld);

        // Past the bound, the conversation that did not fit holds nothing (it is read back), the others keep theirs.
        tracker.Observe(1, 1, b, T0, Love("b", "rb", T0, "b-love"));
        tracker.Observe(0, 2, c, T0, Served("c", "rc", T0));
        var due = tracker.Due(T0.AddMinutes(1), new Dictionary<int, long> { [0] = 2, [1] = 1 }, 10, out _).ToDictionary(d => d.Key);
        Assert.Equal(["app-ra-served", "a-love"], due[a].Events!.Select(e => e.EventId));
        Assert.Null(due[b].Events);
        Assert.Equal(["app-rc-served"], due[c].Events!.Select(e => e.EventId));
        Assert.Equal(3, tracker.EventsHeld);

        // A record whose event the caller could not hold (no gateway stamp) releases the conversation's events.
        tracker.Observe(0, 3, c, T0);
        Assert.Null(tracker.Due(T0.AddMinutes(1), new Dictionary<int, long> { [0] = 3, [1] = 1 }, 10, out _).Single(d => d.Key == c).Events);
        Assert.Equal(2, tracker.EventsHeld);

        tracker.Completed(due[a]);
        Assert.Equal(0, tracker.EventsHeld);
        tracker.Observe(1, 2, new ConversationKey("app", "d"), T0, Served("d", "rd", T0));
        Assert.Equal(1, tracker.EventsHeld);
        tracker.Revoke(1);
        Assert.Equal(0, tracker.EventsHeld);
    }

    [Fact]
    public void AConversationThatFailsAlone_CountsItsFailedPasses_AndOnceReleased_NoLongerHoldsItsPartitionsOffset()
    {
        var tracker = new ConversationTracker(Policy);
        var poison = new ConversationKey("app", "poison");
        var next = new ConversationKey("app", "next");
        tracker.Observe(0, 0, poison, T0);
        tracker.Observe(0, 1, next, T0);
        var due = tracker.Due(T0.AddMinutes(1), new Dictionary<int, long> { [0] = 1 }, 10, out _).ToDictionary(d => d.Key);
        tracker.Completed(due[next]);
        Assert.Equal(0, tracker.CommitOffset(0));

        Assert.Equal(1, tracker.Failed(due[poison]));
        Assert.Equal(2, tracker.Failed(due[poison]));
        // A new record of the conversation keeps its count (the same pending conversation) and its first offset.
        tracker.Observe(0, 2, poison, T0.AddSeconds(1));
        var again = Assert.Single(tracker.Due(T0.AddMinutes(1), new Dictionary<int, long> { [0] = 2 }, 10, out _));
        Assert.Equal(poison, again.Key);
        Assert.Equal(3, tracker.Failed(again));
        Assert.Equal(0, tracker.CommitOffset(0));

        // Set aside (recorded by the caller): released, the offset passes all its records.
        tracker.Completed(again);
        Assert.Equal(3, tracker.CommitOffset(0));
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void ARecordConsumedWhileItsConversationIsLabelled_KeepsItPending_AndHoldsTheOffset_UntilALaterPassLabelsItWhole()
    {
        var tracker = new ConversationTracker(Policy, maxEventsHeld: 10);
        var key = new ConversationKey("app", "c");
        tracker.Observe(0, 0, key, T0, Served("c", "r", T0));
        var snapshot = Assert.Single(tracker.Due(T0.AddMinutes(1), new Dictionary<int, long> { [0] = 0 }, 10, out _));

        // The pass labels the snapshot while the consumer observes a love for the same response.
        tracker.Observe(0, 1, key, T0.AddSeconds(30), Love("c", "r", T0.AddSeconds(30), "c-love"));
        Assert.Equal(["app-r-served"], snapshot.Events!.Select(e => e.EventId));
        tracker.Completed(snapshot);
        Assert.Equal(1, tracker.PendingCount);
        Assert.Equal(0, tracker.CommitOffset(0));
        Assert.Equal(2, tracker.EventsHeld);

        // A deferral computed from the snapshot never pulls the conversation's own due time (its newest activity) earlier.
        tracker.Deferred(snapshot, T0.AddSeconds(5));
        Assert.Empty(tracker.Due(T0.AddSeconds(39), new Dictionary<int, long> { [0] = 1 }, 10, out _));

        var whole = Assert.Single(tracker.Due(T0.AddSeconds(40), new Dictionary<int, long> { [0] = 1 }, 10, out _));
        Assert.Equal(["app-r-served", "c-love"], whole.Events!.Select(e => e.EventId));
        tracker.Completed(whole);
        Assert.Equal(0, tracker.PendingCount);
        Assert.Equal(2, tracker.CommitOffset(0));
        Assert.Equal(0, tracker.EventsHeld);
    }

    [Fact]
    public void APassFinishingAfterItsPartitionWasRevokedAndAssignedAgain_MarksNothingDone()
    {
        var tracker = new ConversationTracker(Policy);
        var key = new ConversationKey("app", "c");
        tracker.Observe(0, 0, key, T0);
        var snapshot = Assert.Single(tracker.Due(T0.AddMinutes(1), new Dictionary<int, long> { [0] = 0 }, 10, out _));
        tracker.Revoke(0);
        tracker.Assign(0);
        tracker.Observe(0, 0, key, T0);

        tracker.Completed(snapshot);
        Assert.Equal(1, tracker.PendingCount);
        Assert.Equal(0, tracker.CommitOffset(0));
    }

    [Fact]
    public void SettlePolicy_IsTheOneClockRule()
    {
        Assert.False(Policy.IsSettled(T0, T0.AddSeconds(9.999)));
        Assert.True(Policy.IsSettled(T0, T0.AddSeconds(10)));
        Assert.Equal(T0.AddSeconds(10), Policy.DueAt(T0));
        Assert.Equal(T0.AddSeconds(-15), Policy.InvariantHorizon(T0));
    }
}
