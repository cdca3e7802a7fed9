using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FeedbackStream.Cli;
using FeedbackStream.Hosting;
using FeedbackStream.Contracts;
using FeedbackStream.Contracts.Telemetry;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Kafka;
using FeedbackStream.Models;
using FeedbackStream.Simulator;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// Listeners on the process's meters and activity sources see every host of the process: these tests run alone
/// (after the parallel ones), so what they read is only what their own host did.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}

/// <summary>
/// The product's metrics and spans read back through OpenTelemetry's in-memory exporter while the real gateway,
/// Kafka (mock cluster) and pipeline (chDB) do their work; the Prometheus endpoint of a serving process.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(EngineFixture engine)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task GatewayAndPipeline_ReportOutcomesMessagingClickHouseFreshnessDeadLettersLagAndHttp()
    {
        var exported = new LockedCollection<MetricSnapshot>();
        using var meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter([.. TelemetryNames.Meters, "Microsoft.AspNetCore.Hosting"])
            .AddInMemoryExporter(exported)
            .Build();
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway | HostRoles.Pipeline);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };

        var events = E2E.Events(3, "otel");
        var body = "[" + string.Join(",", events.Select(e => Encoding.UTF8.GetString(FeedbackJson.Serialize(e)))) + "," + InvalidReaction("otel-bad") + "]";
        using (var response = await PostRawAsync(http, body))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The first event again: a retry, answered "duplicate".
        using (var retry = await E2E.PostAsync(http, events.Take(1)))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }

        // A record that is not JSON, produced straight to the topic: a dead letter.
        using (var producer = E2E.Producer(host.KafkaBootstrapServers))
        {
            await producer.ProduceAsync(KafkaOptions.DefaultTopic, new Message<string, byte[]> { Key = "k", Value = "not json"u8.ToArray() }, Ct);
        }

        using var client = host.CreateClickHouseClient();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw", 3, Deadline);
        await E2E.WaitForCountAsync(client, "SELECT count() FROM events_rejected", 1, Deadline);
        await WaitUntilAsync(() => host.Pipeline!.Written >= 3 && host.Pipeline.Rejected >= 1, "the pipeline's counters");

        // The lag gauge is measured by the consume loop about once a second: wait for it with a deadline.
        var metrics = await WaitForMetricsAsync(meters, exported, m => m.ContainsKey(TelemetryNames.KafkaConsumerLag));

        var gateway = metrics[TelemetryNames.GatewayEvents];
        Assert.Equal(3, Sum(gateway, ("outcome", "accepted")));
        Assert.Equal(1, Sum(gateway, ("outcome", "duplicate")));
        Assert.Equal(1, Sum(gateway, ("outcome", "rejected"), ("reason", "schema")));
        Assert.Equal("{event}", gateway.Unit);

        var messaging = metrics[TelemetryNames.MessagingOperationDuration];
        Assert.Equal("s", messaging.Unit);
        // The retry held no new event, so it produced nothing: one send.
        Assert.Equal(1, Count(messaging, ("messaging.system", "kafka"), ("messaging.operation.name", "send"), ("messaging.destination.name", KafkaOptions.DefaultTopic)));
        Assert.True(Count(messaging, ("messaging.system", "kafka"), ("messaging.operation.name", "process"), ("messaging.destination.name", KafkaOptions.DefaultTopic)) >= 1);
        var batches = metrics[TelemetryNames.MessagingBatchMessageCount];
        Assert.Equal(3, HistogramSum(batches, ("messaging.operation.name", "send")));
        Assert.Equal(4, HistogramSum(batches, ("messaging.operation.name", "process")));

        var clickHouse = metrics[TelemetryNames.ClickHouseOperationDuration];
        Assert.Equal("s", clickHouse.Unit);
        Assert.True(Count(clickHouse, ("db.operation.name", "insert"), ("db.collection.name", "events_raw")) >= 1);
        Assert.True(Count(clickHouse, ("db.operation.name", "insert"), ("db.collection.name", "events_rejected")) >= 1);

        Assert.Equal(1, Sum(metrics[TelemetryNames.PipelineDeadLetters], ("reason", "json")));
        var freshness = metrics[TelemetryNames.PipelineFreshness];
        Assert.Equal("s", freshness.Unit);
        Assert.Equal(3, Count(freshness));

        var lag = metrics[TelemetryNames.KafkaConsumerLag];
        Assert.NotEmpty(lag.MetricPoints);
        foreach (var point in lag.MetricPoints)
        {
            Assert.True(point.GetGaugeLastValueLong() >= 0);
            Assert.Contains(Tags(point), t => t.Key == "messaging.destination.partition.id");
            Assert.Contains(Tags(point), t => t.Key == "messaging.destination.name" && Equals(t.Value, KafkaOptions.DefaultTopic));
        }

        Assert.Equal(2, Count(metrics["http.server.request.duration"], ("http.route", "/v1/events"), ("http.response.status_code", 200)));
    }

    [Fact]
    public async Task MetricsEndpoint_WhenEnabled_AnswersPrometheusTextWithFeedbackStreamMetrics()
    {
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway, new() { ["Telemetry:Prometheus:Enabled"] = "true" });
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        using (var response = await E2E.PostAsync(http, E2E.Events(2, "prom")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var metrics = await http.GetAsync("metrics", Ct);
        var text = await metrics.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("# TYPE feedbackstream_gateway_events_total counter", text, StringComparison.Ordinal);
        Assert.Contains("outcome=\"accepted\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("messaging_client_operation_duration_seconds_count{", text, StringComparison.Ordinal);
        Assert.Contains("service_name=\"feedbackstream\"", text, StringComparison.Ordinal);
        Assert.Contains("feedbackstream_role=\"gateway\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsEndpoint_ByDefault_Is404()
    {
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };

        using var metrics = await http.GetAsync("metrics", Ct);

        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
    }

    [Fact]
    public async Task Host_WithABadTelemetrySetting_FailsAtStartNamingTheKey()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => E2E.StartHostAsync(engine, HostRoles.Gateway, new() { ["Telemetry:Otlp:Endpoint"] = "collector:4317" }));

        Assert.Contains("Telemetry:Otlp:Endpoint must be an absolute http or https URI", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProduceSpan_TravelsInTraceparentHeader_AndTheInsertSpanLinksIt()
    {
        var spans = new LockedCollection<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource([.. TelemetryNames.ActivitySources])
            .AddAspNetCoreInstrumentation()
            .AddInMemoryExporter(spans)
            .Build();
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway | HostRoles.Pipeline);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        using (var response = await E2E.PostAsync(http, E2E.Events(2, "trace")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var records = ConsumeAll(host.KafkaBootstrapServers, 2);
        var contexts = records.Select(r =>
        {
            Assert.True(r.Message.Headers.TryGetLastBytes(TelemetryNames.TraceParentHeader, out var value), "every record carries traceparent");
            Assert.True(TraceParent.TryParse(value, out var context), Encoding.ASCII.GetString(value));
            return context;
        }).Distinct().ToList();

        // One request, one produce span: both records carry its context.
        var context = Assert.Single(contexts);
        await WaitUntilAsync(() => Snapshot(spans).Any(s => s.OperationName == "insert events_raw" && s.Links.Any(l => l.Context.SpanId == context.SpanId)), "the insert span linked to the produce span");
        await WaitUntilAsync(() => Snapshot(spans).Any(s => s.Kind == ActivityKind.Server), "the request's server span");
        var send = Assert.Single(Snapshot(spans), s => s.Source.Name == TelemetryNames.GatewaySource);
        Assert.Equal(ActivityKind.Producer, send.Kind);
        Assert.Equal($"send {KafkaOptions.DefaultTopic}", send.DisplayName);
        Assert.Equal(context.TraceId, send.TraceId);
        Assert.Equal(context.SpanId, send.SpanId);
        Assert.Equal("kafka", send.GetTagItem("messaging.system"));
        Assert.Equal(KafkaOptions.DefaultTopic, send.GetTagItem("messaging.destination.name"));

        // The produce span is a child of the request's server span.
        var request = Assert.Single(Snapshot(spans), s => s.Kind == ActivityKind.Server);
        Assert.Equal(request.SpanId, send.ParentSpanId);
        Assert.Equal(request.TraceId, send.TraceId);

        var insert = Snapshot(spans).First(s => s.OperationName == "insert events_raw" && s.Links.Any(l => l.Context.SpanId == context.SpanId));
        Assert.Equal(ActivityKind.Client, insert.Kind);
        Assert.Equal(TelemetryNames.PipelineSource, insert.Source.Name);
        Assert.Equal("clickhouse", insert.GetTagItem("db.system.name"));
        Assert.True(insert.Links.Count() <= 32);
    }

    [Fact]
    public async Task TracingOff_RecordsCarryNoTraceparentHeader()
    {
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        using (var response = await E2E.PostAsync(http, E2E.Events(1, "notrace")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var record = Assert.Single(ConsumeAll(host.KafkaBootstrapServers, 1));

        Assert.False(record.Message.Headers?.TryGetLastBytes(TelemetryNames.TraceParentHeader, out _) ?? false);
    }

    [Fact]
    public async Task MalformedOrMissingTraceparent_NeverFailsARecord()
    {
        var spans = new LockedCollection<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource([.. TelemetryNames.ActivitySources])
            .AddInMemoryExporter(spans)
            .Build();
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Pipeline);
        byte[][] headers =
        [
            "garbage"u8.ToArray(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"u8.ToArray(),
            "00-00000000000000000000000000000000-0000000000000000-01"u8.ToArray(),
            "zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"u8.ToArray(),
            [0xFF, 0xFE, 0x00, 0x80],
            [],
            Encoding.ASCII.GetBytes(new string('0', 10_000)),
        ];
        var events = E2E.Events(headers.Length + 1, "malformed");
        using (var producer = E2E.Producer(host.KafkaBootstrapServers))
        {
            for (var i = 0; i < events.Count; i++)
            {
                var message = new Message<string, byte[]> { Key = events[i].ConversationId, Value = FeedbackJson.Serialize(events[i] with { ReceivedAt = DateTimeOffset.UtcNow }) };
                if (i < headers.Length)
                {
                    message.Headers = [new Header(TelemetryNames.TraceParentHeader, headers[i])];
                }

                await producer.ProduceAsync(KafkaOptions.DefaultTopic, message, Ct);
            }
        }

        using var client = host.CreateClickHouseClient();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw", (ulong)events.Count, Deadline);

        Assert.Equal(0UL, await E2E.ScalarAsync(client, "SELECT count() FROM events_rejected"));
        Assert.Null(host.Pipeline!.LastSinkError);
        Assert.Equal(0, host.Pipeline.SinkFailures);
        await WaitUntilAsync(() => Snapshot(spans).Any(s => s.OperationName == "insert events_raw"), "an insert span");
        Assert.All(Snapshot(spans).Where(s => s.OperationName == "insert events_raw"), s => Assert.Empty(s.Links));
    }

    [Fact]
    public async Task Labeller_ReportsLabelsAndPairsWritten_AndLabelLag()
    {
        var exported = new LockedCollection<MetricSnapshot>();
        using var meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(TelemetryNames.LabelingMeter)
            .AddInMemoryExporter(exported)
            .Build();
        await using var host = await E2E.StartHostAsync(engine, settings: new()
        {
            ["Mining:SettleWindow"] = "00:00:02",
            ["Labeling:Interval"] = "00:00:00.200",
            ["Labeling:SessionTimeout"] = "00:00:06",
        });
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };

        // Four conversations from ten minutes ago: an answer regenerated into a second candidate that is loved.
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        var events = new List<FeedbackEvent>();
        for (var i = 0; i < 4; i++)
        {
            var c = $"tc-{i}";
            var at = t0.AddSeconds(i);
            events.Add(FeedbackEvent.Create($"{c}-1", E2E.App, at, "u1", c, new ResponseServed($"{c}-a", 0, "First answer.", "m1", PromptText: "A shared question?")));
            events.Add(FeedbackEvent.Create($"{c}-2", E2E.App, at.AddSeconds(5), "u1", c, new ResponseAction($"{c}-a", ActionKind.Regenerate, null, 5_000)));
            events.Add(FeedbackEvent.Create($"{c}-3", E2E.App, at.AddSeconds(7), "u1", c, new ResponseServed($"{c}-b", 0, "A second, better answer.", "m1", PromptText: "A shared question?", RegeneratedFrom: $"{c}-a", CandidateIndex: 1)));
            events.Add(FeedbackEvent.Create($"{c}-4", E2E.App, at.AddSeconds(30), "u1", c, new ReactionSet($"{c}-b", Reaction.Love, 23_000)));
        }

        using (var response = await E2E.PostAsync(http, events))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var metrics = await WaitForMetricsAsync(meters, exported, m =>
            m.TryGetValue(TelemetryNames.LabelsWritten, out var labels) && Sum(labels) >= 8 && m.ContainsKey(TelemetryNames.LabelLag));

        Assert.Equal("{label}", metrics[TelemetryNames.LabelsWritten].Unit);
        Assert.True(Sum(metrics[TelemetryNames.PairsWritten]) >= 4, "one regenerated-and-loved pair per conversation");
        var lag = metrics[TelemetryNames.LabelLag];
        Assert.Equal("s", lag.Unit);
        Assert.True(Count(lag) >= 4, "one lag per conversation labelled");
        Assert.True(HistogramSum(lag) >= 0);
    }

    [Fact]
    public async Task TrainingRuns_ByStatus_AndGateDecisions_AreCounted()
    {
        var exported = new LockedCollection<MetricSnapshot>();
        using var meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(TelemetryNames.ModelsMeter)
            .AddInMemoryExporter(exported)
            .Build();
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway, ModelTests.Settings());
        using var client = host.CreateClickHouseClient();
        var store = new ModelStore(client);
        var options = new ModelsOptions { CompareLearners = false, Iterations = 20, ResponseNgrams = 0, ContextNgrams = 0 };

        // No labels yet: the run fails before any gate.
        var empty = await new TrainingService(store, options, TimeProvider.System, NullLogger<TrainingService>.Instance).RunAsync("test", Ct);
        Assert.Equal("failed", empty.Status);
        await ModelTests.InsertAsync(client, LoveSimulator.Generate(new LoveSimulationOptions { Responses = 3_000, Seed = 5 }, ModelTests.Start));
        var run = await new TrainingService(store, options, TimeProvider.System, NullLogger<TrainingService>.Instance).RunAsync("test", Ct);
        Assert.Contains(run.Status, (string[])["promoted", "refused"]);

        var metrics = await WaitForMetricsAsync(meters, exported, m => m.ContainsKey(TelemetryNames.TrainingRuns));
        var runs = metrics[TelemetryNames.TrainingRuns];
        Assert.Equal("{run}", runs.Unit);
        Assert.Equal(1, Sum(runs, ("status", "failed")));
        Assert.Equal(1, Sum(runs, ("status", run.Status)));
        Assert.Equal(1, Sum(metrics[TelemetryNames.GateDecisions], ("outcome", run.Status == "promoted" ? "promote" : "refuse")));
        Assert.Equal(1, Sum(metrics[TelemetryNames.GateDecisions]));
        Assert.Equal("s", metrics[TelemetryNames.TrainingRunDuration].Unit);
        Assert.Equal(2, Count(metrics[TelemetryNames.TrainingRunDuration]));
    }

    private static string InvalidReaction(string id) =>
        "{\"event_id\":\"" + id + "\",\"type\":\"reaction.set\",\"schema_version\":1,\"app_id\":\"" + E2E.App + "\",\"occurred_at\":\""
        + DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)
        + "\",\"user_id\":\"u-1\",\"conversation_id\":\"c-1\",\"payload\":{\"response_id\":\"r-1\",\"reaction\":\"meh\",\"shown_to_reaction_ms\":3120}}";

    private static async Task<HttpResponseMessage> PostRawAsync(HttpClient http, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", E2E.ApiKey);
        return await http.SendAsync(request, Ct);
    }

    /// <summary>Every record of the topic from the start, until <paramref name="expected"/> arrived (bounded by the deadline).</summary>
    private static List<ConsumeResult<string, byte[]>> ConsumeAll(string bootstrap, int expected)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "telemetry-test-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(KafkaOptions.DefaultTopic);
        var records = new List<ConsumeResult<string, byte[]>>();
        var watch = Stopwatch.StartNew();
        while (records.Count < expected && watch.Elapsed < Deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record)
            {
                records.Add(record);
            }
        }

        consumer.Close();
        Assert.Equal(expected, records.Count);
        return records;
    }

    private static List<Activity> Snapshot(LockedCollection<Activity> spans) => spans.Snapshot();

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < Deadline, $"Waited {Deadline.TotalSeconds} s for {what}.");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>The newest export of each metric after a flush, once <paramref name="ready"/> holds (bounded by the deadline).</summary>
    private static async Task<Dictionary<string, MetricSnapshot>> WaitForMetricsAsync(MeterProvider provider, LockedCollection<MetricSnapshot> exported, Func<Dictionary<string, MetricSnapshot>, bool> ready)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            exported.Clear();
            Assert.True(provider.ForceFlush(10_000), "the metric reader flushed");
            var metrics = exported.Snapshot().GroupBy(m => m.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
            if (ready(metrics))
            {
                return metrics;
            }

            Assert.True(watch.Elapsed < Deadline, $"Waited {Deadline.TotalSeconds} s for the metrics; exported: {string.Join(", ", metrics.Keys)}.");
            await Task.Delay(200, Ct);
        }
    }

    private static List<KeyValuePair<string, object?>> Tags(MetricPoint point)
    {
        var tags = new List<KeyValuePair<string, object?>>();
        foreach (var tag in point.Tags)
        {
            tags.Add(tag);
        }

        return tags;
    }

    private static IEnumerable<MetricPoint> Matching(MetricSnapshot metric, (string Key, object Value)[] wanted) =>
        metric.MetricPoints.Where(p => wanted.All(w => Tags(p).Any(t => t.Key == w.Key && Equals(Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture), Convert.ToString(w.Value, System.Globalization.CultureInfo.InvariantCulture)))));

    private static long Sum(MetricSnapshot metric, params (string Key, object Value)[] wanted) => Matching(metric, wanted).Sum(p => p.GetSumLong());

    private static long Count(MetricSnapshot metric, params (string Key, object Value)[] wanted) => Matching(metric, wanted).Sum(p => p.GetHistogramCount());

    private static double HistogramSum(MetricSnapshot metric, params (string Key, object Value)[] wanted) => Matching(metric, wanted).Sum(p => p.GetHistogramSum());
}

/// <summary>What an exporter adds from its own thread, read from the test's thread.</summary>
internal sealed class LockedCollection<T> : System.Collections.ObjectModel.Collection<T>
{
    private readonly Lock _lock = new();

    public List<T> Snapshot()
    {
        lock (_lock)
        {
            return [.. this];
        }
    }

    protected override void InsertItem(int index, T item)
    {
        lock (_lock)
        {
            base.InsertItem(index, item);
        }
    }

    protected override void ClearItems()
    {
        lock (_lock)
        {
            base.ClearItems();
        }
    }
}
