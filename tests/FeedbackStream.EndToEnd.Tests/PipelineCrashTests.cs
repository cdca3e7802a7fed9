using System.Diagnostics;
using Confluent.Kafka;
using FeedbackStream.Contracts;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Storage;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// The pipeline as a separate process (<c>feedbackstream serve --role pipeline</c>) against Kafka and ClickHouse that
/// live in this test process, so the pipeline can be killed with SIGKILL mid-stream and restarted.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class PipelineCrashTests(EngineFixture engine)
{
    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task PipelineKilledWithSigkillMidStream_AndRestarted_EveryEventIsPresentExactlyOnceForAnalysts()
    {
        const int total = 20_000;
        const string topic = "feedback.events.v1";
        using var cluster = KafkaMockCluster.Start(3);
        cluster.CreateTopic(topic, 4);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
        var database = E2E.NewDatabase();
        using (var admin = engine.Server.CreateClient())
        {
            await new Migrator(admin, database).MigrateAsync(Ct);
        }

        using var client = engine.Server.CreateClient(database);
        string[] arguments =
        [
            "serve", "--role", "pipeline",
            $"--Kafka:BootstrapServers={cluster.BootstrapServers}",
            "--ClickHouse:Mode=Server",
            $"--ClickHouse:ConnectionString={listener.ConnectionString()}",
            $"--ClickHouse:Database={database}",
            "--Pipeline:BatchMaxRecords=250",
            "--Pipeline:BatchMaxAge=00:00:00.050",
        ];

        var first = StartPipeline(arguments);
        Process? second = null;
        try
        {
            var events = E2E.Events(total, "crash");
            var producing = Task.Run(async () =>
            {
                using var producer = E2E.Producer(cluster.BootstrapServers);
                foreach (var chunk in events.Chunk(500))
                {
                    foreach (var e in chunk)
                    {
                        producer.Produce(topic, new Message<string, byte[]> { Key = e.ConversationId, Value = FeedbackJson.Serialize(e with { ReceivedAt = DateTimeOffset.UtcNow }) });
                    }

                    producer.Flush(Ct);
                    await Task.Delay(25, Ct);
                }
            }, Ct);

            // Mid-stream: some batches written, more on the way.
            await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw", 3_000, TimeSpan.FromSeconds(60));
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync(Ct);
            var atKill = await E2E.ScalarAsync(client, "SELECT uniqExact(event_id) FROM events_raw");

            second = StartPipeline(arguments);
            await producing;
            await E2E.WaitForCountAsync(client, "SELECT uniqExact(event_id) FROM events_raw", total, TimeSpan.FromSeconds(120));

            Assert.InRange(atKill, 1UL, total - 1UL);
            Assert.Equal((ulong)total, await E2E.ScalarAsync(client, "SELECT count() FROM events_raw FINAL"));
            Assert.Equal(0UL, await E2E.ScalarAsync(client, "SELECT count() FROM events_rejected"));
        }
        finally
        {
            foreach (var process in new[] { first, second })
            {
                if (process is { HasExited: false })
                {
                    process.Kill(entireProcessTree: true);
                }

                process?.Dispose();
            }
        }
    }

    private static Process StartPipeline(IEnumerable<string> arguments)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "feedbackstream.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the pipeline process");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { TestContext.Current.SendDiagnosticMessage("pipeline: " + e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { TestContext.Current.SendDiagnosticMessage("pipeline! " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
