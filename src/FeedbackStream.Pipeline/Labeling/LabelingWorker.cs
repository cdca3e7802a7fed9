using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.ExceptionServices;
using Confluent.Kafka;
using FeedbackStream.Contracts;
using FeedbackStream.Contracts.Telemetry;
using FeedbackStream.Kafka;
using FeedbackStream.Mining;
using FeedbackStream.Storage;
using FeedbackStream.Storage.Labels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Pipeline.Labeling;

/// <summary>Labeller settings (configuration section <c>Labeling</c>).</summary>
public sealed class LabelingOptions
{
    public const string SectionName = "Labeling";

    public bool Enabled { get; set; } = true;

    /// <summary>Kafka consumer group of the labellers: run more labeller processes with the same group to scale out (one per partition at most).</summary>
    [Required]
    public string ConsumerGroup { get; set; } = "feedbackstream-labeler";

    /// <summary>How often the labeller labels the conversations that became due and stores its offsets.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the reconciliation sweep looks for settled responses without a current label in the owned partitions.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most responses one sweep repairs.</summary>
    [Range(1, 1_000_000)]
    public int SweepLimit { get; set; } = 10_000;

    /// <summary>How often the labelled-through instant of each owned partition is recorded (training runs pin their snapshot to it).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>History behind user profiles (bots, spam, base rates).</summary>
    public TimeSpan ProfileLookback { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long an app's population rates (love and dislike per served response, the base-rate rule's reference) are reused before they are read again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PopulationRefresh { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the sibling candidates of a popular prompt (its highest and lowest scored labels) are reused, with this labeller's own labels added, before they are read again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SiblingRefresh { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a user profile read for one chunk is reused for the next chunks (0: read for every chunk). The labeller
    /// never reuses one longer than <c>Mining:SettleWindow</c>, so a profile still covers the user's events up to the
    /// last activity of the conversation being labelled.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ProfileRefresh { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Conversations loaded per query.</summary>
    [Range(1, 100_000)]
    public int ConversationsPerChunk { get; set; } = 2000;

    /// <summary>Most conversations one pass labels (the rest wait for the next pass, oldest first).</summary>
    [Range(1, 10_000_000)]
    public int ConversationsPerPass { get; set; } = 20_000;

    /// <summary>
    /// Most consumed events held in memory for conversations waiting to be labelled (0: none). A conversation whose
    /// held events are all it has stored is labelled from them; any other is read back from ClickHouse.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxEventsHeld { get; set; } = 200_000;

    /// <summary>
    /// Passes on which a conversation must fail alone (its chunk split down to it, the store answering) before the
    /// labeller sets it aside in <c>labeling_set_aside</c> and lets its partition's offset move past it.
    /// </summary>
    [Range(1, 1000)]
    public int AttemptsBeforeSetAside { get; set; } = 3;

    /// <summary>
    /// Consumption pauses while this many conversations are pending (waiting for their settle window or a pass) and
    /// resumes below it, so a labeller catching up on a long backlog holds a bounded set in memory. In steady state the
    /// pending set is about the conversations active within the settle window.
    /// </summary>
    [Range(1, 100_000_000)]
    public int MaxPendingConversations { get; set; } = 500_000;

    /// <summary>Kafka session timeout of the labeller's consumer: how soon the group notices a dead labeller.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Counters a caller (health endpoint, demo, tests, benchmarks) can read while the labeller runs.</summary>
public sealed class LabelingStatus
{
    private long _passes;
    private long _conversations;
    private long _labels;
    private long _decisions;
    private long _pairs;
    private long _repaired;
    private long _records;
    private long _fromMemory;
    private long _readBack;
    private long _profilesReused;
    private long _profilesRead;
    private long _setAside;
    private long _sweeps;

    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Kafka records consumed (decodable or not).</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Conversations labelled (a conversation labelled again after a new event counts again).</summary>
    public long ConversationsLabelled => Interlocked.Read(ref _conversations);

    public long LabelsWritten => Interlocked.Read(ref _labels);

    /// <summary>Conversations labelled from the events the labeller held (no read of their rows).</summary>
    public long ConversationsFromMemory => Interlocked.Read(ref _fromMemory);

    /// <summary>Conversations whose events were read back from ClickHouse (history before the held events, a sweep, a restart).</summary>
    public long ConversationsReadBack => Interlocked.Read(ref _readBack);

    public long DecisionsWritten => Interlocked.Read(ref _decisions);

    /// <summary>User profiles taken from the labeller's memory (read for an earlier chunk within the profile refresh).</summary>
    public long ProfilesReused => Interlocked.Read(ref _profilesReused);

    /// <summary>User profiles read from ClickHouse.</summary>
    public long ProfilesRead => Interlocked.Read(ref _profilesRead);

    public long PairsWritten => Interlocked.Read(ref _pairs);

    /// <summary>Labels written by the reconciliation sweep (each one a violation it repaired).</summary>
    public long LabelsRepaired => Interlocked.Read(ref _repaired);

    /// <summary>Conversations set aside after failing alone on <see cref="LabelingOptions.AttemptsBeforeSetAside"/> passes (<c>labeling_set_aside</c>).</summary>
    public long ConversationsSetAside => Interlocked.Read(ref _setAside);

    /// <summary>Sweeps that ran to the end.</summary>
    public long Sweeps => Interlocked.Read(ref _sweeps);

    /// <summary>Stored event rows skipped because no event could be rebuilt from them (written around the pipeline with a malformed payload).</summary>
    public long UnreadableRows { get; internal set; }

    /// <summary>Conversations waiting for their settle window, in owned partitions.</summary>
    public int Pending { get; internal set; }

    /// <summary>Whether consumption is paused because <see cref="LabelingOptions.MaxPendingConversations"/> are pending.</summary>
    public bool Paused { get; internal set; }

    /// <summary>Conversations due whose newest record the pipeline has not stored yet.</summary>
    public int WaitingForPipeline { get; internal set; }

    public IReadOnlyList<int> Partitions { get; internal set; } = [];

    public DateTimeOffset? LastPassAt { get; internal set; }

    /// <summary>The last error of a pass or sweep, cleared by the next successful pass.</summary>
    public string? LastError { get; internal set; }

    internal void AddRecords(long n) => Interlocked.Add(ref _records, n);

    internal void AddSetAside() => Interlocked.Increment(ref _setAside);

    internal void AddSweep() => Interlocked.Increment(ref _sweeps);

    internal void AddSources(int fromMemory, int readBack)
    {
        Interlocked.Add(ref _fromMemory, fromMemory);
        Interlocked.Add(ref _readBack, readBack);
    }

    internal void AddProfiles(int reused, int read)
    {
        Interlocked.Add(ref _profilesReused, reused);
        Interlocked.Add(ref _profilesRead, read);
    }

    internal void AddPass(int conversations, int labels, int decisions, int pairs, bool repair)
    {
        Interlocked.Increment(ref _passes);
        Interlocked.Add(ref _conversations, conversations);
        Interlocked.Add(ref _labels, labels);
        Interlocked.Add(ref _decisions, decisions);
        Interlocked.Add(ref _pairs, pairs);
        if (repair)
        {
            Interlocked.Add(ref _repaired, labels);
        }
    }
}

/// <summary>
/// The labeller: a Kafka consumer group of its own on the events topic (key = conversation_id, so a conversation
/// always belongs to the owner of its partition). It tracks the conversations of its partitions that have events not
/// yet reflected in a label; once a conversation is due by <see cref="SettlePolicy"/> and the pipeline has stored its
/// newest record, it reloads the conversation's whole history from ClickHouse (scoped by app), labels it with the pure
/// <see cref="SignalLabeler"/>, mines pairs, writes everything with deterministic ids, and only then lets the
/// partition's committed offset pass the conversation's first record. Nothing lives only in memory: a restart or a
/// rebalance re-consumes from the committed offset and rebuilds the pending set. A periodic reconciliation sweep
/// relabels any settled response of its partitions that has no current label (<see cref="LabelInvariant"/>).
/// One thread consumes, handles rebalances, stores offsets and sweeps; a pass runs beside it on a snapshot of the due
/// conversations, so consumption never waits for labelling. A conversation that gained a record during its pass, or
/// whose partition was revoked meanwhile, is not marked done by it (the tracker compares snapshots), so the offset
/// never passes a record no written label reflects.
/// </summary>
public sealed partial class LabelingWorker : BackgroundService
{
    private static readonly Meter Meter = new(TelemetryNames.LabelingMeter);
    private static readonly Counter<long> LabelsCounter = Meter.CreateCounter<long>(TelemetryNames.LabelsWritten, "{label}", "Labels written by labellers");
    private static readonly Counter<long> RepairedCounter = Meter.CreateCounter<long>(TelemetryNames.LabelsRepaired, "{label}", "Labels written by the reconciliation sweep (violations repaired)");
    private static readonly Counter<long> SetAsideCounter = Meter.CreateCounter<long>(TelemetryNames.ConversationsSetAside, "{conversation}", "Conversations a labeller could not label and set aside (labeling_set_aside)");
    private static readonly Counter<long> PairsCounter = Meter.CreateCounter<long>(TelemetryNames.PairsWritten, "{pair}", "Preference pairs written by labellers");
    private static readonly Histogram<double> LabelLag = Meter.CreateHistogram(
        TelemetryNames.LabelLag,
        "s",
        "From the moment a conversation was due to be labelled to its labels being written.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });

    private readonly LabelRepository _store;
    private readonly LabelInvariant _invariant;
    private readonly PipelineProgress _progress;
    private readonly IFollowupScorer _followups;
    private readonly MiningOptions _mining;
    private readonly LabelingOptions _options;
    private readonly KafkaOptions _kafka;
    private readonly TimeProvider _time;
    private readonly ILogger<LabelingWorker> _logger;
    private readonly SettlePolicy _policy;
    private readonly ConversationTracker _tracker;
    private readonly RecordDecoder _decoder = new(1024);
    private readonly Dictionary<string, (PopulationRates Rates, DateTimeOffset ReadAt)> _population = new(StringComparer.Ordinal);
    /// <summary>Most chunk halves one pass labels while it splits a failed chunk down to the conversations that fail alone.</summary>
    private const int IsolationSteps = 64;

    /// <summary>Longest wait for a record while a pass runs: how soon the loop notices the pass ended.</summary>
    private static readonly TimeSpan PassPollInterval = TimeSpan.FromMilliseconds(5);

    private readonly SiblingCandidates _siblings;
    private readonly ProfileCache _profiles;

    /// <summary>Conversations a sweep failed to label alone, with how many sweeps in a row (the consume thread's alone).</summary>
    private readonly Dictionary<ConversationKey, int> _sweepFailures = [];
    private DateTimeOffset _progressWrittenAt = DateTimeOffset.MinValue;
    private volatile IReadOnlyList<(int Partition, long Lag)> _lag = [];
    private bool _paused;

    public LabelingWorker(
        LabelRepository store, LabelInvariant invariant, PipelineProgress progress, IFollowupScorer followups, IOptions<MiningOptions> mining,
        IOptions<LabelingOptions> options, IOptions<KafkaOptions> kafka, LabelingStatus status, TimeProvider time, ILogger<LabelingWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(mining);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(kafka);
        _store = store;
        _invariant = invariant;
        _progress = progress;
        _followups = followups;
        _mining = mining.Value;
        _options = options.Value;
        _kafka = kafka.Value;
        _time = time;
        _logger = logger;
        _policy = SettlePolicy.From(_mining);
        _tracker = new ConversationTracker(_policy, _options.MaxEventsHeld);
        _siblings = new SiblingCandidates(_options.SiblingRefresh);
        _profiles = new ProfileCache(_options.ProfileRefresh < _mining.SettleWindow ? _options.ProfileRefresh : _mining.SettleWindow);
        Status = status;
    }

    public LabelingStatus Status { get; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        !_options.Enabled
            ? Task.CompletedTask
            : Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        // The pipeline's consumer settings (offsets stored by hand, committed every second, cooperative rebalancing,
        // short fetch waits), with the labeller's own session timeout.
        var config = _kafka.CreateConsumerConfig(_options.ConsumerGroup, c =>
        {
            PipelineWorker.ConsumerDefaults(c);
            c.SessionTimeoutMs = (int)_options.SessionTimeout.TotalMilliseconds;
        });
        using var consumer = new ConsumerBuilder<string?, byte[]>(config)
            .SetKeyDeserializer(Deserializers.Utf8!)
            .SetValueDeserializer(Deserializers.ByteArray)
            .SetErrorHandler((_, error) => LogConsumerError(error.Code, error.Reason, error.IsFatal))
            .SetLogHandler((_, _) => { })
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                foreach (var p in partitions)
                {
                    _tracker.Assign(p.Partition.Value);
                }

                Status.Partitions = [.. _tracker.Partitions.Order()];
                LogAssigned(string.Join(",", partitions.Select(p => p.Partition.Value)));
            })
            .SetPartitionsRevokedHandler((c, partitions) =>
            {
                // Hand over cleanly: commit how far this owner's labels reach, then forget; the next owner re-consumes
                // from there and rebuilds the pending conversations.
                var offsets = partitions.Select(p => (p, Offset: _tracker.CommitOffset(p.Partition.Value)))
                    .Where(x => x.Offset is not null)
                    .Select(x => new TopicPartitionOffset(x.p.TopicPartition, new Offset(x.Offset!.Value)))
                    .ToList();
                TryCommit(c, offsets);
                foreach (var p in partitions)
                {
                    _tracker.Revoke(p.Partition.Value);
                }

                Status.Partitions = [.. _tracker.Partitions.Order()];
                LogRevoked(string.Join(",", partitions.Select(p => p.Partition.Value)));
            })
            .SetPartitionsLostHandler((_, partitions) =>
            {
                foreach (var p in partitions)
                {
                    _tracker.Revoke(p.Partition.Value);
                }

                Status.Partitions = [.. _tracker.Partitions.Order()];
                LogLost(string.Join(",", partitions.Select(p => p.Partition.Value)));
            })
            .Build();

        var clock = Stopwatch.StartNew();
        var nextPass = TimeSpan.Zero;
        var nextSweep = _options.SweepInterval;
        var nextLag = TimeSpan.Zero;
        var consumedSincePass = 0;
        Task? pass = null;
        var nextBoundCheck = TimeSpan.Zero;
        PipelineTelemetry.TrackLag(this, _kafka.Topic, _options.ConsumerGroup, () => _lag);
        try
        {
            consumer.Subscribe(_kafka.Topic);
            while (!stoppingToken.IsCancellationRequested)
            {
                if (clock.Elapsed >= nextLag)
                {
                    _lag = PipelineTelemetry.MeasureLag(consumer);
                    nextLag = clock.Elapsed + PipelineTelemetry.LagInterval;
                }

                if (clock.Elapsed >= nextBoundCheck)
                {
                    BoundPending(consumer);
                    nextBoundCheck = clock.Elapsed + TimeSpan.FromMilliseconds(50);
                }

                // While a pass runs, consumption goes on (short waits, so the pass's end is noticed soon); between passes
                // it waits at most until the next one is due.
                var wait = pass is not null ? PassPollInterval : nextPass - clock.Elapsed;
                var result = Consume(consumer, wait < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(Math.Max(0, wait.TotalMilliseconds)) : TimeSpan.FromMilliseconds(100));
                if (result is not null)
                {
                    Observe(result);
                    consumedSincePass++;
                }

                if (pass is not null)
                {
                    if (!pass.IsCompleted)
                    {
                        continue;
                    }

                    pass.GetAwaiter().GetResult();
                    pass = null;
                    StoreOffsets(consumer);
                    if (clock.Elapsed >= nextSweep)
                    {
                        // On this thread, with no pass running: the sweep asks the consumer and shares the pass's caches.
                        _ = RunGuarded(() => SweepAsync(consumer, stoppingToken), "sweep");
                        nextSweep = clock.Elapsed + _options.SweepInterval;
                    }

                    // Counted from the end of the pass: a slow pass is followed by a full interval, never by a pass per record.
                    nextPass = clock.Elapsed + _options.Interval;
                    continue;
                }

                if (clock.Elapsed < nextPass)
                {
                    continue;
                }

                var consumed = consumedSincePass;
                consumedSincePass = 0;
                pass = Task.Run(() => PassGuardedAsync(consumed, stoppingToken), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping mid-pass: what was not written is not marked done, and no offset moved past it.
        }
        catch (KafkaException e) when (e.Error.IsFatal)
        {
            LogConsumerError(e.Error.Code, e.Error.Reason, true);
            throw;
        }
        finally
        {
            if (pass is not null)
            {
                // Stopping: the pass ends at its next await; what it did not write is not marked done.
                try
                {
                    pass.GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                }
            }

            PipelineTelemetry.UntrackLag(this);
            StoreOffsets(consumer);
            TryCommit(consumer, null);
            consumer.Close();
        }
    }

    /// <summary>
    /// One labelling pass, recorded as the consumer's <c>process</c> operation (duration, and the records consumed since
    /// the previous pass as its batch) under the labeller's consumer group. Passes that had no new record and did not
    /// fail are not recorded: they are the idle ticks of the loop. A failure is logged and kept in the status; the next
    /// pass tries the conversations that were not done.
    /// </summary>
    private async Task PassGuardedAsync(int consumed, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        try
        {
            await PassAsync(stoppingToken);
            Status.LastError = null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            MessagingMetrics.Record("process", _kafka.Topic, consumed, Stopwatch.GetElapsedTime(started), "canceled", _options.ConsumerGroup);
            throw;
        }
        catch (Exception e)
        {
            // Any other failure, a client's time-out too, ends this pass only.
            Status.LastError = $"pass: {e.Message}";
            LogPassFailed("pass", e.Message);
            error = e.GetType().Name;
        }

        if (consumed > 0 || error is not null)
        {
            MessagingMetrics.Record("process", _kafka.Topic, consumed, Stopwatch.GetElapsedTime(started), error, _options.ConsumerGroup);
        }
    }

    /// <summary>
    /// Pauses the owned partitions while <see cref="LabelingOptions.MaxPendingConversations"/> are pending and resumes
    /// them below it. A paused consumer still polls, so the group keeps it and rebalances are served; partitions assigned
    /// while paused are paused at the next check (every 50 ms).
    /// </summary>
    private void BoundPending(IConsumer<string?, byte[]> consumer)
    {
        var pending = _tracker.PendingCount;
        var over = pending >= _options.MaxPendingConversations;
        if (!over && !_paused)
        {
            return;
        }

        try
        {
            if (over)
            {
                // Every check while over: partitions assigned since the last one are paused too.
                consumer.Pause(consumer.Assignment);
            }
            else
            {
                consumer.Resume(consumer.Assignment);
            }
        }
        catch (KafkaException e)
        {
            // An assignment changing under the call: the next check tries again.
            LogConsumerError(e.Error.Code, e.Error.Reason, false);
            return;
        }

        if (over != _paused)
        {
            _paused = over;
            Status.Paused = over;
            LogPaused(over, pending);
        }
    }

    private ConsumeResult<string?, byte[]>? Consume(IConsumer<string?, byte[]> consumer, TimeSpan timeout)
    {
        try
        {
            var result = consumer.Consume(timeout);
            return result is null || result.IsPartitionEOF ? null : result;
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            LogConsumerError(e.Error.Code, e.Error.Reason, false);
            return null;
        }
    }

    private void Observe(ConsumeResult<string?, byte[]> record)
    {
        Status.AddRecords(1);
        var position = new RecordPosition(record.Topic, record.Partition.Value, record.Offset.Value);
        if (_decoder.Decode(position, record.Message.Key, record.Message.Value, DateTime.UtcNow) is EventRow row)
        {
            _tracker.Observe(position.Partition, position.Offset, new ConversationKey(row.AppId, row.ConversationId), new DateTimeOffset(DateTime.SpecifyKind(row.OccurredAt, DateTimeKind.Utc)), AsStored(row.Event));
        }
        else
        {
            _tracker.Skip(position.Partition, position.Offset);
        }
    }

    /// <summary>
    /// The event as its stored row reads back (timestamps at the millisecond of <c>DateTime64(3)</c>), so a label from
    /// held events equals one from the rows; null when it cannot be: no gateway <c>received_at</c> (the pipeline
    /// stamps its own clock then).
    /// </summary>
    internal static FeedbackEvent? AsStored(FeedbackEvent? e) =>
        e?.ReceivedAt is { } received ? e with { OccurredAt = Millisecond(e.OccurredAt), ReceivedAt = Millisecond(received) } : null;

    private static DateTimeOffset Millisecond(DateTimeOffset t)
    {
        var ticks = t.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    /// <summary>Runs <paramref name="work"/>; a failure is logged and kept in the status, and its exception type returned (null on success).</summary>
    private string? RunGuarded(Func<Task> work, string what)
    {
        try
        {
            work().GetAwaiter().GetResult();
            Status.LastError = null;
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing was marked done and no offset moved past the work: the next pass tries the same conversations.
            Status.LastError = $"{what}: {e.Message}";
            LogPassFailed(what, e.Message);
            return e.GetType().Name;
        }
    }

    /// <summary>
    /// Labels the conversations that are due and stored by the pipeline, chunk by chunk, three chunks in flight: while one
    /// chunk's labels are written (ClickHouse's work), the next chunk is labelled (the labeller's work), and the events and
    /// profiles of the chunk after it are read. A chunk mines its sibling pairs only after the previous chunk's write was
    /// accepted, so it sees those labels exactly as a sequential pass would, and a conversation is marked done only after
    /// its own write.
    /// The first chunk that fails ends the pass; while the store still answers, that chunk is split down to the
    /// conversations that fail alone (<see cref="SplitAsync"/>), so one conversation that cannot be labelled never
    /// holds back the conversations beside it. The failure is then reported as the pass's.
    /// </summary>
    private async Task PassAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        Status.Pending = _tracker.PendingCount;
        if (!_tracker.AnyDue(now))
        {
            // Nothing settled since the last pass: no query at all.
            await WriteProgressAsync(now, cancellationToken);
            return;
        }

        var stored = await _progress.StoredThroughAsync(_kafka.Topic, cancellationToken);
        var due = _tracker.Due(now, stored, _options.ConversationsPerPass, out var waiting);
        Status.WaitingForPipeline = waiting;
        (DueConversation[] Chunk, Task<LabelOutcome> Write, long Started)? writing = null;
        (DueConversation[] Chunk, Exception Error)? failed = null;
        var chunks = due.Chunk(_options.ConversationsPerChunk).ToArray();
        Task<ChunkInputs>? reading = chunks.Length > 0 ? ReadAsync(chunks[0], now, cancellationToken) : null;
        try
        {
            for (var i = 0; i < chunks.Length; i++)
            {
                var chunk = chunks[i];
                var started = Stopwatch.GetTimestamp();
                PreparedChunk prepared;
                try
                {
                    var inputs = await reading!;
                    // The next chunk's events and profiles are read (ClickHouse's work) while this one is labelled (the labeller's).
                    reading = i + 1 < chunks.Length ? ReadAsync(chunks[i + 1], now, cancellationToken) : null;
                    prepared = Label(inputs, now);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failed = (chunk, e);
                    break;
                }

                if (writing is { } previous)
                {
                    writing = null;
                    if (await FinishAsync(previous.Chunk, previous.Write, previous.Started) is { } error)
                    {
                        failed = (previous.Chunk, error);
                        break;
                    }
                }

                writing = (chunk, MineAndWriteAsync(prepared, now, cancellationToken), started);
            }

            if (writing is { } last && await FinishAsync(last.Chunk, last.Write, last.Started) is { } lastError)
            {
                // A chunk failed while this one was being written (its failure is the pass's), or this last write failed.
                failed ??= (last.Chunk, lastError);
            }
        }
        catch (OperationCanceledException) when (writing is { } inFlight)
        {
            // Stopping: never leave a write running past the pass.
            await Quietly(inFlight.Write);
            throw;
        }
        finally
        {
            if (reading is not null)
            {
                // The pass ended before it took the read of a chunk (a failure, or stopping): the read never outlives the
                // pass, and its result is not used.
                await Quietly(reading);
            }
        }

        if (failed is { } failure)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await _store.AnswersAsync(cancellationToken))
            {
                var budget = IsolationSteps;
                await SplitAsync(
                    failure.Chunk,
                    failure.Error,
                    async part =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        Finish(part, await MineAndWriteAsync(await PrepareAsync(part, now, cancellationToken), now, cancellationToken), started);
                    },
                    (conversation, error) => FailedAloneAsync(conversation, error, now, cancellationToken),
                    () => budget-- > 0);
            }

            Status.Pending = _tracker.PendingCount;
            ExceptionDispatchInfo.Throw(failure.Error);
        }

        Status.Pending = _tracker.PendingCount;
        Status.LastPassAt = now;
        await WriteProgressAsync(now, cancellationToken);
    }

