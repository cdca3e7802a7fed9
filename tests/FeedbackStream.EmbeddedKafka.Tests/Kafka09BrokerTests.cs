using System.Globalization;
using Confluent.Kafka;
using FeedbackStream.Kafka;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

namespace FeedbackStream.EmbeddedKafka.Tests;

/// <summary>One real Kafka 0.9 broker (and ZooKeeper) for the tests of <see cref="Kafka09BrokerTests"/>.</summary>
public sealed class Kafka09BrokerFixture : IAsyncLifetime
{
    private Kafka09Broker? _broker;

    public Kafka09Broker Broker => _broker ?? throw new InvalidOperationException("The broker did not start.");

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _broker = await Kafka09Broker.StartAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}

/// <summary>
/// Against a real, durable Apache Kafka 0.9.0.1 broker: what the in-memory mock cannot show
/// (a broker killed with SIGKILL and restarted on its data, a real group coordinator). The client
/// settings 0.9 needs come through <see cref="KafkaOptions"/>'s passthrough.
/// </summary>
public sealed class Kafka09BrokerTests(Kafka09BrokerFixture fixture) : IClassFixture<Kafka09BrokerFixture>
{
    private Kafka09Broker Broker => fixture.Broker;

    [Fact(Timeout = 120_000)]
    public async Task BrokerKilledWithSigkillAndRestarted_EveryAcknowledgedMessageIsReadBack()
    {
        var token = TestContext.Current.CancellationToken;
        var topic = TestKafka.UniqueName("durable");
        const int Partitions = 3;
        const int Count = 20_000;
        await Broker.CreateTopicAsync(topic, Partitions, token);
        var options = Broker.CreateOptions();
        var acked = await TestKafka.ProduceAsync(options.CreateProducerConfig(c => c.Acks = Acks.All), topic, 0, Count, token);
        Assert.Equal(Count, acked.Count);

        await Broker.KillBrokerAsync(token);
        await Broker.RestartBrokerAsync(token);
        await Broker.WaitForLeadersAsync(topic, Partitions, token);

        var read = await TestKafka.ReadAllAsync(options.CreateConsumerConfig(TestKafka.UniqueName("reader")), topic, Partitions, Count, TimeSpan.FromSeconds(60), token);
        TestKafka.AssertExactlyOnce(acked, read.Select(r => r.Value));
    }

    [Fact(Timeout = 120_000)]
    public async Task ConsumerGroupCommits_SurviveABrokerKill_NextMemberResumesExactlyThere()
    {
        var token = TestContext.Current.CancellationToken;
        var topic = TestKafka.UniqueName("group09");
        var group = TestKafka.UniqueName("group09");
        const int Partitions = 2;
        const int Count = 2_000;
        const int FirstBatch = 700;
        await Broker.CreateTopicAsync(topic, Partitions, token);
        var options = Broker.CreateOptions();
        var acked = await TestKafka.ProduceAsync(options.CreateProducerConfig(), topic, 0, Count, token);
        var consumerConfig = options.CreateConsumerConfig(group, c =>
        {
            c.AutoOffsetReset = AutoOffsetReset.Earliest;
            c.EnableAutoCommit = false;
        });

        var first = new List<ConsumeResult<string, string>>();
        List<TopicPartitionOffset> committed;
        using (var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build())
        {
            consumer.Subscribe(topic);
            await Wait.UntilAsync(
                () =>
                {
                    TestKafka.Drain(consumer, first, max: FirstBatch - first.Count);
                    return first.Count >= FirstBatch;
                },
                TimeSpan.FromSeconds(60),
                $"the first {FirstBatch} messages through the 0.9 group coordinator",
                token);
            committed = consumer.Commit();
            consumer.Close();
        }

        await Broker.KillBrokerAsync(token);
        await Broker.RestartBrokerAsync(token);
        await Broker.WaitForLeadersAsync(topic, Partitions, token);

        var second = new List<ConsumeResult<string, string>>();
        using (var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build())
        {
            consumer.Subscribe(topic);
            await Wait.UntilAsync(
                () =>
                {
                    TestKafka.Drain(consumer, second);
                    return first.Count + second.Count >= Count;
                },
                TimeSpan.FromSeconds(60),
                "the rest of the messages after the broker restart",
                token);
            consumer.Close();
        }

        Assert.Equal(FirstBatch, first.Count);
        TestKafka.AssertExactlyOnce(acked, first.Concat(second).Select(r => r.Message.Value));
        foreach (var partition in second.GroupBy(r => r.Partition.Value))
        {
            var offset = committed.Where(c => c.Partition.Value == partition.Key).Select(c => c.Offset.Value).DefaultIfEmpty(0).Max();
            Assert.Equal(Math.Max(0, offset), partition.Min(r => r.Offset.Value));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Headers_AreDroppedByThe09Broker_SoThePayloadMustCarryEverything()
    {
        var token = TestContext.Current.CancellationToken;
        var topic = TestKafka.UniqueName("headers09");
        await Broker.CreateTopicAsync(topic, 1, token);
        var options = Broker.CreateOptions();
        using (var producer = new ProducerBuilder<string, string>(options.CreateProducerConfig()).Build())
        {
            var result = await producer.ProduceAsync(
                topic,
                new Message<string, string> { Key = "k", Value = "v", Headers = new Headers { { "h", [1, 2, 3] } } },
                token);
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
        }

        var read = new List<ConsumeResult<string, string>>();
        using var consumer = new ConsumerBuilder<string, string>(options.CreateConsumerConfig(TestKafka.UniqueName("h"))).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        await Wait.UntilAsync(() => { TestKafka.Drain(consumer, read); return read.Count >= 1; }, TimeSpan.FromSeconds(30), "the message", token);

        var message = Assert.Single(read).Message;
        Assert.Equal("v", message.Value);
        Assert.Empty(message.Headers ?? []);
    }

    [Fact(Timeout = 10_000)]
    public async Task StartAsync_WhenTheDistributionIsMissing_FailsNamingTheSetupScript()
    {
        var empty = Directory.CreateTempSubdirectory("feedbackstream-no-engines-");
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(
                () => Kafka09Broker.StartAsync(TestContext.Current.CancellationToken, empty.FullName));

            Assert.Contains("scripts/setup.sh", error.Message, StringComparison.Ordinal);
            Assert.Contains(empty.FullName, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void Options_For09_ComeFromThePassthroughSections()
    {
        var options = Broker.CreateOptions();

        var producer = options.CreateProducerConfig(c => c.EnableIdempotence = true);
        var consumer = options.CreateConsumerConfig("g");

        Assert.Equal("false", producer.Get("api.version.request"));
        Assert.Equal("0.9.0.1", consumer.Get("broker.version.fallback"));
        Assert.False(producer.EnableIdempotence);
        Assert.True(consumer.SessionTimeoutMs <= 30_000, string.Create(CultureInfo.InvariantCulture, $"session timeout {consumer.SessionTimeoutMs}"));
    }
}
