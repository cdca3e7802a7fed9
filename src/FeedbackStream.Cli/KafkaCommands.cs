using System.CommandLine;
using System.Runtime.InteropServices;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Hosting;

namespace FeedbackStream.Cli;

/// <summary><c>feedbackstream kafka ...</c>: the embedded Kafka cluster (librdkafka's mock brokers).</summary>
internal static class KafkaCommands
{
    public static Command Create()
    {
        var kafka = new Command("kafka", "The embedded Kafka cluster (librdkafka's in-memory mock brokers).");
        kafka.Subcommands.Add(CreateServe());
        return kafka;
    }

    private static Command CreateServe()
    {
        var brokers = new Option<int>("--brokers") { Description = "Number of brokers (ids 1..N).", DefaultValueFactory = _ => 3 };
        brokers.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value is < 1 or > 64)
            {
                result.AddError("--brokers must be between 1 and 64.");
            }
        });
        var topics = new Option<string[]>("--topic")
        {
            Description = "A topic to create, NAME[:PARTITIONS[:REPLICATION]] (repeatable).",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        topics.Validators.Add(result =>
        {
            foreach (var text in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!KafkaTopicSpec.TryParse(text, out _, out var error))
                {
                    result.AddError(error);
                }
            }
        });
        var rebalanceDelay = new Option<TimeSpan>("--group-initial-rebalance-delay")
        {
            Description = "How long a new consumer group waits for more members before its first assignment (a real broker waits 00:00:03).",
            DefaultValueFactory = _ => TimeSpan.Zero,
        };
        var json = new Option<bool>("--json") { Description = "After startup, print the cluster as one JSON object on the last line." };
        var command = new Command(
            "serve",
            "Run an in-memory Kafka cluster on 127.0.0.1 until Ctrl+C or SIGTERM. Nothing is written to disk; each partition keeps about its newest 5 MiB.")
        {
            brokers, topics, rebalanceDelay, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Measured: with Program's plain InvokeAsync(), System.CommandLine 2.0.0 does not turn
            // SIGINT/SIGTERM into cancellation (the process dies of the signal), so serve stops itself.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            var options = new KafkaMockClusterServerOptions
            {
                Brokers = parse.GetValue(brokers),
                GroupInitialRebalanceDelay = parse.GetValue(rebalanceDelay),
            };
            foreach (var text in parse.GetValue(topics) ?? [])
            {
                options.Topics.Add(KafkaTopicSpec.Parse(text));
            }

            var asJson = parse.GetValue(json);
            await KafkaMockClusterServer.RunAsync(
                options,
                ready =>
                {
                    Console.WriteLine($"Kafka mock cluster (librdkafka {KafkaMockCluster.LibrdkafkaVersion}): {ready.Brokers} brokers");
                    Console.WriteLine($"bootstrap servers: {ready.BootstrapServers}");
                    foreach (var topic in ready.Topics)
                    {
                        Console.WriteLine($"topic {topic.Name}: {topic.Partitions} partitions, replication {topic.ReplicationFactor}");
                    }

                    Console.WriteLine("Serving until Ctrl+C or SIGTERM.");
                    if (asJson)
                    {
                        JsonOutput.WriteLast(ready);
                    }
                    else
                    {
                        Console.Out.Flush();
                    }
                },
                stop.Token);

            // Standard error, so that the JSON line stays the last line of standard output.
            await Console.Error.WriteLineAsync("Kafka mock cluster stopped.");
            return 0;
        });
        return command;
    }
}