    /// <summary>Waits for a chunk's write and marks its conversations done; returns the write's failure instead of throwing it (cancellation propagates).</summary>
    private async Task<Exception?> FinishAsync(DueConversation[] chunk, Task<LabelOutcome> write, long started)
    {
        try
        {
            Finish(chunk, await write, started);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not marked done: labelled again later (deterministic ids replace the rows).
            return e;
        }
    }

    /// <summary>
    /// A chunk failed with <paramref name="error"/> while the store answers: its halves are labelled (<paramref name="label"/>)
    /// one after the other, and a half that fails is split again, down to single items (while <paramref name="step"/>
    /// allows another attempt, so a pass or sweep stays bounded); an item that fails alone goes to
    /// <paramref name="failedAlone"/>, which counts it and sets it aside after
    /// <see cref="LabelingOptions.AttemptsBeforeSetAside"/> failures in a row.
    /// </summary>
    private static async Task SplitAsync<T>(T[] chunk, Exception error, Func<T[], Task> label, Func<T, Exception, Task> failedAlone, Func<bool> step)
    {
        if (chunk.Length == 1)
        {
            await failedAlone(chunk[0], error);
            return;
        }

        var half = chunk.Length / 2;
        foreach (var part in new[] { chunk[..half], chunk[half..] })
        {
            if (!step())
            {
                return;
            }

            try
            {
                await label(part);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await SplitAsync(part, e, label, failedAlone, step);
            }
        }
    }

