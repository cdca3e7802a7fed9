using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Kafka;

namespace FeedbackStream.KafkaPeer;

/// <summary>The roles this helper process plays; each writes line-based results to standard output.</summary>
internal static class PeerRoles
{
    /// <summary>
    /// Hosts a mock cluster. Prints one JSON line (<see cref="KafkaMockClusterReady"/>) once the topics
    /// exist, then serves until stopped.
    /// </summary>
    public static async Task<int> HostAsync(PeerArguments args, TextWriter output, CancellationToken stop)
    {
        var options = new KafkaMockClusterServerOptions
        {
            Brokers = args.Int("brokers", 3),
            GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(args.Int("group-initial-rebalance-delay-ms", 0)),
        };
        foreach (var topic in args.All("topic"))
        {
            options.Topics.Add(KafkaTopicSpec.Parse(topic));
        }

        await KafkaMockClusterServer.RunAsync(options, output, stop);
        return 0;
    }

    /// <summary>
    /// Produces <c>--count</c> messages with keys <c>k-I</c> and values <c>msg-I</c> (I from
    /// <c>--first</c>, 8 digits). Prints <c>ACKED n FAILED f</c> when every delivery report arrived.
    /// </summary>
    public static async Task<int> ProduceAsync(PeerArguments args, TextWriter output, CancellationToken stop)
    {
        var options = Options(args);
        var idempotent = args.Optional("idempotent") is not { } text || bool.Parse(text);
        var config = options.CreateProducerConfig(c =>
        {
            c.EnableIdempotence = idempotent;
            c.Acks = Acks.All;
            c.LingerMs = 5;
        });
        var topic = args.Required("topic");
        var count = args.Int("count", 1000);
        var first = args.Int("first", 0);
        var acked = 0;
        var failed = 0;
        string? firstError = null;
        using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            for (var i = first; i < first + count && !stop.IsCancellationRequested; i++)
            {
                var message = new Message<string, string> { Key = $"k-{i}", Value = MessageValue(i) };
                for (var attempt = 0; attempt < 1000 && !stop.IsCancellationRequested; attempt++)
                {
                    try
                    {
                        producer.Produce(topic, message, report =>
                        {
                            if (report.Error.IsError)
                            {
                                firstError ??= report.Error.ToString();
                                Interlocked.Increment(ref failed);
                            }
                            else
                            {
                                Interlocked.Increment(ref acked);
                            }
                        });
                        break;
                    }
                    catch (ProduceException<string, string> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(20));
                    }
                }
            }

            while (Volatile.Read(ref acked) + Volatile.Read(ref failed) < count && !stop.IsCancellationRequested)
            {
                producer.Flush(TimeSpan.FromMilliseconds(100));
            }
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"ACKED {acked} FAILED {failed} {firstError}").TrimEnd());
        await output.FlushAsync(stop);
        return failed == 0 && acked == count ? 0 : 1;
    }

    /// <summary>
    /// Consumes in group <c>--group</c>. Prints <c>A p,p</c> on assignment, <c>M partition offset value</c>
    /// per message, and, every <c>--commit-every</c> messages, <c>C p:offset,...</c> (the partitions
    /// whose committed offset moved) right after a synchronous commit succeeded (every <c>M</c> line it covers is flushed before the commit).
    /// <c>--max-rate</c> paces reading (messages per second) so a test can stop it mid-stream.
    /// </summary>
    public static async Task<int> ConsumeAsync(PeerArguments args, TextWriter output, CancellationToken stop)
    {
        var options = Options(args);
        var sessionTimeoutMs = args.Optional("session-timeout-ms");
        var config = options.CreateConsumerConfig(args.Required("group"), c =>
        {
            c.AutoOffsetReset = AutoOffsetReset.Earliest;
            c.EnableAutoCommit = false;
            c.FetchWaitMaxMs = 10;
            if (sessionTimeoutMs is not null)
            {
                c.SessionTimeoutMs = int.Parse(sessionTimeoutMs, CultureInfo.InvariantCulture);
                c.HeartbeatIntervalMs = Math.Max(100, c.SessionTimeoutMs.Value / 6);
            }
        });
        var commitEvery = args.Int("commit-every", 500);
        var maxRate = args.Int("max-rate", 0);
        var lines = new StringBuilder();

        using var consumer = new ConsumerBuilder<string, string>(config)
            .SetPartitionsAssignedHandler((_, partitions) =>
                lines.Append("A ").AppendJoin(',', partitions.Select(p => p.Partition.Value)).Append('\n'))
            .SetPartitionsRevokedHandler((_, partitions) =>
                lines.Append("R ").AppendJoin(',', partitions.Select(p => p.Partition.Value)).Append('\n'))
            .Build();
        consumer.Subscribe(args.Required("topic"));

        var clock = Stopwatch.StartNew();
        long consumed = 0;
        var sinceCommit = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result?.Message is null)
                {
                    await FlushAsync(lines, output, stop);
                    continue;
                }

                lines.Append(CultureInfo.InvariantCulture, $"M {result.Partition.Value} {result.Offset.Value} {result.Message.Value}\n");
                consumed++;
                if (++sinceCommit >= commitEvery)
                {
                    await CommitAsync(consumer, lines, output, stop);
                    sinceCommit = 0;
                }
                else if (lines.Length > 8192)
                {
                    await FlushAsync(lines, output, stop);
                }

                if (maxRate > 0)
                {
                    var ahead = TimeSpan.FromSeconds((double)consumed / maxRate) - clock.Elapsed;
                    if (ahead > TimeSpan.FromMilliseconds(5))
                    {
                        await FlushAsync(lines, output, stop);
                        await Task.Delay(ahead < TimeSpan.FromSeconds(1) ? ahead : TimeSpan.FromSeconds(1), stop);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping is the normal end.
        }

        if (sinceCommit > 0)
        {
            await CommitAsync(consumer, lines, output, CancellationToken.None);
        }

        consumer.Close();
        await FlushAsync(lines, output, CancellationToken.None);
        return 0;
    }

    /// <summary>The value the producer role writes for message number <paramref name="i"/>.</summary>
    public static string MessageValue(long i) => string.Create(CultureInfo.InvariantCulture, $"msg-{i:D8}");

    private static async Task CommitAsync(IConsumer<string, string> consumer, StringBuilder lines, TextWriter output, CancellationToken token)
    {
        // Every M line the commit covers is out before the commit is made.
        await FlushAsync(lines, output, token);
        try
        {
            var committed = consumer.Commit();
            lines.Append("C ")
                .AppendJoin(',', committed.Where(c => c.Offset.Value >= 0).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Partition.Value}:{c.Offset.Value}")))
                .Append('\n');
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.Local_NoOffset)
        {
            // Nothing consumed since the last commit (e.g. right after a rebalance).
        }

        await FlushAsync(lines, output, token);
    }

    private static async Task FlushAsync(StringBuilder lines, TextWriter output, CancellationToken token)
    {
        if (lines.Length > 0)
        {
            await output.WriteAsync(lines, token);
            lines.Clear();
        }

        await output.FlushAsync(token);
    }

    private static KafkaOptions Options(PeerArguments args)
    {
        var options = new KafkaOptions { BootstrapServers = args.Required("bootstrap-servers"), ClientId = "feedbackstream-kafka-peer" };
        foreach (var (key, value) in args.Properties())
        {
            options.Client[key] = value;
        }

        return options;
    }
}
