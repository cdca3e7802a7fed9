using System.Text;
using Confluent.Kafka;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

namespace FeedbackStream.EmbeddedKafka.Tests;

/// <summary>The mock cluster hosted in the test process, used by clients in the same process.</summary>
public sealed class MockClusterTests
{
    [Fact]
    public void Start_WithThreeBrokers_MetadataListsThreeBrokersOnLoopbackAndTheTopicsPartitions()
    {
        using var cluster = KafkaMockCluster.Start(brokers: 3);
        var topic = TestKafka.UniqueName("meta");
        cluster.CreateTopic(topic, partitions: 5, replicationFactor: 3);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));

        Assert.Equal([1, 2, 3], metadata.Brokers.Select(b => b.BrokerId).Order());
        Assert.All(metadata.Brokers, b => Assert.Equal("127.0.0.1", b.Host));
        Assert.Equal(3, cluster.BootstrapServers.Split(',').Length);
        var t = Assert.Single(metadata.Topics);
        Assert.False(t.Error.IsError, t.Error.ToString());
        Assert.Equal(5, t.Partitions.Count);
        Assert.All(t.Partitions, p => Assert.Equal(3, p.Replicas.Length));
        Assert.All(t.Partitions, p => Assert.InRange(p.Leader, 1, 3));
    }

    [Fact(Timeout = 60_000)]
    public async Task ProduceThenConsume_RoundTrip_ReturnsEveryMessageOnceWithItsKeyAndHeaders()
    {
        await using var cluster = KafkaMockCluster.Start(brokers: 3);
        var topic = TestKafka.UniqueName("roundtrip");
        cluster.CreateTopic(topic, partitions: 4, replicationFactor: 2);
        const int Count = 2000;

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
        }).Build())
        {
            for (var i = 0; i < Count; i++)
            {
                var headers = new Headers { { "seq", Encoding.ASCII.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) } };
                TestKafka.ProduceWithBackpressure(producer, topic, new Message<string, string> { Key = $"k-{i}", Value = TestKafka.Value(i), Headers = headers }, _ => { }, TestContext.Current.CancellationToken);
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        var read = new List<ConsumeResult<string, string>>();
        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = TestKafka.UniqueName("roundtrip"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build())
        {
            consumer.Assign(Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
            await Wait.UntilAsync(
                () =>
                {
                    TestKafka.Drain(consumer, read);
                    return read.Count >= Count;
                },
                TimeSpan.FromSeconds(30),
                $"{Count} messages",
                TestContext.Current.CancellationToken);
        }

        TestKafka.AssertExactlyOnce(Enumerable.Range(0, Count).Select(i => TestKafka.Value(i)).ToHashSet(), read.Select(r => r.Message.Value));
        Assert.Equal(4, read.Select(r => r.Partition.Value).Distinct().Count());
        Assert.All(read, r =>
        {
            var i = int.Parse(r.Message.Value.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"k-{i}", r.Message.Key);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(r.Message.Headers.GetLastBytes("seq")));
        });

        // Per partition, offsets are dense from 0: nothing skipped.
        foreach (var partition in read.GroupBy(r => r.Partition.Value))
        {
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(o => (long)o), partition.Select(r => r.Offset.Value).Order());
        }
    }

    [Fact]
    public void Start_WithAnUnknownHandleProperty_FailsWithLibrdkafkasReason()
    {
        var error = Assert.Throws<ArgumentException>(() => KafkaMockCluster.Start(1, new Dictionary<string, string> { ["no.such.property"] = "1" }));

        Assert.Contains("No such configuration property", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BrokerControls_RejectUnknownBrokerIds()
    {
        using var cluster = KafkaMockCluster.Start(brokers: 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetBrokerDown(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetBrokerUp(0));
        cluster.SetBrokerDown(-1);
        cluster.SetBrokerUp(-1);
    }

    [Fact]
    public void CreateTopic_WhenItExists_FailsWithTopicAlreadyExists()
    {
        using var cluster = KafkaMockCluster.Start(brokers: 1);
        cluster.CreateTopic("dup", 1);

        var error = Assert.Throws<KafkaException>(() => cluster.CreateTopic("dup", 2));

        Assert.Equal(ErrorCode.TopicAlreadyExists, error.Error.Code);
    }

    [Fact(Timeout = 30_000)]
    public async Task Produce_ToUnknownTopic_AutoCreatesItWithFourPartitions()
    {
        using var cluster = KafkaMockCluster.Start(brokers: 2);
        var topic = TestKafka.UniqueName("auto");
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            var result = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "x" }, TestContext.Current.CancellationToken);
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        Assert.Equal(4, Assert.Single(metadata.Topics).Partitions.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task ConsumerGroup_AfterCommitAndClose_NextMemberResumesAtTheCommittedOffsets()
    {
        using var cluster = KafkaMockCluster.Start(brokers: 3);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        var topic = TestKafka.UniqueName("group");
        cluster.CreateTopic(topic, partitions: 3);
        var producerConfig = new ProducerConfig { BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true };
        var all = await TestKafka.ProduceAsync(producerConfig, topic, 0, 300, TestContext.Current.CancellationToken);
        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = TestKafka.UniqueName("group"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,

            // The mock keeps a member that left until its session times out; the next member waits that long.
            SessionTimeoutMs = 3000,
            HeartbeatIntervalMs = 500,
        };

        var first = new List<ConsumeResult<string, string>>();
        List<TopicPartitionOffset> committed;
        using (var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build())
        {
            consumer.Subscribe(topic);
            await Wait.UntilAsync(
                () =>
                {
                    TestKafka.Drain(consumer, first, max: 120 - first.Count);
                    return first.Count >= 120;
                },
                TimeSpan.FromSeconds(30),
                "the first 120 messages",
                TestContext.Current.CancellationToken);
            committed = consumer.Commit();
            consumer.Close();
        }

        var second = new List<ConsumeResult<string, string>>();
        using (var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build())
        {
            consumer.Subscribe(topic);
            await Wait.UntilAsync(
                () =>
                {
                    TestKafka.Drain(consumer, second);
                    return first.Count + second.Count >= all.Count;
                },
                TimeSpan.FromSeconds(30),
                "the rest of the messages",
                TestContext.Current.CancellationToken);
            consumer.Close();
        }

        TestKafka.AssertExactlyOnce(all, first.Concat(second).Select(r => r.Message.Value));
        Assert.Equal(120, first.Count);
        foreach (var partition in second.GroupBy(r => r.Partition.Value))
        {
            var committedOffset = committed.SingleOrDefault(c => c.Partition.Value == partition.Key)?.Offset.Value ?? 0;
            Assert.Equal(Math.Max(committedOffset, 0), partition.Min(r => r.Offset.Value));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Partition_BeyondAboutFiveMiB_DropsItsOldestMessages()
    {
        // A measured property of librdkafka 2.16's mock brokers, documented on KafkaMockCluster:
        // a consumer lagging by more than this loses data in the embedded mode.
        using var cluster = KafkaMockCluster.Start(brokers: 1);
        var topic = TestKafka.UniqueName("retention");
        cluster.CreateTopic(topic, partitions: 1);
        const int ValueBytes = 1024;
        const int Count = 8 * 1024; // 8 MiB of values
        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, LingerMs = 5 }).Build())
        {
            var value = new byte[ValueBytes];
            for (var i = 0; i < Count; i++)
            {
                TestKafka.ProduceWithBackpressure(producer, topic, new Message<Null, byte[]> { Value = value }, _ => { }, TestContext.Current.CancellationToken);
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        using var consumer = new ConsumerBuilder<Null, byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "w" }).Build();
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(10));
        var retainedMiB = (watermarks.High - watermarks.Low) * (double)ValueBytes / (1024 * 1024);

        Assert.Equal(Count, watermarks.High.Value);
        Assert.True(watermarks.Low > 0, "expected the oldest messages to be dropped");
        Assert.InRange(retainedMiB, 4.0, 5.5);
    }
}