    /// <summary>
    /// Labelling <paramref name="conversation"/> alone failed. Below the limit it waits for the next pass; at the limit,
    /// if the store still answers, it is recorded in <c>labeling_set_aside</c> with its error and only then released,
    /// so its partition's offset moves on.
    /// </summary>
    private async Task FailedAloneAsync(DueConversation conversation, Exception error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var attempts = _tracker.Failed(conversation);
        LogConversationFailed(conversation.Key.AppId, conversation.Key.ConversationId, attempts, _options.AttemptsBeforeSetAside, error.Message);
        if (attempts < _options.AttemptsBeforeSetAside || !await _store.AnswersAsync(cancellationToken))
        {
            return;
        }

        var row = new SetAsideConversation(
            conversation.Key, _kafka.Topic, conversation.Partition, conversation.FirstOffset, conversation.LastOffset, attempts, $"{error.GetType().Name}: {error.Message}", now.UtcDateTime);
        if (await RecordSetAsideAsync(row, error, cancellationToken))
        {
            // Released only once recorded: until then the next pass tries it again.
            _tracker.Completed(conversation);
        }
    }

    /// <summary>Records <paramref name="row"/> in <c>labeling_set_aside</c>; false (logged) when the write failed.</summary>
    private async Task<bool> RecordSetAsideAsync(SetAsideConversation row, Exception error, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SetAsideAsync(row, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogPassFailed("set-aside record", e.Message);
            return false;
        }

        Status.AddSetAside();
        SetAsideCounter.Add(1);
        LogSetAside(row.Key.AppId, row.Key.ConversationId, row.Partition, row.FirstOffset, row.Attempts, error.Message);
        return true;
    }

