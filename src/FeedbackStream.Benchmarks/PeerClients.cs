using System.CommandLine;
using System.Diagnostics;
using Confluent.Kafka;
using FeedbackStream.Hosting;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// Hidden <c>bench peer-produce</c> and <c>bench peer-consume</c>: plain Confluent.Kafka clients, each run by the
/// <c>--peer</c> benchmarks in its own process so that its CPU is measured alone. Protocol on standard output/input:
/// the client prepares (events serialized, client built), prints <c>{"ready":true}</c>, waits for a line on standard
/// input, runs, and prints its figures as one JSON object (its own CPU over the timed part only).
/// </summary>
internal static class PeerClients
{
    public sealed record ProduceResult(long Acknowledged, long Failed, double Seconds, double CpuSeconds);

    public sealed record ConsumeResult(long Messages, double Seconds, double CpuSeconds);

    public static Command CreateProduce()
    {
        var bootstrap = new Option<string>("--bootstrap") { Required = true };
        var topic = new Option<string>("--topic") { Required = true };
        var events = new Option<int>("--events") { DefaultValueFactory = _ => 300_000 };
        var kind = KindOption();
        var prefix = new Option<string>("--prefix") { DefaultValueFactory = _ => "peer" };
        var command = new Command("peer-produce", "A plain producer with the gateway's settings, sending the events the gateway would write (used by bench ingest --peer).")
        {
            bootstrap, topic, events, kind, prefix,
        };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var now = DateTimeOffset.UtcNow;
            var records = BenchSupport.KafkaRecords(parse.GetValue(kind)!, 0, parse.GetValue(events), now, parse.GetValue(prefix)!);
            var config = BenchSupport.GatewayProducerConfig(parse.GetValue(bootstrap)!);
            using var producer = new ProducerBuilder<string, byte[]>(config).SetLogHandler((_, _) => { }).Build();
            var name = parse.GetValue(topic)!;
            // Metadata and connections before the timed part.
            await producer.ProduceAsync(name, new Message<string, byte[]> { Key = "warm", Value = records[0].Value }, cancellationToken);
            JsonOutput.WriteLast(new { Ready = true });
            if (await Console.In.ReadLineAsync(cancellationToken) is null)
            {
                return 1;
            }

            long acknowledged = 0;
            long failed = 0;
            void OnDelivery(DeliveryReport<string, byte[]> report)
            {
                Interlocked.Increment(ref report.Error.IsError ? ref failed : ref acknowledged);
            }

            var self = Process.GetCurrentProcess();
            var cpuBefore = self.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            foreach (var (key, value) in records)
            {
                while (true)
                {
                    try
                    {
                        producer.Produce(name, new Message<string, byte[]> { Key = key, Value = value }, OnDelivery);
                        break;
                    }
                    catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(1));
                    }
                }
            }

            var giveUp = Stopwatch.StartNew();
            while (producer.Flush(TimeSpan.FromMilliseconds(100)) > 0 && giveUp.Elapsed < TimeSpan.FromSeconds(60))
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            watch.Stop();
            self.Refresh();
            JsonOutput.WriteLast(new ProduceResult(Interlocked.Read(ref acknowledged), Interlocked.Read(ref failed), watch.Elapsed.TotalSeconds, (self.TotalProcessorTime - cpuBefore).TotalSeconds));
            return 0;
        });
        return command;
    }

    public static Command CreateConsume()
    {
        var bootstrap = new Option<string>("--bootstrap") { Required = true };
        var topic = new Option<string>("--topic") { Required = true };
        var expected = new Option<long>("--expected") { Required = true };
        var group = new Option<string>("--group") { DefaultValueFactory = _ => $"peer-{Guid.NewGuid():N}" };
        var timeout = new Option<TimeSpan>("--timeout") { DefaultValueFactory = _ => TimeSpan.FromMinutes(2) };
        var command = new Command("peer-consume", "A plain consumer with the pipeline's fetch settings that counts messages (used by bench pipeline --peer).")
        {
            bootstrap, topic, expected, group, timeout,
        };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var config = ConsumerConfig(parse.GetValue(bootstrap)!, parse.GetValue(group)!);
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).SetLogHandler((_, _) => { }).Build();
            consumer.Subscribe(parse.GetValue(topic)!);
            JsonOutput.WriteLast(new { Ready = true });
            if (await Console.In.ReadLineAsync(cancellationToken) is null)
            {
                return 1;
            }

            var want = parse.GetValue(expected);
            var giveUp = Stopwatch.StartNew();
            var self = Process.GetCurrentProcess();
            var cpuFirst = TimeSpan.Zero;
            var watch = new Stopwatch();
            long count = 0;
            while (count < want && giveUp.Elapsed < parse.GetValue(timeout))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                if (count == 0)
                {
                    self.Refresh();
                    cpuFirst = self.TotalProcessorTime;
                    watch.Start();
                }

                count++;
            }

            watch.Stop();
            self.Refresh();
            consumer.Close();
            JsonOutput.WriteLast(new ConsumeResult(count, watch.Elapsed.TotalSeconds, (self.TotalProcessorTime - cpuFirst).TotalSeconds));
            return count >= want ? 0 : 1;
        });
        return command;
    }

    /// <summary>The pipeline's consumer settings (PipelineWorker) for a read-only group: no offsets stored or committed.</summary>
    public static ConsumerConfig ConsumerConfig(string bootstrap, string group) =>
        new Kafka.KafkaOptions { BootstrapServers = bootstrap }.CreateConsumerConfig(group, c =>
        {
            Pipeline.PipelineWorker.ConsumerDefaults(c);
            c.EnableAutoCommit = false;
        });

    public static Option<string> KindOption(string? defaultKind = "reaction")
    {
        var kind = new Option<string>("--kind") { Description = "Events sent: reaction (reaction.set only) or mix (served, reaction, follow-up, action)." };
        if (defaultKind is not null)
        {
            kind.DefaultValueFactory = _ => defaultKind;
        }

        kind.AcceptOnlyFromAmong("reaction", "mix");
        return kind;
    }
}
