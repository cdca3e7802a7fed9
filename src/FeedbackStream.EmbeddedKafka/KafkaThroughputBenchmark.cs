using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;

namespace FeedbackStream.EmbeddedKafka;

/// <summary>What <see cref="KafkaThroughputBenchmark"/> measures.</summary>
public sealed class KafkaThroughputBenchmarkOptions
{
    /// <summary>Messages of the throughput phase (produced as fast as acknowledged, then consumed).</summary>
    public int Messages { get; set; } = 300_000;

    /// <summary>Value size in bytes (keys are 8 more bytes).</summary>
    public int MessageBytes { get; set; } = 64;

    /// <summary>Partitions of the benchmark topic (in-process cluster only).</summary>
    public int Partitions { get; set; } = 6;

    /// <summary>Mock brokers (in-process cluster only).</summary>
    public int Brokers { get; set; } = 3;

    /// <summary>Messages of the latency phase, which runs first (after 1000 unmeasured warm-up messages).</summary>
    public int LatencyMessages { get; set; } = 5_000;

    /// <summary>The steady rate (messages per second) of the latency phase.</summary>
    public int LatencyRatePerSecond { get; set; } = 5_000;

    /// <summary>The whole run (cluster start, both phases, consume) must end within this.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// An external cluster (e.g. <c>feedbackstream kafka serve</c> in another process) instead of an
    /// in-process mock cluster; <see cref="Topic"/> must exist there (its partition count is used).
    /// </summary>
    public string? BootstrapServers { get; set; }

    /// <summary>The topic written and read.</summary>
    public string Topic { get; set; } = "bench.throughput";
}

/// <summary>Figures of one benchmark run.</summary>
/// <param name="Messages">Messages of the throughput phase (all acknowledged).</param>
/// <param name="MessageBytes">Value size in bytes.</param>
/// <param name="Partitions">Topic partitions.</param>
/// <param name="Brokers">Brokers.</param>
/// <param name="ProduceSeconds">From the first produce call to the last acknowledgement.</param>
/// <param name="ProduceMsgsPerSec">Acknowledged messages per second, producing as fast as possible.</param>
/// <param name="ProduceMbPerSec">Acknowledged value megabytes (10^6 bytes) per second.</param>
/// <param name="ProduceLatencyP50Ms">Median time from produce call to acknowledgement at <paramref name="LatencyRatePerSec"/> (linger.ms=5 included).</param>
/// <param name="ProduceLatencyP99Ms">99th percentile of the same.</param>
/// <param name="ProduceLatencyMaxMs">Maximum of the same.</param>
/// <param name="LatencyMessages">Messages of the latency phase.</param>
/// <param name="LatencyRatePerSec">Their steady rate.</param>
/// <param name="SaturatedLatencyP50Ms">Median acknowledgement latency in the throughput phase (mostly time queued in the client).</param>
/// <param name="ConsumedMessages">Messages of the throughput phase read back (all the brokers kept; see <see cref="KafkaMockCluster"/> on retention).</param>
/// <param name="ConsumeSeconds">From assignment to the last message read.</param>
/// <param name="ConsumeMsgsPerSec">Messages read per second.</param>
/// <param name="ConsumeMbPerSec">Value megabytes read per second.</param>
/// <param name="ConsumeFirstMessageMs">From assignment to the first message read.</param>
/// <param name="LibrdkafkaVersion">Native librdkafka version.</param>
/// <param name="InProcessCluster">True when the brokers ran in the benchmarking process (competing for its cores).</param>
public sealed record KafkaThroughputBenchmarkResult(
    int Messages,
    int MessageBytes,
    int Partitions,
    int Brokers,
    double ProduceSeconds,
    double ProduceMsgsPerSec,
    double ProduceMbPerSec,
    double ProduceLatencyP50Ms,
    double ProduceLatencyP99Ms,
    double ProduceLatencyMaxMs,
    int LatencyMessages,
    int LatencyRatePerSec,
    double SaturatedLatencyP50Ms,
    long ConsumedMessages,
    double ConsumeSeconds,
    double ConsumeMsgsPerSec,
    double ConsumeMbPerSec,
    double ConsumeFirstMessageMs,
    string LibrdkafkaVersion,
    bool InProcessCluster);