    /// <summary>Marks a chunk's conversations done (or deferred, for a response still waiting for its settle window) once its write was accepted.</summary>
    private void Finish(DueConversation[] chunk, LabelOutcome outcome, long started)
    {
        var written = _time.GetUtcNow();
        foreach (var conversation in chunk)
        {
            if (outcome.PendingDue.TryGetValue(conversation.Key, out var dueAt))
            {
                _tracker.Deferred(conversation, dueAt);
            }
            else
            {
                LabelLag.Record(Math.Max(0, (written - conversation.DueAt).TotalSeconds));
                _tracker.Completed(conversation);
            }
        }

        Status.AddPass(chunk.Length, outcome.Labels, outcome.Decisions, outcome.Pairs, repair: false);
        LogLabelled(chunk.Length, outcome.Labels, outcome.Pairs, false, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, outcome.Breakdown, Status.Records);
        LabelsCounter.Add(outcome.Labels);
        PairsCounter.Add(outcome.Pairs);
    }

    /// <summary>Records how far each owned partition is labelled, at most every <see cref="LabelingOptions.ProgressInterval"/> (few rows, not one per pass).</summary>
    private async Task WriteProgressAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (now - _progressWrittenAt < _options.ProgressInterval)
        {
            return;
        }

        await _store.WriteProgressAsync([.. _tracker.Partitions.Select(p => ($"{_kafka.Topic}/{p}", _tracker.LabelledThrough(p, now).UtcDateTime))], cancellationToken);
        _progressWrittenAt = now;
    }

    /// <summary>Finds settled responses of the owned partitions without a current label and labels their conversations.</summary>
    private async Task SweepAsync(IConsumer<string?, byte[]> consumer, CancellationToken cancellationToken)
    {
        // Only what this owner has passed (records below each owned partition's commit offset) and records of a log
        // that is gone (at or beyond the high watermark). Records in between are pending here or not consumed yet, and
        // the normal path labels them.
        // The broker is asked once per partition; after the first failure (Kafka unreachable) it is not asked again
        // in this sweep, so the consume thread waits at most one timeout.
        var scopes = new List<SweepScope>();
        var brokerAnswers = true;
        foreach (var partition in _tracker.Partitions)
        {
            var end = brokerAnswers ? LogEnd(consumer, partition) : null;
            brokerAnswers &= end is not null;
            var passed = _tracker.CommitOffset(partition);
            if (passed is not null || end is not null)
            {
                scopes.Add(new SweepScope(partition, passed ?? 0, end ?? long.MaxValue));
            }
        }

        if (scopes.Count == 0)
        {
            Status.AddSweep();
            return;
        }

        var now = _time.GetUtcNow();
        var violations = await _invariant.ViolationsAsync(_policy.InvariantHorizon(now).UtcDateTime, scopes, _options.SweepLimit, cancellationToken);
        // Conversations this owner consumed and still tracks are labelled by the normal path once the pipeline stored
        // them. (Conversations set aside are not among the violations a sweep sees.)
        var items = violations.DistinctBy(v => (v.AppId, v.ConversationId))
            .Select(v => new SweepItem(new ConversationKey(v.AppId, v.ConversationId), v.KafkaPartition))
            .Where(i => !_tracker.IsPending(i.Key))
            .ToList();
        foreach (var gone in _sweepFailures.Keys.Except(items.Select(i => i.Key)).ToList())
        {
            _sweepFailures.Remove(gone);
        }

        if (items.Count == 0)
        {
            Status.AddSweep();
            return;
        }

        LogRepairing(violations.Count, items.Count);
        Exception? failed = null;
        foreach (var chunk in items.Chunk(_options.ConversationsPerChunk))
        {
            try
            {
                Repaired(chunk, await LabelAsync([.. chunk.Select(i => i.Key)], now, cancellationToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // As in a pass: while the store answers, the chunk is split down to the conversations that fail alone, and
                // the sweep goes on with the next chunk; an outage ends the sweep.
                if (!await _store.AnswersAsync(cancellationToken))
                {
                    throw;
                }

                var budget = IsolationSteps;
                await SplitAsync(
                    chunk,
                    e,
                    async part => Repaired(part, await LabelAsync([.. part.Select(i => i.Key)], now, cancellationToken)),
                    (item, error) => SweepFailedAloneAsync(item, error, now, cancellationToken),
                    () => budget-- > 0);
                failed ??= e;
            }
        }

        Status.AddSweep();
        if (failed is not null)
        {
            ExceptionDispatchInfo.Throw(failed);
        }
    }

    /// <summary>A sweep's conversation to repair, and the partition its events were stored from.</summary>
    private sealed record SweepItem(ConversationKey Key, int Partition);

    /// <summary>Counts a sweep's chunk that was labelled and written.</summary>
    private void Repaired(SweepItem[] chunk, LabelOutcome outcome)
    {
        foreach (var item in chunk)
        {
            _sweepFailures.Remove(item.Key);
        }

        Status.AddPass(chunk.Length, outcome.Labels, outcome.Decisions, outcome.Pairs, repair: true);
        LogLabelled(chunk.Length, outcome.Labels, outcome.Pairs, true, 0, outcome.Breakdown, Status.Records);
        RepairedCounter.Add(outcome.Labels);
    }

    /// <summary>
    /// A sweep's conversation failed alone (its chunk split down to it, as in a pass): counted over sweeps in a row, and at
    /// <see cref="LabelingOptions.AttemptsBeforeSetAside"/> set aside, with offsets -1: a sweep reads stored rows, not Kafka.
    /// </summary>
    private async Task SweepFailedAloneAsync(SweepItem item, Exception error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var attempts = _sweepFailures.GetValueOrDefault(item.Key) + 1;
        _sweepFailures[item.Key] = attempts;
        LogConversationFailed(item.Key.AppId, item.Key.ConversationId, attempts, _options.AttemptsBeforeSetAside, error.Message);
        if (attempts < _options.AttemptsBeforeSetAside || !await _store.AnswersAsync(cancellationToken))
        {
            return;
        }

        if (await RecordSetAsideAsync(new SetAsideConversation(item.Key, _kafka.Topic, item.Partition, -1, -1, attempts, $"{error.GetType().Name}: {error.Message}", now.UtcDateTime), error, cancellationToken))
        {
            _sweepFailures.Remove(item.Key);
        }
    }

    /// <summary>Labels whole conversations, one app at a time (profiles and population rates never mix tenants).</summary>
    private async Task<LabelOutcome> LabelAsync(IReadOnlyCollection<ConversationKey> conversations, DateTimeOffset now, CancellationToken cancellationToken) =>
        await MineAndWriteAsync(Label(await ReadAsync(conversations, null, now, cancellationToken), now), now, cancellationToken);

    /// <summary>A chunk of due conversations read and labelled, from the events their snapshots hold where they hold them.</summary>
    private async Task<PreparedChunk> PrepareAsync(DueConversation[] chunk, DateTimeOffset now, CancellationToken cancellationToken) =>
        Label(await ReadAsync(chunk, now, cancellationToken), now);

    /// <summary>What labelling a chunk of due conversations needs from ClickHouse, their snapshots' events used where they are all a conversation has stored.</summary>
    private Task<ChunkInputs> ReadAsync(DueConversation[] chunk, DateTimeOffset now, CancellationToken cancellationToken) =>
        ReadAsync([.. chunk.Select(c => c.Key)], chunk.Where(c => c.Events is not null).ToDictionary(c => c.Key, c => c.Events!), now, cancellationToken);

    /// <summary>
    /// What labelling a chunk needs from ClickHouse: its events (held or read back) and, per app, the user profiles and
    /// population rates. Reads only (the caches of profiles and rates are this method's alone, and one read runs at a
    /// time), so it runs while the chunk before is labelled and the one before that written.
    /// </summary>
    private async Task<ChunkInputs> ReadAsync(
        IReadOnlyCollection<ConversationKey> conversations, IReadOnlyDictionary<ConversationKey, IReadOnlyList<FeedbackEvent>>? held, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var inputs = new ChunkInputs();
        var stage = Stopwatch.StartNew();
        var events = await EventsAsync(conversations, held, cancellationToken);
        inputs.Stages.Add(("events", stage.ElapsedMilliseconds));
        foreach (var app in events.GroupBy(e => e.Event.AppId, StringComparer.Ordinal))
        {
            var users = app.Select(e => e.Event.UserId).ToHashSet(StringComparer.Ordinal);
            stage.Restart();
            var profiles = await ProfilesAsync(app.Key, users, now, cancellationToken);
            var population = await PopulationAsync(app.Key, now, cancellationToken);
            inputs.Stages.Add(("profiles", stage.ElapsedMilliseconds));
            inputs.Apps.Add(new AppInputs(app.Key, app, profiles, population));
        }

        return inputs;
    }

    /// <summary>
    /// The labeller's side of a chunk: the labels, decisions and session pairs of the pure <see cref="SignalLabeler"/>,
    /// one app at a time. Touches no state the write of the previous chunk uses, so it runs while that write is in flight.
    /// </summary>
    private PreparedChunk Label(ChunkInputs inputs, DateTimeOffset now)
    {
        var prepared = new PreparedChunk();
        prepared.Outcome.Stages.AddRange(inputs.Stages);
        var stage = Stopwatch.StartNew();
        var labeler = new SignalLabeler(_mining, _followups);
        foreach (var app in inputs.Apps)
        {
            stage.Restart();
            prepared.Apps.Add((app.AppId, labeler.Label(app.Events, app.Profiles, app.Population, now)));
            prepared.Outcome.Stages.Add(("label", stage.ElapsedMilliseconds));
        }

        return prepared;
    }

    /// <summary>
    /// ClickHouse's side of a chunk: per app, the sibling candidates of its prompts (which include every label written
    /// before, this labeller's previous chunk too), the sibling pairs, and the write of labels, decisions and pairs.
    /// </summary>
    private async Task<LabelOutcome> MineAndWriteAsync(PreparedChunk prepared, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcome = prepared.Outcome;
        var stage = Stopwatch.StartNew();
        foreach (var (appId, batch) in prepared.Apps)
        {
            stage.Restart();
            var keys = batch.Labels.Select(l => l.PromptKey).Where(k => k.Length > 0).ToHashSet(StringComparer.Ordinal);
            var read = _siblings.ToRead(keys, now);
            var loaded = read.Count == 0 ? [] : await _store.LabelsForPromptsAsync(_mining.PairAcrossApps ? null : appId, read, cancellationToken, SiblingMiner.MaxCandidatesPerSide);
            _siblings.Loaded(read, loaded, now);
            var known = loaded.Concat(_siblings.For(keys.Except(read, StringComparer.Ordinal)));
            var fresh = batch.Labels.Select(l => l.LabelId).ToHashSet(StringComparer.Ordinal);
            var siblings = SiblingMiner.Mine(batch.Labels.Concat(known.Where(l => !fresh.Contains(l.LabelId))), _mining);
            outcome.Stages.Add(("siblings", stage.ElapsedMilliseconds));
            stage.Restart();
            // computed_at is the write's own clock, not the pass's: the label's age (freshness) is measured honestly.
            await _store.WriteAsync(batch, siblings, _time.GetUtcNow().UtcDateTime, cancellationToken);
            _siblings.Written(batch.Labels);
            outcome.Stages.Add(("write", stage.ElapsedMilliseconds));
            outcome.Labels += batch.Labels.Count;
            outcome.Decisions += batch.Decisions.Count;
            outcome.Pairs += batch.Pairs.Count + siblings.Count;
            foreach (var pending in batch.Pending)
            {
                var key = new ConversationKey(pending.AppId, pending.ConversationId);
                outcome.PendingDue[key] = outcome.PendingDue.TryGetValue(key, out var at) && at < pending.DueAt ? at : pending.DueAt;
            }
        }

        return outcome;
    }

    /// <summary>
    /// The conversations' events: the held ones of a conversation whose stored rows are exactly those events (one
    /// narrow count per chunk), the stored rows of every other (history before the held events, rows the pipeline
    /// stored beyond them or could not store, events not held).
    /// </summary>
    private async Task<List<StoredEvent>> EventsAsync(
        IReadOnlyCollection<ConversationKey> conversations, IReadOnlyDictionary<ConversationKey, IReadOnlyList<FeedbackEvent>>? held, CancellationToken cancellationToken)
    {
        var events = new List<StoredEvent>();
        var readBack = new List<ConversationKey>(conversations.Count);
        var candidates = held is null ? [] : conversations.Where(k => held.TryGetValue(k, out var e) && e.Count > 0).ToList();
        var stored = candidates.Count == 0 ? [] : await _store.EventCountsAsync(candidates, cancellationToken);
        foreach (var key in conversations)
        {
            if (held is not null && held.TryGetValue(key, out var own) && own.Count > 0 && stored.TryGetValue(key, out var count)
                && count == (ulong)own.Select(e => e.EventId).Distinct(StringComparer.Ordinal).Count())
            {
                events.AddRange(own.Select(e => new StoredEvent(e, e.ReceivedAt!.Value)));
            }
            else
            {
                readBack.Add(key);
            }
        }

        if (readBack.Count > 0)
        {
            events.AddRange(await _store.EventsAsync(readBack, cancellationToken));
        }

        Status.AddSources(conversations.Count - readBack.Count, readBack.Count);
        Status.UnreadableRows = _store.UnreadableRows;
        return events;
    }

    /// <summary>Waits for <paramref name="task"/> to end, whatever its outcome (observed, never thrown).</summary>
    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // Its outcome belongs to work the pass no longer uses.
        }
    }

    /// <summary>The users' profiles: those read within the profile refresh from memory, the others from ClickHouse.</summary>
    private async Task<Dictionary<string, UserProfile>> ProfilesAsync(string appId, IReadOnlyCollection<string> users, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var read = _profiles.ToRead(appId, users, now);
        var fresh = read.Count == 0 ? [] : await _store.ProfilesAsync(appId, read, _options.ProfileLookback, cancellationToken);
        _profiles.Loaded(appId, read, fresh, now);
        var profiles = _profiles.For(appId, users.Except(read, StringComparer.Ordinal));
        foreach (var (user, profile) in fresh)
        {
            profiles[user] = profile;
        }

        Status.AddProfiles(users.Count - read.Count, read.Count);
        return profiles;
    }

    /// <summary>An app's population rates, read at most every <see cref="LabelingOptions.PopulationRefresh"/> (a whole-app aggregate moves slowly).</summary>
    private async Task<PopulationRates> PopulationAsync(string appId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_population.TryGetValue(appId, out var cached) && now - cached.ReadAt < _options.PopulationRefresh)
        {
            return cached.Rates;
        }

        var rates = await _store.PopulationAsync(appId, _options.ProfileLookback, cancellationToken);
        _population[appId] = (rates, now);
        return rates;
    }

    /// <summary>The partition's high watermark, or null when the broker cannot tell now (the sweep then leaves gone-log records for later).</summary>
    private long? LogEnd(IConsumer<string?, byte[]> consumer, int partition)
    {
        try
        {
            var high = consumer.QueryWatermarkOffsets(new TopicPartition(_kafka.Topic, partition), TimeSpan.FromSeconds(5)).High;
            return high.IsSpecial ? null : high.Value;
        }
        catch (KafkaException e)
        {
            LogConsumerError(e.Error.Code, e.Error.Reason, false);
            return null;
        }
    }

    private void StoreOffsets(IConsumer<string?, byte[]> consumer)
    {
        foreach (var partition in consumer.Assignment)
        {
            if (_tracker.CommitOffset(partition.Partition.Value) is { } offset)
            {
                try
                {
                    consumer.StoreOffset(new TopicPartitionOffset(partition, new Offset(offset)));
                }
                catch (KafkaException e)
                {
                    // The partition was just revoked; its next owner starts from the last committed offset.
                    LogCommitFailed(e.Error.Code, e.Error.Reason);
                }
            }
        }
    }

    private void TryCommit(IConsumer<string?, byte[]> consumer, IReadOnlyList<TopicPartitionOffset>? offsets)
    {
        try
        {
            if (offsets is null)
            {
                consumer.Commit();
            }
            else if (offsets.Count > 0)
            {
                consumer.Commit(offsets);
            }
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing consumed yet: nothing to commit.
        }
        catch (KafkaException e)
        {
            // Nothing stored yet, or the group moved on: the next owner resumes from the last commit and relabels,
            // which replaces rows (deterministic ids) rather than duplicating them.
            LogCommitFailed(e.Error.Code, e.Error.Reason);
        }
    }

    /// <summary>What labelling a chunk needs from ClickHouse, per app, and how long each read took.</summary>
    private sealed class ChunkInputs
    {
        public List<AppInputs> Apps { get; } = [];

        public List<(string Stage, long Milliseconds)> Stages { get; } = [];
    }

    /// <summary>One app's events of a chunk, with the profiles of their users and the app's population rates.</summary>
    private sealed record AppInputs(string AppId, IEnumerable<StoredEvent> Events, Dictionary<string, UserProfile> Profiles, PopulationRates Population);

    /// <summary>A chunk labelled but not yet written: each app's batch.</summary>
    private sealed class PreparedChunk
    {
        public List<(string AppId, LabelBatch Batch)> Apps { get; } = [];

        public LabelOutcome Outcome { get; } = new();
    }

    private sealed class LabelOutcome
    {
        public int Labels { get; set; }

        public int Decisions { get; set; }

        public int Pairs { get; set; }

        public Dictionary<ConversationKey, DateTimeOffset> PendingDue { get; } = [];

        /// <summary>Milliseconds per stage, for the debug line.</summary>
        public List<(string Stage, long Milliseconds)> Stages { get; } = [];

        public string Breakdown => string.Join(" ", Stages.GroupBy(s => s.Stage).Select(g => $"{g.Key}={g.Sum(s => s.Milliseconds)}"));
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Labelling {What} failed; the next pass retries the same conversations: {Error}")]
    private partial void LogPassFailed(string what, string error);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Labelling conversation {AppId}/{ConversationId} alone failed ({Attempts} of {Limit} passes before it is set aside): {Error}")]
    private partial void LogConversationFailed(string appId, string conversationId, int attempts, int limit, string error);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Error, Message = "Set aside conversation {AppId}/{ConversationId} (partition {Partition}, first offset {FirstOffset}) after {Attempts} failed passes; its responses stay unlabelled until its row in labeling_set_aside is deleted or a new event arrives: {Error}")]
    private partial void LogSetAside(string appId, string conversationId, int partition, long firstOffset, int attempts, string error);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Labeller consumption paused: {Paused} ({Pending} conversations pending)")]
    private partial void LogPaused(bool paused, int pending);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Labeller assigned partitions {Partitions}")]
    private partial void LogAssigned(string partitions);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Labeller revoked partitions {Partitions} (offsets committed up to their labels)")]
    private partial void LogRevoked(string partitions);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Labeller lost partitions {Partitions}")]
    private partial void LogLost(string partitions);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Labeller consumer error {Code}: {Reason} (fatal: {Fatal})")]
    private partial void LogConsumerError(ErrorCode code, string reason, bool fatal);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Labeller offset commit failed {Code}: {Reason}")]
    private partial void LogCommitFailed(ErrorCode code, string reason);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Debug, Message = "labelled conversations={Conversations} labels={Labels} pairs={Pairs} repair={Repair} in {Milliseconds} ms ({Stages}); records consumed {Records}")]
    private partial void LogLabelled(int conversations, int labels, int pairs, bool repair, long milliseconds, string stages, long records);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Reconciliation sweep: {Responses} settled responses without a current label in {Conversations} conversations; relabelling them")]
    private partial void LogRepairing(int responses, int conversations);
}
