using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Confluent.Kafka;
using FeedbackStream.Contracts.Telemetry;
using FeedbackStream.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Pipeline;

/// <summary>Counters a caller (health endpoint, demo, tests) can read while the worker runs.</summary>
public sealed class PipelineStatus
{
    private long _consumed;
    private long _written;
    private long _rejected;
    private long _sinkFailures;
    private long _batches;

    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Events written to events_raw (including re-deliveries that later collapse).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records written to events_rejected.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    public long SinkFailures => Interlocked.Read(ref _sinkFailures);

    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Whether consumption is paused because the sink is behind or failing.</summary>
    public bool Paused { get; internal set; }

    /// <summary>The last sink error, cleared by the next successful write.</summary>
    public string? LastSinkError { get; internal set; }

    internal void AddConsumed(long n) => Interlocked.Add(ref _consumed, n);

    internal void AddWritten(long events, long rejected)
    {
        Interlocked.Add(ref _written, events);
        Interlocked.Add(ref _rejected, rejected);
        Interlocked.Increment(ref _batches);
    }

    internal void AddSinkFailure() => Interlocked.Increment(ref _sinkFailures);
}

/// <summary>
/// Consumes the events topic in a consumer group and writes batches to ClickHouse, losing nothing:
/// <list type="bullet">
/// <item>the blocking consume loop runs on its own thread and hands records to the sink through a bounded channel;
/// when the channel is full the worker pauses its partitions and keeps polling (so it stays in the group) until
/// the sink catches up;</item>
/// <item>a batch is written when it is large or old enough; offsets are stored only after ClickHouse accepted the
/// batch (auto offset store off, auto commit on), so a crash re-delivers at most the unwritten tail;</item>
/// <item>a write that fails is retried with backoff, holding the batch; nothing is skipped and no offset moves, and
/// the full channel pauses consumption until ClickHouse recovers;</item>
/// <item>a record that cannot be decoded becomes a dead letter in events_rejected and never stops its partition;</item>
/// <item>on shutdown the last batch is written, offsets committed and the consumer closed.</item>
/// </list>
/// </summary>
public sealed partial class PipelineWorker : BackgroundService
{
    private readonly KafkaOptions _kafka;
    private readonly PipelineOptions _options;
    private readonly IEventSink _sink;
    private readonly ILogger<PipelineWorker> _logger;
    private readonly RecordDecoder _decoder;
    private readonly Channel<ConsumeResult<string?, byte[]>> _channel;
    private volatile IReadOnlyList<(int Partition, long Lag)> _lag = [];

