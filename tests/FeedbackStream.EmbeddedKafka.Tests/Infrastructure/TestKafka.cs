using System.Globalization;
using Confluent.Kafka;

namespace FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

/// <summary>Small produce/consume helpers shared by the integration tests.</summary>
internal static class TestKafka
{
    /// <summary>A topic or group name no other test uses.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>The value of message number <paramref name="i"/> (the same format as the peer's producer).</summary>
    public static string Value(long i) => string.Create(CultureInfo.InvariantCulture, $"msg-{i:D8}");

    /// <summary>Produces values <c>msg-first..msg-(first+count-1)</c> and waits for every delivery report; returns the acknowledged values.</summary>
    public static async Task<HashSet<string>> ProduceAsync(
        ProducerConfig config,
        string topic,
        int first,
        int count,
        CancellationToken cancellationToken)
    {
        var acked = new HashSet<string>(StringComparer.Ordinal);
        var failures = new List<Error>();
        var reports = 0;
        using var producer = new ProducerBuilder<string, string>(config).Build();
        for (var i = first; i < first + count; i++)
        {
            var message = new Message<string, string> { Key = $"k-{i}", Value = Value(i) };
            ProduceWithBackpressure(producer, topic, message, report =>
            {
                lock (acked)
                {
                    if (report.Error.IsError)
                    {
                        failures.Add(report.Error);
                    }
                    else
                    {
                        acked.Add(report.Message.Value);
                    }
                }

                Interlocked.Increment(ref reports);
            }, cancellationToken);
        }

        await FlushAsync(producer, () => Volatile.Read(ref reports) >= count, TimeSpan.FromSeconds(60), cancellationToken);
        lock (acked)
        {
            Assert.True(failures.Count == 0, $"{failures.Count} deliveries failed, first: {failures.FirstOrDefault()}");
            return acked;
        }
    }

    /// <summary>Produces, polling delivery reports while the local queue is full (bounded by the token).</summary>
    public static void ProduceWithBackpressure<TKey, TValue>(
        IProducer<TKey, TValue> producer,
        string topic,
        Message<TKey, TValue> message,
        Action<DeliveryReport<TKey, TValue>> onDelivery,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                producer.Produce(topic, message, onDelivery);
                return;
            }
            catch (ProduceException<TKey, TValue> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(20));
            }
        }
    }

    /// <summary>Flushes until <paramref name="done"/> holds or the deadline passes.</summary>
    public static async Task FlushAsync<TKey, TValue>(IProducer<TKey, TValue> producer, Func<bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await Wait.UntilAsync(
            () =>
            {
                producer.Flush(TimeSpan.FromMilliseconds(50));
                return done();
            },
            timeout,
            "every delivery report",
            cancellationToken);
    }

    /// <summary>
    /// Reads every partition of <paramref name="topic"/> from its first offset (no consumer group)
    /// until <paramref name="expected"/> messages arrived; returns (partition, offset, value) in read order.
    /// </summary>
    public static async Task<List<(int Partition, long Offset, string Value)>> ReadAllAsync(
        ConsumerConfig config,
        string topic,
        int partitions,
        int expected,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var read = new List<(int, long, string)>();
        config.EnableAutoCommit = false;
        config.GroupId ??= UniqueName("reader");
        using var consumer = new ConsumerBuilder<string, string>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        await Wait.UntilAsync(
            () =>
            {
                // Drain what is there in short slices so the deadline is checked between them.
                for (var i = 0; i < 5000; i++)
                {
                    var result = consumer.Consume(TimeSpan.FromMilliseconds(i == 0 ? 100 : 0));
                    if (result?.Message is null)
                    {
                        break;
                    }

                    read.Add((result.Partition.Value, result.Offset.Value, result.Message.Value));
                }

                return read.Count >= expected;
            },
            timeout,
            $"{expected} messages from {topic} (read {read.Count})",
            cancellationToken);

        // Anything beyond the expected count (a duplicate) would still be in flight: read briefly for it.
        var extraDeadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(500);
        while (DateTime.UtcNow < extraDeadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(50));
            if (result?.Message is not null)
            {
                read.Add((result.Partition.Value, result.Offset.Value, result.Message.Value));
            }
        }

        consumer.Close();
        return read;
    }

    /// <summary>
    /// Moves the messages ready now (up to <paramref name="max"/>) into <paramref name="into"/>; waits
    /// at most 100 ms for the first. For use inside <see cref="Wait.UntilAsync(Func{bool}, TimeSpan, string, CancellationToken)"/>.
    /// </summary>
    public static void Drain<TKey, TValue>(IConsumer<TKey, TValue> consumer, List<ConsumeResult<TKey, TValue>> into, int max = 5000)
    {
        for (var i = 0; i < max; i++)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(i == 0 ? 100 : 0));
            if (result?.Message is null)
            {
                return;
            }

            into.Add(result);
        }
    }

    /// <summary>Asserts that <paramref name="read"/> holds each of <paramref name="expected"/> exactly once.</summary>
    public static void AssertExactlyOnce(IReadOnlyCollection<string> expected, IEnumerable<string> read)
    {
        var counts = read.GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var missing = expected.Where(v => !counts.ContainsKey(v)).ToList();
        var duplicated = counts.Where(c => c.Value > 1).Select(c => c.Key).ToList();
        var unexpected = counts.Keys.Where(v => !expected.Contains(v)).ToList();
        Assert.True(
            missing.Count == 0 && duplicated.Count == 0 && unexpected.Count == 0,
            $"missing {missing.Count} (e.g. {string.Join(", ", missing.Take(5))}), duplicated {duplicated.Count} " +
            $"(e.g. {string.Join(", ", duplicated.Take(5))}), unexpected {unexpected.Count}");
    }
}
