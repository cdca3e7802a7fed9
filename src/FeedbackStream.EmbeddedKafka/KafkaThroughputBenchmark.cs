using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;

namespace FeedbackStream.EmbeddedKafka;

/// <summary>What <see cref="KafkaThroughputBenchmark"/> measures.</summary>
public sealed class KafkaThroughputBenchmarkOptions
{
    /// <summary>Messages to produce and consume.</summary>
    public int Messages { get; set; } = 300_000;

    /// <summary>Value size in bytes (keys are 8 more bytes).</summary>
    public int MessageBytes { get; set; } = 64;

    /// <summary>Partitions of the benchmark topic.</summary>
    public int Partitions { get; set; } = 6;

    /// <summary>Mock brokers.</summary>
    public int Brokers { get; set; } = 3;

    /// <summary>The whole run (cluster start, produce, consume) must end within this.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(120);
}

/// <summary>Figures of one benchmark run.</summary>
/// <param name="Messages">Messages produced (all acknowledged).</param>
/// <param name="MessageBytes">Value size in bytes.</param>
/// <param name="Partitions">Topic partitions.</param>
/// <param name="Brokers">Mock brokers.</param>
/// <param name="ProduceSeconds">From the first produce call to the last acknowledgement.</param>
/// <param name="ProduceMsgsPerSec">Acknowledged messages per second.</param>
/// <param name="ProduceMbPerSec">Acknowledged value megabytes (10^6 bytes) per second.</param>
/// <param name="ProduceLatencyP50Ms">Median time from produce call to acknowledgement, under full load.</param>
/// <param name="ProduceLatencyP99Ms">99th percentile of the same.</param>
/// <param name="ProduceLatencyMaxMs">Maximum of the same.</param>
/// <param name="ConsumedMessages">Messages read back (all the brokers kept; see <see cref="KafkaMockCluster"/> on retention).</param>
/// <param name="ConsumeSeconds">From assignment to the last message read.</param>
/// <param name="ConsumeMsgsPerSec">Messages read per second.</param>
/// <param name="ConsumeMbPerSec">Value megabytes read per second.</param>
/// <param name="ConsumeFirstMessageMs">From assignment to the first message read.</param>
/// <param name="LibrdkafkaVersion">Native librdkafka version.</param>
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
    long ConsumedMessages,
    double ConsumeSeconds,
    double ConsumeMsgsPerSec,
    double ConsumeMbPerSec,
    double ConsumeFirstMessageMs,
    string LibrdkafkaVersion);

/// <summary>
/// Produces N messages to an in-process mock cluster with an idempotent producer (acks=all) and
/// reads them back with a consumer tuned for throughput (fetch.wait.max.ms=10, larger fetches).
/// Producer, consumer and the cluster share this process (and its cores).
/// </summary>
public static class KafkaThroughputBenchmark
{
    private const string Topic = "bench.throughput";

    /// <summary>Runs the benchmark; throws <see cref="TimeoutException"/> when it overruns <see cref="KafkaThroughputBenchmarkOptions.Timeout"/>.</summary>
    public static async Task<KafkaThroughputBenchmarkResult> RunAsync(
        KafkaThroughputBenchmarkOptions options,
        IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Messages, 1);
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
        using var cluster = KafkaMockCluster.Start(options.Brokers);
        cluster.CreateTopic(Topic, options.Partitions, Math.Min(options.Brokers, 3));
        progress?.Report($"mock cluster with {options.Brokers} brokers at {cluster.BootstrapServers}");

        var (produceSeconds, latencies) = Produce(cluster.BootstrapServers, options, progress, token);
        var (consumed, consumeSeconds, firstMessageMs) = Consume(cluster.BootstrapServers, options, progress, token);

