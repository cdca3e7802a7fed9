using System.Diagnostics;
using System.Text.Json;
using FeedbackStream.Cli;
using FeedbackStream.EmbeddedKafka;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// <c>feedbackstream serve</c> as a child process: what its start-up line says about durability. On the embedded
/// default (librdkafka's mock cluster, in memory) a crash loses accepted events the pipeline has not written yet, and
/// the line must say so; with an external Kafka it must not.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ServeStartupTests
{
    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task ServeJson_OnTheEmbeddedKafka_SaysAcceptedEventsAreInMemoryAndNamesTheFix_AndPrintsTheClickHouseCredentials()
    {
        await StdoutLinesAsync(["serve", "--json", "--ClickHouse:HttpPort=0"], 1, async lines =>
        {
            using var ready = JsonDocument.Parse(lines[0]);
            Assert.False(ready.RootElement.GetProperty("kafka_durable").GetBoolean());
            var durability = ready.RootElement.GetProperty("durability").GetString()!;
            Assert.StartsWith("NOT DURABLE", durability, StringComparison.Ordinal);
            Assert.Contains("memory", durability, StringComparison.Ordinal);
            Assert.Contains("Kafka:BootstrapServers", durability, StringComparison.Ordinal);

            // The embedded ClickHouse endpoint answers with the printed credentials only.
            using var http = new HttpClient { BaseAddress = new Uri(ready.RootElement.GetProperty("clickhouse_http").GetString()!) };
            Assert.Equal("default", ready.RootElement.GetProperty("clickhouse_http_user").GetString());
            var password = ready.RootElement.GetProperty("clickhouse_http_password").GetString()!;
            using var refused = await http.GetAsync("?query=SELECT%201", Ct);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("1\n", await http.GetStringAsync($"?query=SELECT%201&user=default&password={Uri.EscapeDataString(password)}", Ct));
        });
    }

    [Fact]
    public async Task Serve_OnTheEmbeddedKafka_PrintsTheDurabilityStatementUnderTheStartupLine()
    {
        var lines = await StdoutLinesAsync(["serve"], 2);

        Assert.StartsWith("FeedbackStream all:", lines[0], StringComparison.Ordinal);
        Assert.Equal(FeedbackHost.DurabilityStatement(kafkaDurable: false), lines[1]);
    }

    [Fact]
    public async Task ServeJson_OnAnExternalKafka_MakesNoInMemoryStatement()
    {
        using var cluster = KafkaMockCluster.Start(1);
        cluster.CreateTopic("feedback.events.v1", 2);

        using var ready = JsonDocument.Parse(await FirstStdoutLineAsync(["serve", "--json", $"--Kafka:BootstrapServers={cluster.BootstrapServers}"]));

        Assert.True(ready.RootElement.GetProperty("kafka_durable").GetBoolean());
        Assert.DoesNotContain("NOT DURABLE", ready.RootElement.GetProperty("durability").GetString()!, StringComparison.Ordinal);
    }

    private static async Task<string> FirstStdoutLineAsync(IEnumerable<string> arguments) => (await StdoutLinesAsync(arguments, 1))[0];

    /// <summary>
    /// Starts the CLI on a fresh data folder and free ports, reads <paramref name="count"/> lines of standard output,
    /// runs <paramref name="whileServing"/> while it still serves, then kills it.
    /// </summary>
    private static async Task<List<string>> StdoutLinesAsync(IEnumerable<string> arguments, int count, Func<List<string>, Task>? whileServing = null)
    {
        var data = Path.Combine(Path.GetTempPath(), $"fs-serve-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "feedbackstream.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add($"--ClickHouse:DataPath={data}");
        start.ArgumentList.Add("--Gateway:Urls=http://127.0.0.1:0");
        start.ArgumentList.Add("--Models:TrainingEnabled=false");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start feedbackstream");
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { TestContext.Current.SendDiagnosticMessage("serve! " + e.Data); } };
        process.BeginErrorReadLine();
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(90));
            var lines = new List<string>();
            while (lines.Count < count)
            {
                var line = await process.StandardOutput.ReadLineAsync(deadline.Token)
                    ?? throw new InvalidOperationException($"feedbackstream exited ({(process.WaitForExit(5_000) ? process.ExitCode : -1)}) after {lines.Count} lines.");
                lines.Add(line);
            }

            if (whileServing is not null)
            {
                await whileServing(lines);
            }

            return lines;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // Temp folder; best effort.
            }
        }
    }
}