    public PipelineWorker(IOptions<KafkaOptions> kafka, IOptions<PipelineOptions> options, IEventSink sink, PipelineStatus status, ILogger<PipelineWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentNullException.ThrowIfNull(options);
        _kafka = kafka.Value;
        _options = options.Value;
        _sink = sink;
        Status = status;
        _logger = logger;
        _decoder = new RecordDecoder(_options.RejectedRawMaxBytes);
        _channel = Channel.CreateBounded<ConsumeResult<string?, byte[]>>(new BoundedChannelOptions(_options.ChannelCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public PipelineStatus Status { get; }

    /// <summary>
    /// The pipeline's consumer settings under any configured passthrough: offsets stored only after ClickHouse accepted
    /// (committed by librdkafka every second), cooperative rebalancing, and short fetch waits. A raw consumer compared
    /// with the pipeline uses these too.
    /// </summary>
    public static void ConsumerDefaults(ConsumerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.EnableAutoCommit = true;
        config.EnableAutoOffsetStore = false;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        config.FetchWaitMaxMs = 50;
        // librdkafka waits fetch.queue.backoff.ms (1 s by default) whenever its prefetch queue is full: a fast reader
        // then stalls a second at a time (measured on the mock cluster). A short backoff keeps the pipe full.
        config.FetchQueueBackoffMs = 10;
        config.SessionTimeoutMs = 10_000;
        config.AutoCommitIntervalMs = 1000;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var config = _kafka.CreateConsumerConfig(_options.ConsumerGroup, ConsumerDefaults);
        var consumer = new ConsumerBuilder<string?, byte[]>(config)
            .SetKeyDeserializer(Deserializers.Utf8!)
            .SetValueDeserializer(Deserializers.ByteArray)
            .SetErrorHandler((_, error) => LogConsumerError(error.Code, error.Reason, error.IsFatal))
            .SetLogHandler((_, message) => LogLibrdkafka(message.Facility, message.Message))
            .SetPartitionsAssignedHandler((_, partitions) => LogAssigned(string.Join(",", partitions.Select(p => p.Partition.Value))))
            .SetPartitionsRevokedHandler((_, partitions) => LogRevoked(string.Join(",", partitions.Select(p => p.Partition.Value))))
            .SetPartitionsLostHandler((_, partitions) => LogLost(string.Join(",", partitions.Select(p => p.Partition.Value))))
            .Build();

        // The sink stops on its own once the channel is completed and drained; it gets its own token only to bound
        // shutdown. The consume loop owns and disposes it.
        PipelineTelemetry.TrackLag(this, _kafka.Topic, _options.ConsumerGroup, () => _lag);
        var sinkStop = new CancellationTokenSource();
        var sinkTask = Task.Run(() => RunSinkAsync(consumer, sinkStop.Token), CancellationToken.None);
        var consumeTask = Task.Factory.StartNew(
            () => RunConsumeLoop(consumer, sinkTask, sinkStop, stoppingToken),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        return consumeTask;
    }

    private void RunConsumeLoop(IConsumer<string?, byte[]> consumer, Task sinkTask, CancellationTokenSource sinkStop, CancellationToken stoppingToken)
    {
        var overflow = new Queue<ConsumeResult<string?, byte[]>>();
        var paused = false;
        var lagMeasured = Stopwatch.StartNew();
        try
        {
            consumer.Subscribe(_kafka.Topic);
            while (!stoppingToken.IsCancellationRequested && !sinkTask.IsCompleted)
            {
                if (lagMeasured.Elapsed >= PipelineTelemetry.LagInterval)
                {
                    _lag = PipelineTelemetry.MeasureLag(consumer);
                    lagMeasured.Restart();
                }

                while (overflow.Count > 0 && _channel.Writer.TryWrite(overflow.Peek()))
                {
                    overflow.Dequeue();
                }

                if (overflow.Count > 0)
                {
                    // Backpressure: the sink is behind (or ClickHouse is failing). Stop fetching, keep polling.
                    consumer.Pause(consumer.Assignment);
                    if (!paused)
                    {
                        paused = true;
                        Status.Paused = true;
                        LogPaused(overflow.Count);
                    }
                }
                else if (paused)
                {
                    consumer.Resume(consumer.Assignment);
                    paused = false;
                    Status.Paused = false;
                    LogResumed();
                }

                ConsumeResult<string?, byte[]>? result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    LogConsumerError(e.Error.Code, e.Error.Reason, false);
                    continue;
                }

                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                Status.AddConsumed(1);
                if (overflow.Count > 0 || !_channel.Writer.TryWrite(result))
                {
                    overflow.Enqueue(result);
                }
            }
        }
        catch (KafkaException e) when (e.Error.IsFatal)
        {
            LogFatal(e.Error.Code, e.Error.Reason);
            throw;
        }
        finally
        {
            PipelineTelemetry.UntrackLag(this);
            // Hand the sink whatever is still queued here, then let it write the last batch.
            _channel.Writer.TryComplete();
            sinkStop.CancelAfter(_options.ShutdownFlushTimeout);
            Exception? sinkCrash = null;
            try
            {
                sinkTask.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                LogShutdownFlushTimedOut();
            }
            catch (Exception e)
            {
                sinkCrash = e;
            }

            try
            {
                consumer.Commit();
            }
            catch (KafkaException e)
            {
                // Nothing stored yet, or the group is gone: the next owner resumes from the last commit.
                LogCommitOnClose(e.Error.Code, e.Error.Reason);
            }

            consumer.Close();
            consumer.Dispose();
            sinkStop.Dispose();
            if (sinkCrash is not null)
            {
                // Offsets of unwritten records were never stored: stopping here loses nothing.
                throw new InvalidOperationException("The pipeline sink stopped unexpectedly.", sinkCrash);
            }
        }
    }

    /// <summary>Records decoded as they are read, with the offset after the last record of each partition.</summary>
    private sealed class DecodedBatch
    {
        public List<EventRow> Events { get; } = [];

        public List<RejectedRow> Rejected { get; } = [];

        public Dictionary<TopicPartition, Offset> NextOffsets { get; } = [];

        /// <summary>The produce spans of the records (at most <see cref="PipelineTelemetry.MaxLinks"/>), when tracing listens.</summary>
        public List<ActivityLink>? Links { get; private set; }

        public int Count { get; private set; }

        public void Add(ConsumeResult<string?, byte[]> record, RecordDecoder decoder, DateTime now)
        {
            var decoded = decoder.Decode(new RecordPosition(record.Topic, record.Partition.Value, record.Offset.Value), record.Message.Key, record.Message.Value, now);
            if (decoded is EventRow row)
            {
                Events.Add(row);
            }
            else
            {
                Rejected.Add((RejectedRow)decoded);
            }

            if (PipelineTelemetry.Source.HasListeners())
            {
                Links ??= [];
                // The header is optional and untrusted: absent or malformed, the record only loses its link.
                if (Links.Count < PipelineTelemetry.MaxLinks
                    && record.Message.Headers is { } headers
                    && headers.TryGetLastBytes(TelemetryNames.TraceParentHeader, out var traceParent)
                    && TraceParent.TryParse(traceParent, out var context))
                {
                    Links.Add(new ActivityLink(context));
                }
            }

            // Records of a partition arrive in order: the last one seen gives the offset to store.
            NextOffsets[record.TopicPartition] = record.Offset + 1;
            Count++;
        }
    }

    /// <summary>
    /// Reads and decodes records into a batch while the previous batch is being written: decoding overlaps the insert.
    /// A batch's write starts only after the previous one finished and stored its offsets, so offsets move in order.
    /// </summary>
    private async Task RunSinkAsync(IConsumer<string?, byte[]> consumer, CancellationToken cancellationToken)
    {
        var reader = _channel.Reader;
        var batch = new DecodedBatch();
        Task? writing = null;
        var oldest = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                var wait = _options.BatchMaxAge - oldest.Elapsed;
                bool more;
                try
                {
                    more = batch.Count == 0
                        ? await reader.WaitToReadAsync(cancellationToken)
                        : wait > TimeSpan.Zero && await reader.WaitToReadAsync(cancellationToken).AsTask().WaitAsync(wait, cancellationToken);
                }
                catch (TimeoutException)
                {
                    more = true;
                }

                if (batch.Count == 0)
                {
                    oldest.Restart();
                }

                var now = DateTime.UtcNow;
                while (batch.Count < _options.BatchMaxRecords && reader.TryRead(out var record))
                {
                    batch.Add(record, _decoder, now);
                }

                var complete = reader.Completion.IsCompleted;
                if (batch.Count > 0 && (batch.Count >= _options.BatchMaxRecords || oldest.Elapsed >= _options.BatchMaxAge || complete || !more))
                {
                    if (writing is not null)
                    {
                        await writing;
                    }

                    writing = WriteAsync(consumer, batch, cancellationToken);
                    batch = new DecodedBatch();
                    oldest.Restart();
                }

                if (complete && batch.Count == 0)
                {
                    return;
                }
            }
        }
        finally
        {
            if (writing is not null)
            {
                await writing;
            }
        }
    }

    private async Task WriteAsync(IConsumer<string?, byte[]> consumer, DecodedBatch batch, CancellationToken cancellationToken)
    {
        var delay = _options.SinkRetryInitialDelay;
        var started = Stopwatch.GetTimestamp();
        using var activity = PipelineTelemetry.Source.StartActivity("insert events_raw", ActivityKind.Client, default(ActivityContext), links: batch.Links);
        activity?.SetTag("db.system.name", "clickhouse");
        activity?.SetTag("db.operation.name", "insert");
        activity?.SetTag("db.collection.name", "events_raw");
        activity?.SetTag("messaging.batch.message_count", batch.Count);
        activity?.SetTag("feedbackstream.events", batch.Events.Count);
        activity?.SetTag("feedbackstream.dead_letters", batch.Rejected.Count);
        var attempts = 0;
        while (true)
        {
            try
            {
                attempts++;
                await _sink.WriteAsync(batch.Events, batch.Rejected, cancellationToken);
                Status.LastSinkError = null;
                break;
            }
            catch (OperationCanceledException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, "canceled");
                MessagingMetrics.Record("process", _kafka.Topic, batch.Count, Stopwatch.GetElapsedTime(started), "canceled", _options.ConsumerGroup);
                throw;
            }
            catch (Exception e)
            {
                activity?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["error.type"] = e.GetType().Name }));
                Status.AddSinkFailure();
                Status.LastSinkError = e.Message;
                LogSinkFailed(batch.Count, delay.TotalMilliseconds, e.Message);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.SinkRetryMaxDelay.Ticks));
            }
        }

        activity?.SetTag("feedbackstream.attempts", attempts);
        PipelineTelemetry.RecordWritten(batch.Events, batch.Rejected, DateTime.UtcNow);
        MessagingMetrics.Record("process", _kafka.Topic, batch.Count, Stopwatch.GetElapsedTime(started), null, _options.ConsumerGroup);
        Status.AddWritten(batch.Events.Count, batch.Rejected.Count);
        foreach (var (partition, next) in batch.NextOffsets)
        {
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(partition, next));
            }
            catch (KafkaException e)
            {
                // The partition was revoked meanwhile; its new owner re-reads these records and the tables collapse them.
                LogStoreSkipped(partition.Partition.Value, e.Error.Reason);
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Kafka consumer error {Code}: {Reason} (fatal: {Fatal})")]
    private partial void LogConsumerError(ErrorCode code, string reason, bool fatal);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Partitions assigned: {Partitions}")]
    private partial void LogAssigned(string partitions);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Partitions revoked: {Partitions}")]
    private partial void LogRevoked(string partitions);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Partitions lost: {Partitions}")]
    private partial void LogLost(string partitions);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Consumption paused: the sink is behind ({Waiting} records waiting)")]
    private partial void LogPaused(int waiting);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Consumption resumed")]
    private partial void LogResumed();

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Writing a batch of {Count} records to ClickHouse failed; retrying in {DelayMs} ms: {Error}")]
    private partial void LogSinkFailed(int count, double delayMs, string error);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Debug, Message = "Offset of partition {Partition} not stored: {Reason}")]
    private partial void LogStoreSkipped(int partition, string reason);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Critical, Message = "Fatal Kafka consumer error {Code}: {Reason}; the worker stops")]
    private partial void LogFatal(ErrorCode code, string reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "The last batch was not written before the shutdown timeout; its records will be consumed again")]
    private partial void LogShutdownFlushTimedOut();

    [LoggerMessage(EventId = 3012, Level = LogLevel.Debug, Message = "librdkafka {Facility}: {Message}")]
    private partial void LogLibrdkafka(string facility, string message);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Debug, Message = "Commit on close: {Code} {Reason}")]
    private partial void LogCommitOnClose(ErrorCode code, string reason);
}
