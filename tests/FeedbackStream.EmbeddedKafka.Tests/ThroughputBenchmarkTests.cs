namespace FeedbackStream.EmbeddedKafka.Tests;

/// <summary>The benchmark behind <c>feedbackstream bench kafka</c> (behaviour only; figures come from the command).</summary>
public sealed class ThroughputBenchmarkTests
{
    [Fact(Timeout = 60_000)]
    public async Task Run_SmallLoad_ProducesAndReadsBackEveryMessage()
    {
        var progress = new List<string>();
        var result = await KafkaThroughputBenchmark.RunAsync(
            new KafkaThroughputBenchmarkOptions
            {
                Messages = 20_000,
                MessageBytes = 32,
                Partitions = 4,
                Brokers = 2,
                LatencyMessages = 500,
                LatencyRatePerSecond = 2_000,
                Timeout = TimeSpan.FromSeconds(50),
            },
            new InlineProgress(progress),
            TestContext.Current.CancellationToken);

        Assert.Equal(20_000, result.Messages);
        Assert.Equal(20_000, result.ConsumedMessages);
        Assert.True(result.ProduceMsgsPerSec > 0 && result.ConsumeMsgsPerSec > 0);
        Assert.InRange(result.ProduceLatencyP50Ms, 0, result.ProduceLatencyP99Ms);
        Assert.InRange(result.ProduceLatencyP99Ms, result.ProduceLatencyP50Ms, result.ProduceLatencyMaxMs);
        Assert.True(result.InProcessCluster);
        Assert.Contains(progress, p => p.StartsWith("consumed 20000", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task Run_AgainstAServedClusterInAnotherProcess_ReadsOnlyItsOwnMessages()
    {
        var token = TestContext.Current.CancellationToken;
        var (host, ready) = await Infrastructure.KafkaPeer.StartHostAsync(brokers: 2, ["bench.served:3"], token);
        await using var hostProcess = host;
        var options = new KafkaThroughputBenchmarkOptions
        {
            Messages = 10_000,
            LatencyMessages = 200,
            BootstrapServers = ready.BootstrapServers,
            Topic = "bench.served",
            Timeout = TimeSpan.FromSeconds(50),
        };

        var first = await KafkaThroughputBenchmark.RunAsync(options, null, token);
        var second = await KafkaThroughputBenchmark.RunAsync(options, null, token);

        Assert.False(second.InProcessCluster);
        Assert.Equal((3, 2), (second.Partitions, second.Brokers));
        Assert.Equal(10_000, first.ConsumedMessages);
        Assert.Equal(10_000, second.ConsumedMessages);
    }

    [Fact(Timeout = 30_000)]
    public async Task Run_BeyondTheTimeout_ThrowsTimeoutException()
    {
        await Assert.ThrowsAsync<TimeoutException>(() => KafkaThroughputBenchmark.RunAsync(
            new KafkaThroughputBenchmarkOptions { Messages = 2_000_000, Partitions = 64, Timeout = TimeSpan.FromMilliseconds(300) },
            null,
            TestContext.Current.CancellationToken));
    }

    private sealed class InlineProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines)
            {
                lines.Add(value);
            }
        }
    }
}
