using System.CommandLine;
using System.Globalization;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Hosting;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench kafka</c>: produces N messages with an idempotent producer (acks=all) to
/// an in-process mock cluster, then reads them back with a throughput-tuned consumer.
/// </summary>
internal static class KafkaBenchmark
{
    public static Command Create()
    {
        var messages = new Option<int>("--messages") { Description = "Messages to produce and consume.", DefaultValueFactory = _ => 300_000 };
        var messageBytes = new Option<int>("--message-bytes") { Description = "Value size in bytes.", DefaultValueFactory = _ => 64 };
        var partitions = new Option<int>("--partitions")
        {
            Description = "Topic partitions (the mock brokers keep about 5 MiB per partition: keep messages x bytes / partitions below that).",
            DefaultValueFactory = _ => 6,
        };
        var brokers = new Option<int>("--brokers") { Description = "Mock brokers.", DefaultValueFactory = _ => 3 };
        var latencyMessages = new Option<int>("--latency-messages") { Description = "Messages of the latency phase (run first, at a steady rate).", DefaultValueFactory = _ => 5_000 };
        var latencyRate = new Option<int>("--latency-rate") { Description = "Messages per second in the latency phase.", DefaultValueFactory = _ => 5_000 };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long.", DefaultValueFactory = _ => TimeSpan.FromMinutes(2) };
        var bootstrapServers = new Option<string?>("--bootstrap-servers")
        {
            Description = "Use this running cluster (e.g. 'feedbackstream kafka serve' in another process) instead of an in-process one.",
        };
        var topic = new Option<string>("--topic")
        {
            Description = "Topic to use; with --bootstrap-servers it must exist (its partitions are used).",
            DefaultValueFactory = _ => "bench.throughput",
        };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object on the last line." };
        foreach (var (option, max) in new[] { (messages, KafkaThroughputBenchmark.MaxMessages), (partitions, 10_000), (brokers, 64), (latencyMessages, 1_000_000), (latencyRate, 1_000_000) })
        {
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() is var value && (value < 1 || value > max))
                {
                    result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be between 1 and {max}."));
                }
            });
        }

        messageBytes.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 1_000_000)
            {
                result.AddError("--message-bytes must be between 0 and 1000000.");
            }
        });

        var command = new Command("kafka", "Produce and consume throughput and produce-acknowledgement latency on the embedded Kafka cluster.")
        {
            messages, messageBytes, partitions, brokers, latencyMessages, latencyRate, bootstrapServers, topic, timeout, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new KafkaThroughputBenchmarkOptions
            {
                Messages = parse.GetValue(messages),
                MessageBytes = parse.GetValue(messageBytes),
                Partitions = parse.GetValue(partitions),
                Brokers = parse.GetValue(brokers),
                Timeout = parse.GetValue(timeout),
                LatencyMessages = parse.GetValue(latencyMessages),
                LatencyRatePerSecond = parse.GetValue(latencyRate),
                BootstrapServers = parse.GetValue(bootstrapServers),
                Topic = parse.GetValue(topic) ?? "bench.throughput",
            };
            var asJson = parse.GetValue(json);
            var progress = new SynchronousProgress(line => AnsiConsole.MarkupLineInterpolated($"[grey]{line}[/]"));
            KafkaThroughputBenchmarkResult result;
            try
            {
                result = await KafkaThroughputBenchmark.RunAsync(options, progress, cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or Confluent.Kafka.KafkaException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }

            Print(result);
            if (asJson)
            {
                JsonOutput.WriteLast(result);
            }

            return 0;
        });
        return command;
    }

    private static void Print(KafkaThroughputBenchmarkResult r)
    {
        var table = new Table().AddColumn("Measure").AddColumn(new TableColumn("Value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        var culture = CultureInfo.InvariantCulture;
        Row("messages x value bytes", string.Create(culture, $"{r.Messages:N0} x {r.MessageBytes} B"));
        Row("brokers / partitions", string.Create(culture, $"{r.Brokers} / {r.Partitions} ({(r.InProcessCluster ? "in this process" : "external")})"));
        Row("produce (idempotent, acks=all)", string.Create(culture, $"{r.ProduceMsgsPerSec:N0} msg/s ({r.ProduceMbPerSec:N2} MB/s, {r.ProduceSeconds:N3} s)"));
        Row(
            string.Create(culture, $"ack latency p50/p99/max @ {r.LatencyRatePerSec:N0} msg/s"),
            string.Create(culture, $"{r.ProduceLatencyP50Ms:N2} / {r.ProduceLatencyP99Ms:N2} / {r.ProduceLatencyMaxMs:N2} ms"));
        Row("ack latency p50 at full speed", string.Create(culture, $"{r.SaturatedLatencyP50Ms:N2} ms (mostly queued)"));
        Row("consume", string.Create(culture, $"{r.ConsumeMsgsPerSec:N0} msg/s ({r.ConsumeMbPerSec:N2} MB/s, {r.ConsumeSeconds:N3} s)"));
        Row("consumed / first message after", string.Create(culture, $"{r.ConsumedMessages:N0} / {r.ConsumeFirstMessageMs:N1} ms"));
        Row("librdkafka", r.LibrdkafkaVersion);
        AnsiConsole.Write(table);
    }

    /// <summary>Reports on the caller's thread at once (<see cref="Progress{T}"/> would post to the thread pool and reorder lines).</summary>
    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
