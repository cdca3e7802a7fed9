using System.Collections.Concurrent;
using Confluent.Kafka;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

namespace FeedbackStream.EmbeddedKafka.Tests;

/// <summary>Faults injected through the mock cluster while an idempotent producer is writing.</summary>
public sealed class FaultInjectionTests
{
    [Fact(Timeout = 90_000)]
    public async Task IdempotentProducer_WhenALeaderBrokerGoesDownAndUpMidLoop_EveryAcknowledgedMessageIsReadBackOnce()
    {
        var token = TestContext.Current.CancellationToken;
        await using var cluster = KafkaMockCluster.Start(brokers: 3);
        var topic = TestKafka.UniqueName("down");
        const int Partitions = 6;
        const int Count = 40_000;
        cluster.CreateTopic(topic, Partitions, replicationFactor: 3);

        // A known layout: broker b leads partitions 2(b-1) and 2(b-1)+1; broker 1 goes down.
        for (var p = 0; p < Partitions; p++)
        {
            cluster.SetPartitionLeader(topic, p, (p / 2) + 1);
        }

        const int Victim = 1;

        var acked = new ConcurrentBag<string>();
        var ackedPerPartition = new int[Partitions];
        var failed = new ConcurrentBag<Error>();
        var victimDisconnects = 0;
        var reports = 0;
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 2,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 200,
        })
        .SetLogHandler((_, log) =>
        {
            // librdkafka reports a lost broker connection as an informational FAIL log, not as an error.
            if (log.Facility == "FAIL" && log.Message.Contains($"/{Victim}:", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref victimDisconnects);
            }
        })
        .Build();

        // The loop produces at a steady pace in the background while the broker goes down and up. It holds at 6,000
        // messages until the broker is down, so the outage always lands mid-loop (on a fast run the loop could
        // otherwise finish first, and an idle producer never notices the lost broker).
        var outage = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = Task.Run(
            async () =>
            {
                for (var i = 0; i < Count; i++)
                {
                    if (i == 6_000)
                    {
                        await outage.Task.WaitAsync(TimeSpan.FromSeconds(60), token);
                    }

                    var message = new Message<string, string> { Key = $"k-{i}", Value = TestKafka.Value(i) };
                    TestKafka.ProduceWithBackpressure(producer, topic, message, report =>
                    {
                        if (report.Error.IsError)
                        {
                            failed.Add(report.Error);
                        }
                        else
                        {
                            acked.Add(report.Message.Value);
                            Interlocked.Increment(ref ackedPerPartition[report.Partition.Value]);
                        }

                        Interlocked.Increment(ref reports);
                    }, token);
                    if (i % 200 == 199)
                    {
                        await Task.Delay(5, token);
                    }
                }
            },
            token);

        await Wait.UntilAsync(() => acked.Count >= 5_000, TimeSpan.FromSeconds(30), "5000 acknowledgements before the outage", token);
        cluster.SetBrokerDown(Victim);
        var ackedAtDown = acked.Count;
        outage.SetResult();

        // Down until the producer lost its connection to the victim and the other brokers' partitions kept taking
        // messages. (Whether the victim's partitions take none meanwhile is timing-dependent: batches already in
        // flight when the connection dropped may still be acknowledged, so that is not asserted.)
        await Wait.UntilAsync(() => Volatile.Read(ref victimDisconnects) > 0, TimeSpan.FromSeconds(30), $"the producer to lose broker {Victim}", token);
        await Wait.UntilAsync(() => acked.Count >= ackedAtDown + 1_500, TimeSpan.FromSeconds(30), "1500 more acknowledgements from the other brokers", token);
        cluster.SetBrokerUp(Victim);

        await loop;
        await TestKafka.FlushAsync(producer, () => Volatile.Read(ref reports) >= Count, TimeSpan.FromSeconds(60), token);

        Assert.Empty(failed);
        Assert.Equal(Count, acked.Count);
        var read = await TestKafka.ReadAllAsync(
            new ConsumerConfig { BootstrapServers = cluster.BootstrapServers }, topic, Partitions, Count, TimeSpan.FromSeconds(60), token);
        TestKafka.AssertExactlyOnce(acked.ToHashSet(StringComparer.Ordinal), read.Select(r => r.Value));
    }

    [Fact(Timeout = 60_000)]
    public async Task IdempotentProducer_WhenProduceRequestsFailWithRetriableErrors_RetriesAndLosesNothing()
    {
        var token = TestContext.Current.CancellationToken;
        await using var cluster = KafkaMockCluster.Start(brokers: 3);
        var topic = TestKafka.UniqueName("errors");
        const int Partitions = 3;
        const int Count = 5_000;
        cluster.CreateTopic(topic, Partitions, replicationFactor: 3);
        ErrorCode[] injected =
        [
            ErrorCode.NotLeaderForPartition,
            ErrorCode.RequestTimedOut,
            ErrorCode.NotEnoughReplicas,
            ErrorCode.Local_Transport,
            ErrorCode.NotEnoughReplicasAfterAppend,
            ErrorCode.LeaderNotAvailable,
            ErrorCode.RequestTimedOut,
            ErrorCode.NotLeaderForPartition,
        ];
        cluster.StartRequestTracking();
        cluster.PushRequestErrors(KafkaApiKey.Produce, injected);

        var acked = await TestKafka.ProduceAsync(
            new ProducerConfig
            {
                BootstrapServers = cluster.BootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
                RetryBackoffMs = 10,
                RetryBackoffMaxMs = 50,
            },
            topic,
            first: 0,
            count: Count,
            token);

        var produceRequests = cluster.GetRequests().Count(r => r.ApiKey == KafkaApiKey.Produce);
        cluster.StopRequestTracking();
        Assert.True(produceRequests > injected.Length, $"only {produceRequests} Produce requests for {injected.Length} injected errors");
        Assert.Equal(Count, acked.Count);
        var read = await TestKafka.ReadAllAsync(
            new ConsumerConfig { BootstrapServers = cluster.BootstrapServers }, topic, Partitions, Count, TimeSpan.FromSeconds(30), token);
        TestKafka.AssertExactlyOnce(acked, read.Select(r => r.Value));
    }

    [Fact(Timeout = 30_000)]
    public async Task NonRetriableInjectedError_FailsTheDeliveryInsteadOfReportingSuccess()
    {
        // The control case: a fault the producer cannot retry must surface, or the tests above prove nothing.
        var token = TestContext.Current.CancellationToken;
        await using var cluster = KafkaMockCluster.Start(brokers: 1);
        var topic = TestKafka.UniqueName("fatal");
        cluster.CreateTopic(topic, 1);
        cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.TopicAuthorizationFailed);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, Acks = Acks.All }).Build();

        var error = await Assert.ThrowsAsync<ProduceException<Null, string>>(
            () => producer.ProduceAsync(topic, new Message<Null, string> { Value = "x" }, token));

        Assert.Equal(ErrorCode.TopicAuthorizationFailed, error.Error.Code);
    }
}
