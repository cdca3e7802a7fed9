using System.Diagnostics;
using System.Text.Json;
using FeedbackStream.Cli;
using FeedbackStream.Hosting;
using FeedbackStream.EmbeddedKafka;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// <c>feedbackstream serve</c> as a child process: what its start-up line says about durability. On the embedded
/// default (librdkafka's mock cluster, in memory) a crash loses accepted events the pipeline has not written yet, and
/// the line must say so; with an external Kafka it must not.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ServeStartupTests(EngineFixture engine)
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

    [Fact]
    public async Task ClickHouseSettings_ThatCannotBeServed_FailAtStartNamingTheKey_NeverFallingBackToTheEmbeddedEngine()
    {
        // A connection string without the mode: explicit, not a silent embedded engine.
        var implicitServer = await RunAsync(["serve", "--ClickHouse:ConnectionString=Host=127.0.0.1;Port=9;Protocol=http"]);
        Assert.Equal(2, implicitServer.ExitCode);
        Assert.Contains("ClickHouse:ConnectionString is set but ClickHouse:Mode is Embedded", implicitServer.Stderr, StringComparison.Ordinal);

        var unknownMode = await RunAsync(["serve", "--ClickHouse:Mode=Cloud"]);
        Assert.Equal(2, unknownMode.ExitCode);
        Assert.Contains("ClickHouse:Mode must be Embedded or Server, not 'Cloud'", unknownMode.Stderr, StringComparison.Ordinal);

        var noConnection = await RunAsync(["serve", "--ClickHouse:Mode=Server"]);
        Assert.Equal(2, noConnection.ExitCode);
        Assert.Contains("ClickHouse:ConnectionString is required when ClickHouse:Mode is Server", noConnection.Stderr, StringComparison.Ordinal);

        // A server nobody answers on (a port just closed): the key is named, within the connect timeout.
        var port = FreePort();
        var unreachable = await RunAsync(["serve", "--ClickHouse:Mode=Server", $"--ClickHouse:ConnectionString=Host=127.0.0.1;Port={port};Protocol=http", "--ClickHouse:ConnectTimeout=00:00:05"]);
        Assert.Equal(2, unreachable.ExitCode);
        Assert.Contains("ClickHouse:ConnectionString: the server (ClickHouse:Mode is Server) did not answer SELECT 1", unreachable.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnAServer_ARoleDoesNotMigrate_ItRefusesAnUnmigratedDatabase_AndMigrateThenSqlWorkThroughTheSameSettings()
    {
        await using var listener = await FeedbackStream.EmbeddedClickHouse.ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
        var database = E2E.NewDatabase();
        string[] server = ["--ClickHouse:Mode=Server", $"--ClickHouse:ConnectionString={listener.ConnectionString()}", $"--ClickHouse:Database={database}"];

        var refused = await RunAsync(["serve", "--role", "pipeline", .. server]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"ClickHouse:Database '{database}' lacks migrations [1, ", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("feedbackstream migrate", refused.Stderr, StringComparison.Ordinal);
        using (var client = engine.Server.CreateClient())
        {
            Assert.Equal(0UL, await E2E.ScalarAsync(client, $"SELECT count() FROM system.databases WHERE name = '{database}'"));
        }

        var migrated = await RunAsync(["migrate", "--json", .. server]);
        Assert.Equal(0, migrated.ExitCode);
        Assert.Contains("ClickHouse server, database " + database, migrated.Stdout, StringComparison.Ordinal);

        // The shorthand options mean the same as the keys.
        var count = await RunAsync(["sql", "--json", "--clickhouse", listener.ConnectionString(), "--database", database, "SELECT count() AS n FROM schema_migrations"]);
        Assert.Equal(0, count.ExitCode);
        using var rows = JsonDocument.Parse(count.Stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal(FeedbackStream.Storage.Migrator.Embedded().Count.ToString(System.Globalization.CultureInfo.InvariantCulture), rows.RootElement.GetProperty("rows")[0].GetProperty("n").ToString());
    }

    [Fact]
    public async Task Train_ReadsTheModelsSectionOfTheConfigurationChain()
    {
        // train used to build its settings from its own options only: a scheduled job ran with the default gate.
        var train = await RunAsync(["train", "--no-compare", "--json", "--Models:MinimumLabels=987654"]);
        Assert.Equal(3, train.ExitCode);
        using var outcome = JsonDocument.Parse(train.Stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal("failed", outcome.RootElement.GetProperty("status").GetString());
        Assert.Contains("needs at least 987654 (Models:MinimumLabels)", outcome.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        socket.Start();
        return ((System.Net.IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>Runs the CLI to its end (at most 60 s) on a fresh data folder; its exit code and both outputs.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments)
    {
        var data = Path.Combine(Path.GetTempPath(), $"fs-run-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "feedbackstream.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add($"--ClickHouse:DataPath={data}");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start feedbackstream");
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // Temp folder; best effort.
            }
            catch (UnauthorizedAccessException)
            {
                // Temp folder; best effort.
            }
        }

        var (output, error) = (await stdout, await stderr);
        TestContext.Current.SendDiagnosticMessage($"feedbackstream {string.Join(' ', arguments)} -> {process.ExitCode}: {error}");
        return (process.ExitCode, output, error);
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