        Array.Sort(latencies);
        var n = options.Messages;
        var megabytes = (double)n * options.MessageBytes / 1e6;
        return new KafkaThroughputBenchmarkResult(
            Messages: n,
            MessageBytes: options.MessageBytes,
            Partitions: options.Partitions,
            Brokers: options.Brokers,
            ProduceSeconds: Math.Round(produceSeconds, 3),
            ProduceMsgsPerSec: Math.Round(n / produceSeconds),
            ProduceMbPerSec: Math.Round(megabytes / produceSeconds, 2),
            ProduceLatencyP50Ms: Math.Round(Percentile(latencies, 0.50), 2),
            ProduceLatencyP99Ms: Math.Round(Percentile(latencies, 0.99), 2),
            ProduceLatencyMaxMs: Math.Round(latencies[^1], 2),
            ConsumedMessages: consumed,
            ConsumeSeconds: Math.Round(consumeSeconds, 3),
            ConsumeMsgsPerSec: Math.Round(consumed / consumeSeconds),
            ConsumeMbPerSec: Math.Round((double)consumed * options.MessageBytes / 1e6 / consumeSeconds, 2),
            ConsumeFirstMessageMs: Math.Round(firstMessageMs, 1),
            LibrdkafkaVersion: KafkaMockCluster.LibrdkafkaVersion);
    }

    private static (double Seconds, double[] LatenciesMs) Produce(
        string bootstrapServers,
        KafkaThroughputBenchmarkOptions options,
        IProgress<string>? progress,
        CancellationToken token)
    {
        var n = options.Messages;
        var sentAt = new long[n];
        var latencies = new double[n];
        var acknowledged = 0;
        var failed = 0;
        Error? firstError = null;
        long lastAck = 0;
        var value = new byte[options.MessageBytes];
        new Random(42).NextBytes(value);

        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
            QueueBufferingMaxMessages = 500_000,
            ClientId = "feedbackstream-bench-producer",
        };
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();

        void OnDelivery(DeliveryReport<byte[], byte[]> report)
        {
            var now = Stopwatch.GetTimestamp();
            var index = BinaryPrimitives.ReadInt64BigEndian(report.Message.Key);
            if (report.Error.IsError)
            {
                firstError ??= report.Error;
                Interlocked.Increment(ref failed);
                return;
            }

            latencies[index] = Stopwatch.GetElapsedTime(sentAt[index], now).TotalMilliseconds;
            lastAck = now;
            Interlocked.Increment(ref acknowledged);
        }

        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            var key = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(key, i);
            var message = new Message<byte[], byte[]> { Key = key, Value = value };

            // A full local queue is backpressure: serve delivery reports, then retry (bounded by the timeout).
            while (true)
            {
                token.ThrowIfCancellationRequested();
                try
                {
                    sentAt[i] = Stopwatch.GetTimestamp();
                    producer.Produce(Topic, message, OnDelivery);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }

        while (Volatile.Read(ref acknowledged) + Volatile.Read(ref failed) < n)
        {
            token.ThrowIfCancellationRequested();
            producer.Flush(TimeSpan.FromMilliseconds(200));
        }

        if (failed > 0)
        {
            throw new KafkaException(firstError ?? new Error(ErrorCode.Unknown, "delivery failed"));
        }

        var seconds = Stopwatch.GetElapsedTime(start, Volatile.Read(ref lastAck)).TotalSeconds;
        progress?.Report($"produced {n} messages in {seconds:F2} s");
        return (seconds, latencies);
    }

    private static (long Consumed, double Seconds, double FirstMessageMs) Consume(
        string bootstrapServers,
        KafkaThroughputBenchmarkOptions options,
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
        for (var p = 0; p < options.Partitions; p++)
        {
            var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(Topic, p), TimeSpan.FromSeconds(10));
            assignment.Add(new TopicPartitionOffset(Topic, p, watermarks.Low));
            retained += watermarks.High - watermarks.Low;
        }

        if (retained < options.Messages)
        {
            progress?.Report(
                $"warning: the mock brokers kept {retained} of {options.Messages} messages " +
                "(they retain about 5 MiB per partition); reading what they kept. Use more partitions.");
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

    private static double Percentile(double[] sorted, double quantile)
    {
        var index = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
