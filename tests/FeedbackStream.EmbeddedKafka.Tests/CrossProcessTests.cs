using System.Globalization;
using Confluent.Kafka;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

namespace FeedbackStream.EmbeddedKafka.Tests;

/// <summary>Clients and the cluster in different processes (the KafkaPeer helper program).</summary>
public sealed class CrossProcessTests
{
    [Fact(Timeout = 90_000)]
    public async Task ClusterHostedByAPeer_ProducedByAnotherPeer_IsConsumedCompletelyByThisProcess()
    {
        var token = TestContext.Current.CancellationToken;
        var topic = TestKafka.UniqueName("xp");
        const int Count = 20_000;
        var (host, ready) = await KafkaPeer.StartHostAsync(brokers: 3, [$"{topic}:4"], token);
        await using var hostProcess = host;
        Assert.Equal(3, ready.Brokers);
        Assert.NotEqual(Environment.ProcessId, ready.ProcessId);

        await using (var producer = KafkaPeer.Start("produce", "--bootstrap-servers", ready.BootstrapServers, "--topic", topic, "--count", Count.ToString(CultureInfo.InvariantCulture)))
        {
            var summary = await producer.WaitForLineAsync(l => l.StartsWith("ACKED", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the producer's summary", token);
            Assert.Equal($"ACKED {Count} FAILED 0", summary);
            Assert.Equal(0, await producer.WaitForExitAsync(TimeSpan.FromSeconds(30), token));
        }

        var read = new List<ConsumeResult<string, string>>();
        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = ready.BootstrapServers,
            GroupId = TestKafka.UniqueName("xp"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 10,
        }).Build())
        {
            consumer.Subscribe(topic);
            await Wait.UntilAsync(
                () =>
                {
                    TestKafka.Drain(consumer, read);
                    return read.Count >= Count;
                },
                TimeSpan.FromSeconds(60),
                $"{Count} messages from the peer-hosted cluster",
                token);
            consumer.Close();
        }

        TestKafka.AssertExactlyOnce(Enumerable.Range(0, Count).Select(i => TestKafka.Value(i)).ToHashSet(StringComparer.Ordinal), read.Select(r => r.Message.Value));
        Assert.Equal(4, read.Select(r => r.Partition.Value).Distinct().Count());

        // The host stops gracefully when its standard input closes.
        host.CloseInput();
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30), token));
    }

    [Fact(Timeout = 120_000)]
    public async Task ConsumerProcessKilledMidStream_RestartedInTheSameGroup_ResumesFromCommittedOffsetsAndLosesNothing()
    {
        var token = TestContext.Current.CancellationToken;
        await using var cluster = KafkaMockCluster.Start(brokers: 3);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        var topic = TestKafka.UniqueName("kill");
        var group = TestKafka.UniqueName("kill");
        const int Partitions = 3;
        const int Count = 12_000;
        cluster.CreateTopic(topic, Partitions);
        var produced = await TestKafka.ProduceAsync(
            new ProducerConfig { BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true, Acks = Acks.All }, topic, 0, Count, token);
        string[] consumeArgs =
        [
            "consume", "--bootstrap-servers", cluster.BootstrapServers, "--topic", topic, "--group", group,
            "--commit-every", "500", "--session-timeout-ms", "6000",
        ];

        // Run 1 reads at 3000 msg/s and is killed with SIGKILL after it committed a few times.
        ConsumerRun first;
        await using (var run1 = KafkaPeer.Start([.. consumeArgs, "--max-rate", "3000"]))
        {
            await Wait.UntilAsync(
                () => ConsumerRun.Parse(run1.Lines()) is { Messages.Count: >= 4000, Commits: >= 3 },
                TimeSpan.FromSeconds(60),
                "the first consumer to read 4000 messages and commit",
                token);
            await run1.KillHardAsync(token);
            first = ConsumerRun.Parse(run1.Lines());
        }

        Assert.True(first.Messages.Count < Count, "the first run must be stopped mid-stream");

        // Run 2 in the same group gets the partitions once the dead member's session expired.
        ConsumerRun second;
        var restartClock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? resumedAfter = null;
        await using (var run2 = KafkaPeer.Start(consumeArgs))
        {
            await run2.WaitForLineAsync(l => l.StartsWith("M ", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the second consumer's first message", token);
            resumedAfter = restartClock.Elapsed;
            await Wait.UntilAsync(
                () => first.Values.Union(ConsumerRun.Parse(run2.Lines()).Values).Count() >= Count,
                TimeSpan.FromSeconds(60),
                "the second consumer to read the rest",
                token);
            run2.CloseInput();
            Assert.Equal(0, await run2.WaitForExitAsync(TimeSpan.FromSeconds(30), token));
            second = ConsumerRun.Parse(run2.Lines());
        }

        // Nothing lost: every produced message was seen by one run or the other.
        Assert.Empty(produced.Except(first.Values.Union(second.Values)));

        foreach (var partition in Enumerable.Range(0, Partitions))
        {
            var committed = first.LastCommitted.GetValueOrDefault(partition, 0);
            var firstMax = first.Messages.Where(m => m.Partition == partition).Select(m => m.Offset).DefaultIfEmpty(-1).Max();
            var secondMessages = second.Messages.Where(m => m.Partition == partition).ToList();
            if (secondMessages.Count == 0)
            {
                // Only possible when run 1 had read the whole partition and committed it all.
                Assert.InRange(committed, 0, firstMax + 1);
                continue;
            }

            // Resumed at the committed offset: not before the last commit run 1 saw succeed, not after what it had read.
            var resumedAt = secondMessages.Min(m => m.Offset);
            Assert.InRange(resumedAt, committed, firstMax + 1);

            // Duplicates only from the uncommitted tail.
            var duplicates = secondMessages.Where(m => m.Offset <= firstMax).ToList();
            Assert.All(duplicates, d => Assert.True(d.Offset >= committed, $"offset {d.Offset} of partition {partition} was committed yet redelivered"));
        }

        Assert.True(first.LastCommitted.Values.Sum() > 0, "run 1 must have committed progress");
        var redelivered = first.Values.Intersect(second.Values).Count();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"run 1 read {first.Messages.Count} and committed {first.Commits} times; run 2 read {second.Messages.Count} " +
            $"({redelivered} redelivered from the uncommitted tail), first message {resumedAfter?.TotalSeconds:F1} s after its start");
    }

    /// <summary>What one consume peer printed: M (message) and C (commit) lines.</summary>
    private sealed record ConsumerRun(List<(int Partition, long Offset, string Value)> Messages, Dictionary<int, long> LastCommitted, int Commits)
    {
        public HashSet<string> Values => Messages.Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

        public static ConsumerRun Parse(IEnumerable<string> lines)
        {
            var messages = new List<(int, long, string)>();
            var committed = new Dictionary<int, long>();
            var commits = 0;
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                if (parts is ["M", var p, var o, var v])
                {
                    messages.Add((int.Parse(p, CultureInfo.InvariantCulture), long.Parse(o, CultureInfo.InvariantCulture), v));
                }
                else if (parts is ["C", var list])
                {
                    commits++;
                    foreach (var entry in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var po = entry.Split(':');
                        committed[int.Parse(po[0], CultureInfo.InvariantCulture)] = long.Parse(po[1], CultureInfo.InvariantCulture);
                    }
                }
            }

            return new ConsumerRun(messages, committed, commits);
        }
    }
}
