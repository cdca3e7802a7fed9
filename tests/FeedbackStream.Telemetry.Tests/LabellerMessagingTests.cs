using System.Diagnostics;
using Confluent.Kafka;
using FeedbackStream.Contracts;
using FeedbackStream.Contracts.Telemetry;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Kafka;
using FeedbackStream.Mining;
using FeedbackStream.Pipeline;
using FeedbackStream.Pipeline.Labeling;
using FeedbackStream.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using static FeedbackStream.Telemetry.Tests.MetricTags;

namespace FeedbackStream.Telemetry.Tests;

/// <summary>Runs alone: it listens to the shared meters while a labeller consumes from a mock Kafka cluster.</summary>
[CollectionDefinition(nameof(LabellerMessagingTests), DisableParallelization = true)]
public sealed class LabellerMessagingCollection;

/// <summary>
/// The labeller's own Kafka consumer reports the messaging instruments (operation duration, batch size, lag per
/// partition) under its consumer group, on the real engines (librdkafka's mock cluster, chDB).
/// </summary>
[Collection(nameof(LabellerMessagingTests))]
public sealed class LabellerMessagingTests
{
    private const string Topic = "telemetry.labeller.v1";
    private const string Group = "telemetry-labeller";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LabellerConsumer_RecordsProcessDurationBatchAndLagPerPartition_UnderItsConsumerGroup()
    {
        using var cluster = KafkaMockCluster.Start(1);
        cluster.CreateTopic(Topic, 2);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        var dataPath = Path.Combine(Path.GetTempPath(), $"fs-telemetry-tests-{Guid.NewGuid():N}");
        try
        {
            using var clickHouse = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = dataPath });
            using (var admin = clickHouse.CreateClient())
            {
                await new Migrator(admin, "telemetry").MigrateAsync(Ct);
            }

            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = cluster.BootstrapServers,
                ["Kafka:Topic"] = Topic,
                ["Labeling:ConsumerGroup"] = Group,
                ["Labeling:Interval"] = "00:00:00.100",
                ["Labeling:SessionTimeout"] = "00:00:06",
            }).Build();
            var exported = new List<Metric>();
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddFeedbackTelemetry(configuration, "labeler");
            services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(exported));
            services.AddKafkaOptions(configuration);
            services.AddFeedbackLabeling(configuration, _ => clickHouse.CreateClient("telemetry"), _ => new NeutralScorer());
            await using var provider = services.BuildServiceProvider();
            var meters = provider.GetRequiredService<MeterProvider>();
            var labeller = provider.GetRequiredService<LabelingWorker>();
            await labeller.StartAsync(Ct);
            try
            {
                await ProduceAsync(cluster.BootstrapServers, 3);

                // The lag gauge is measured about once a second and a pass runs every 100 ms: wait with a deadline.
                var deadline = Stopwatch.StartNew();
                var (processed, lag) = (0.0, new List<MetricPoint>());
                while (deadline.Elapsed < TimeSpan.FromSeconds(60))
                {
                    exported.Clear();
                    Assert.True(meters.ForceFlush(10_000));
                    processed = Ours(exported, TelemetryNames.MessagingBatchMessageCount).Sum(p => p.GetHistogramSum());
                    lag = Ours(exported, TelemetryNames.KafkaConsumerLag);
                    if (processed >= 3 && lag.Count == 2 && lag.All(p => p.GetGaugeLastValueLong() == 0))
                    {
                        break;
                    }

                    await Task.Delay(100, Ct);
                }

                Assert.True(processed == 3, $"the labeller's process batches held {processed} messages; 3 were produced");
                var durations = Ours(exported, TelemetryNames.MessagingOperationDuration);
                Assert.NotEmpty(durations);
                Assert.All(durations, p =>
                {
                    Assert.Equal("process", Tag(p, "messaging.operation.name"));
                    Assert.Equal(Topic, Tag(p, "messaging.destination.name"));
                    Assert.Equal("kafka", Tag(p, "messaging.system"));
                    Assert.Null(Tag(p, "error.type"));
                });
                Assert.Equal(["0", "1"], lag.Select(p => (string)Tag(p, "messaging.destination.partition.id")!).Order(StringComparer.Ordinal));
                Assert.All(lag, p => Assert.Equal(Topic, Tag(p, "messaging.destination.name")));
            }
            finally
            {
                await labeller.StopAsync(CancellationToken.None);
            }

            // Stopped: its lag is no longer reported.
            exported.Clear();
            Assert.True(meters.ForceFlush(10_000));
            Assert.Empty(Ours(exported, TelemetryNames.KafkaConsumerLag));
        }
        finally
        {
            try
            {
                Directory.Delete(dataPath, recursive: true);
            }
            catch (IOException)
            {
                // Temp folder; best effort.
            }
        }
    }

    /// <summary>Points of <paramref name="name"/> that carry this test's consumer group.</summary>
    private static List<MetricPoint> Ours(List<Metric> exported, string name)
    {
        var points = new List<MetricPoint>();
        foreach (var metric in exported.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                if (Tag(point, "messaging.consumer.group.name") as string == Group)
                {
                    points.Add(point);
                }
            }
        }

        return points;
    }

    private static async Task ProduceAsync(string bootstrap, int conversations)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All }).Build();
        var at = DateTimeOffset.UtcNow;
        for (var i = 0; i < conversations; i++)
        {
            var e = FeedbackEvent.Create($"t-{i}", "app1", at, "u1", $"c-{i}", new ResponseServed($"r-{i}", 0, "answer", "m1", PromptText: "q"));
            await producer.ProduceAsync(Topic, new Message<string, byte[]> { Key = e.ConversationId, Value = FeedbackJson.Serialize(e) }, Ct);
        }
    }

    private sealed class NeutralScorer : IFollowupScorer
    {
        public FollowupScore Score(string text) => new(0.2, 0.2, "neutral", "");
    }
}