/// <summary>
/// Measures an idempotent producer (acks=all, linger.ms=5): first its acknowledgement latency at a
/// steady moderate rate, then its throughput producing as fast as acknowledged; then reads the
/// throughput phase back with a consumer tuned for throughput (fetch.wait.max.ms=10, larger fetches,
/// short fetch-queue backoff). By default the brokers are an in-process mock cluster sharing this
/// process's cores; with <see cref="KafkaThroughputBenchmarkOptions.BootstrapServers"/> they are an
/// external cluster.
/// </summary>
public static class KafkaThroughputBenchmark
{
    /// <summary>The most messages one run takes (8 bytes of bookkeeping each).</summary>
    public const int MaxMessages = 20_000_000;

    /// <summary>Runs the benchmark; throws <see cref="TimeoutException"/> when it overruns <see cref="KafkaThroughputBenchmarkOptions.Timeout"/>.</summary>
    public static async Task<KafkaThroughputBenchmarkResult> RunAsync(
        KafkaThroughputBenchmarkOptions options,
        IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Messages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Messages, MaxMessages);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.LatencyMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.LatencyMessages, MaxMessages);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.LatencyRatePerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MessageBytes, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Partitions, 1);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var token = timeout.Token;
        try
        {
            // The blocking client calls run on a worker thread so the caller's thread stays free.
            return await Task.Run(() => Run(options, progress, token), token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The Kafka benchmark did not finish within {options.Timeout}.");
        }
    }

    private static KafkaThroughputBenchmarkResult Run(KafkaThroughputBenchmarkOptions options, IProgress<string>? progress, CancellationToken token)
    {
        KafkaMockCluster? cluster = null;
        try
        {
            string bootstrapServers;
            var partitions = options.Partitions;
            var brokers = options.Brokers;
            if (string.IsNullOrWhiteSpace(options.BootstrapServers))
            {
                cluster = KafkaMockCluster.Start(brokers);
                cluster.CreateTopic(options.Topic, partitions, Math.Min(brokers, 3));
                bootstrapServers = cluster.BootstrapServers;
                progress?.Report($"in-process mock cluster with {brokers} brokers at {bootstrapServers}");
            }
            else
            {
                bootstrapServers = options.BootstrapServers;
                (partitions, brokers) = Describe(bootstrapServers, options.Topic);
                progress?.Report($"external cluster at {bootstrapServers}: topic {options.Topic} with {partitions} partitions, {brokers} brokers");
            }

            return Measure(bootstrapServers, options, partitions, brokers, progress, token);
        }
        finally
        {
            cluster?.Dispose();
        }
    }

    private static (int Partitions, int Brokers) Describe(string bootstrapServers, string topicName)
    {
        // Connection failures surface as the exception below, not as a stream of log lines.
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers })
            .SetLogHandler(static (_, _) => { })
            .SetErrorHandler(static (_, _) => { })
            .Build();
        var metadata = admin.GetMetadata(topicName, TimeSpan.FromSeconds(10));
        var topic = metadata.Topics.SingleOrDefault(t => t.Topic == topicName);
        if (topic is null || topic.Error.IsError || topic.Partitions.Count == 0)
        {
            throw new InvalidOperationException(
                $"Topic '{topicName}' is not usable on {bootstrapServers} ({topic?.Error.Reason ?? "missing"}); create it first.");
        }

        return (topic.Partitions.Count, metadata.Brokers.Count);
    }

    private static KafkaThroughputBenchmarkResult Measure(
        string bootstrapServers,
        KafkaThroughputBenchmarkOptions options,
        int partitions,
        int brokers,
        IProgress<string>? progress,
        CancellationToken token)
    {
        var value = new byte[options.MessageBytes];
        new Random(42).NextBytes(value);
        using var producer = new TimedProducer(bootstrapServers, options.Topic, value);

        // Warm-up (connections, producer id, metadata) outside both measurements.
        producer.Run(1_000, ratePerSecond: 0, token);
        var latency = producer.Run(options.LatencyMessages, options.LatencyRatePerSecond, token);
        progress?.Report($"latency phase: {options.LatencyMessages} messages at {options.LatencyRatePerSecond} msg/s");

        // The throughput phase's messages start at the current end of each partition.
        var startOffsets = HighWatermarks(bootstrapServers, options.Topic, partitions);
        var throughput = producer.Run(options.Messages, ratePerSecond: 0, token);
        progress?.Report($"produced {options.Messages} messages in {throughput.Seconds:F2} s");

        var (consumed, consumeSeconds, firstMessageMs) = Consume(bootstrapServers, options, partitions, startOffsets, progress, token);
        var n = options.Messages;
        return new KafkaThroughputBenchmarkResult(
            Messages: n,
            MessageBytes: options.MessageBytes,
            Partitions: partitions,
            Brokers: brokers,
            ProduceSeconds: Math.Round(throughput.Seconds, 3),
            ProduceMsgsPerSec: Math.Round(n / throughput.Seconds),
            ProduceMbPerSec: Math.Round((double)n * options.MessageBytes / 1e6 / throughput.Seconds, 2),
            ProduceLatencyP50Ms: Math.Round(latency.Percentile(0.50), 2),
            ProduceLatencyP99Ms: Math.Round(latency.Percentile(0.99), 2),
            ProduceLatencyMaxMs: Math.Round(latency.Percentile(1.0), 2),
            LatencyMessages: options.LatencyMessages,
            LatencyRatePerSec: options.LatencyRatePerSecond,
            SaturatedLatencyP50Ms: Math.Round(throughput.Percentile(0.50), 2),
            ConsumedMessages: consumed,
            ConsumeSeconds: Math.Round(consumeSeconds, 3),
            ConsumeMsgsPerSec: Math.Round(consumed / consumeSeconds),
            ConsumeMbPerSec: Math.Round((double)consumed * options.MessageBytes / 1e6 / consumeSeconds, 2),
            ConsumeFirstMessageMs: Math.Round(firstMessageMs, 1),
            LibrdkafkaVersion: KafkaMockCluster.LibrdkafkaVersion,
            InProcessCluster: string.IsNullOrWhiteSpace(options.BootstrapServers));
    }

    private static long[] HighWatermarks(string bootstrapServers, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "feedbackstream-bench" }).Build();
        return [.. Enumerable.Range(0, partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value)];
    }

    private static (long Consumed, double Seconds, double FirstMessageMs) Consume(
        string bootstrapServers,
        KafkaThroughputBenchmarkOptions options,
        int partitions,
        long[] startOffsets,
        IProgress<string>? progress,
        CancellationToken token)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "feedbackstream-bench",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            FetchWaitMaxMs = 10,
            FetchMinBytes = 1,
            MaxPartitionFetchBytes = 8 * 1024 * 1024,
            FetchMaxBytes = 64 * 1024 * 1024,
            QueuedMinMessages = 200_000,

            // librdkafka pauses fetching for this long whenever its local queue is above the
            // thresholds (1 s by default): measured, that stalls a fast reader for 1 s per 100k messages.
            FetchQueueBackoffMs = 5,
            ClientId = "feedbackstream-bench-consumer",
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();

        // Explicit start offsets: Offset.Beginning costs an extra ListOffsets round (about 0.5 s measured).
        var assignment = new List<TopicPartitionOffset>();
        long retained = 0;
        for (var p = 0; p < partitions; p++)
        {
            var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(options.Topic, p), TimeSpan.FromSeconds(10));
            var from = Math.Max(watermarks.Low.Value, startOffsets[p]);
            assignment.Add(new TopicPartitionOffset(options.Topic, p, from));
            retained += watermarks.High - from;
        }

        if (retained < options.Messages)
        {
            progress?.Report(
                $"warning: the brokers kept {retained} of {options.Messages} messages (librdkafka's mock brokers keep " +
                "about 5 MiB per partition); reading what they kept. Use more partitions.");
        }

        var start = Stopwatch.GetTimestamp();
        long firstAt = 0;
        consumer.Assign(assignment);
        long consumed = 0;
        long bytes = 0;
        while (consumed < retained)
        {
            token.ThrowIfCancellationRequested();
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is { } message)
            {
                if (consumed == 0)
                {
                    firstAt = Stopwatch.GetTimestamp();
                }

                consumed++;
                bytes += message.Value.Length;
            }
        }

        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        consumer.Close();
        if (bytes != consumed * options.MessageBytes)
        {
            throw new InvalidOperationException($"Read {bytes} value bytes for {consumed} messages of {options.MessageBytes} bytes.");
        }

        progress?.Report($"consumed {consumed} messages in {seconds:F2} s");
        return (consumed, seconds, Stopwatch.GetElapsedTime(start, firstAt).TotalMilliseconds);
    }

    /// <summary>Acknowledgement latencies of one phase (sorted ticks) and its duration.</summary>
    private sealed record Phase(double Seconds, long[] SortedTicks)
    {
        public double Percentile(double quantile)
        {
            var index = (int)Math.Ceiling(quantile * SortedTicks.Length) - 1;
            return SortedTicks[Math.Clamp(index, 0, SortedTicks.Length - 1)] * 1000.0 / Stopwatch.Frequency;
        }
    }

    /// <summary>One idempotent producer that times every message from produce call to acknowledgement.</summary>
    private sealed class TimedProducer : IDisposable
    {
        private readonly IProducer<byte[], byte[]> _producer;
        private readonly string _topic;
        private readonly byte[] _value;
        private long _nextKey;

        public TimedProducer(string bootstrapServers, string topic, byte[] value)
        {
            _topic = topic;
            _value = value;
            _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
            {
                BootstrapServers = bootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
                LingerMs = 5,
                QueueBufferingMaxMessages = 500_000,
                ClientId = "feedbackstream-bench-producer",
            }).Build();
        }

        /// <summary>Produces <paramref name="count"/> messages, at <paramref name="ratePerSecond"/> or as fast as possible (0).</summary>
        public Phase Run(int count, int ratePerSecond, CancellationToken token)
        {
            // One slot per message: the produce timestamp, replaced by the acknowledgement latency.
            var ticks = new long[count];
            var firstKey = _nextKey;
            _nextKey += count;
            var acknowledged = 0;
            var failed = 0;
            Error? firstError = null;
            long lastAck = 0;

            void OnDelivery(DeliveryReport<byte[], byte[]> report)
            {
                var now = Stopwatch.GetTimestamp();
                var index = BinaryPrimitives.ReadInt64BigEndian(report.Message.Key) - firstKey;
                if (report.Error.IsError)
                {
                    firstError ??= report.Error;
                    Interlocked.Increment(ref failed);
                    return;
                }

                ticks[index] = now - ticks[index];
                Volatile.Write(ref lastAck, now);
                Interlocked.Increment(ref acknowledged);
            }

            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                if (ratePerSecond > 0)
                {
                    Pace(start, i, ratePerSecond, token);
                }

                var key = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(key, firstKey + i);
                var message = new Message<byte[], byte[]> { Key = key, Value = _value };

                // A full local queue is backpressure: serve delivery reports, then retry (bounded by the timeout).
                while (true)
                {
                    token.ThrowIfCancellationRequested();
                    try
                    {
                        ticks[i] = Stopwatch.GetTimestamp();
                        _producer.Produce(_topic, message, OnDelivery);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        _producer.Poll(TimeSpan.FromMilliseconds(50));
                    }
                }
            }

            while (Volatile.Read(ref acknowledged) + Volatile.Read(ref failed) < count)
            {
                token.ThrowIfCancellationRequested();
                _producer.Flush(TimeSpan.FromMilliseconds(200));
            }

            if (failed > 0)
            {
                throw new KafkaException(firstError ?? new Error(ErrorCode.Unknown, "delivery failed"));
            }

            Array.Sort(ticks);
            return new Phase(Stopwatch.GetElapsedTime(start, Volatile.Read(ref lastAck)).TotalSeconds, ticks);
        }

        public void Dispose() => _producer.Dispose();

        /// <summary>
        /// Waits, serving delivery reports in 1 ms slices, until message <paramref name="i"/> is due
        /// (so messages leave in small bursts at most 1 ms apart; each is timed from its own send).
        /// </summary>
        private void Pace(long start, int i, int ratePerSecond, CancellationToken token)
        {
            var due = TimeSpan.FromSeconds((double)i / ratePerSecond);
            while (Stopwatch.GetElapsedTime(start) < due)
            {
                token.ThrowIfCancellationRequested();
                _producer.Poll(TimeSpan.FromMilliseconds(1));
            }
        }
    }
}
