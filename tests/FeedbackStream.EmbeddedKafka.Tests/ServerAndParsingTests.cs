using Confluent.Kafka;

namespace FeedbackStream.EmbeddedKafka.Tests;

/// <summary>Topic specifications, the server announcement line, and the native library in use.</summary>
public sealed class ServerAndParsingTests
{
    [Theory]
    [InlineData("events", "events", 1, 1)]
    [InlineData("feedback.events.v1:6", "feedback.events.v1", 6, 1)]
    [InlineData("a_b-c:3:2", "a_b-c", 3, 2)]
    public void KafkaTopicSpec_Parse_ReadsNamePartitionsAndReplication(string text, string name, int partitions, int replication)
    {
        Assert.Equal(new KafkaTopicSpec(name, partitions, replication), KafkaTopicSpec.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData(":3")]
    [InlineData("t:0")]
    [InlineData("t:x")]
    [InlineData("t:1:0")]
    [InlineData("t:1:1:1")]
    [InlineData("bad name:1")]
    public void KafkaTopicSpec_TryParse_RejectsMalformedText(string text)
    {
        Assert.False(KafkaTopicSpec.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Announcement_RoundTripsThroughOneSnakeCaseJsonLine()
    {
        var ready = new KafkaMockClusterReady("127.0.0.1:1,127.0.0.1:2", 2, [new KafkaTopicSpec("t", 3)], 42);

        var line = ready.ToJsonLine();

        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("{\"bootstrap_servers\":\"127.0.0.1:1,127.0.0.1:2\",\"brokers\":2,", line, StringComparison.Ordinal);
        Assert.Contains("\"replication_factor\":1", line, StringComparison.Ordinal);
        Assert.True(KafkaMockClusterReady.TryParse(line, out var parsed));
        Assert.Equal(ready.BootstrapServers, parsed.BootstrapServers);
        Assert.Equal(ready.Topics, parsed.Topics);
        Assert.False(KafkaMockClusterReady.TryParse("Kafka mock cluster: 2 brokers", out _));
    }

    [Fact]
    public async Task Server_AnnouncesOnceWithTheTopics_AndStopsWhenCancelled()
    {
        var token = TestContext.Current.CancellationToken;
        var options = new KafkaMockClusterServerOptions { Brokers = 2 };
        options.Topics.Add(new KafkaTopicSpec("served", 2));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var announced = new TaskCompletionSource<KafkaMockClusterReady>(TaskCreationOptions.RunContinuationsAsynchronously);

        var serving = KafkaMockClusterServer.RunAsync(options, r => announced.TrySetResult(r), stop.Token);
        var ready = await announced.Task.WaitAsync(TimeSpan.FromSeconds(30), token);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = ready.BootstrapServers }).Build())
        {
            var topic = Assert.Single(admin.GetMetadata("served", TimeSpan.FromSeconds(10)).Topics);
            Assert.Equal(2, topic.Partitions.Count);
        }

        await stop.CancelAsync();
        await serving.WaitAsync(TimeSpan.FromSeconds(30), token);
        Assert.Equal(Environment.ProcessId, ready.ProcessId);
    }

    [Fact]
    public void NativeLibrary_IsTheCopyConfluentKafkaLoaded()
    {
        var path = KafkaMockCluster.LibrdkafkaPath;

        Assert.Equal(Library.VersionString, KafkaMockCluster.LibrdkafkaVersion);
        if (OperatingSystem.IsLinux())
        {
            Assert.NotNull(path);
            Assert.Single(File.ReadLines("/proc/self/maps").Where(l => l.Contains("librdkafka", StringComparison.Ordinal)).Select(l => l[l.IndexOf('/', StringComparison.Ordinal)..]).Distinct());
        }
    }
}
