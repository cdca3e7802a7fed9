using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ClickHouse.Driver;
using FeedbackStream.Storage;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// <c>feedbackstream clickhouse serve --json</c> as a child process: it prints its address and credentials, the
/// product's own paths (migrations, the driver's binary inserts) work with them, and nothing works without them.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ClickHouseServeCliTests
{
    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task ClickHouseServeJson_PrintsAddressAndCredentials_TheDriverMigratesAndInsertsWithThem_AnonymousIsRefused()
    {
        var data = Path.Combine(Path.GetTempPath(), $"fs-chserve-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "feedbackstream.dll"), "clickhouse", "serve", "--json", "--port", "0", "--data", data })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("FEEDBACKSTREAM_ClickHouse__HttpPassword");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start feedbackstream");
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { TestContext.Current.SendDiagnosticMessage("clickhouse serve! " + e.Data); } };
        process.BeginErrorReadLine();
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(90));
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("clickhouse serve printed nothing");
            using var ready = JsonDocument.Parse(line);
            var address = new Uri(ready.RootElement.GetProperty("address").GetString()!);
            Assert.Equal("default", ready.RootElement.GetProperty("user").GetString());
            var password = ready.RootElement.GetProperty("password").GetString()!;
            Assert.True(password.Length >= 20, "a generated password of at least 20 characters");
            Assert.False(ready.RootElement.GetProperty("allow_external_access").GetBoolean());

            using (var http = new HttpClient { BaseAddress = address })
            {
                using var anonymous = await http.GetAsync("?query=SELECT%201", Ct);
                Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
            }

            var database = E2E.NewDatabase();
            using (var admin = new ClickHouseClient(ready.RootElement.GetProperty("connection_string").GetString()!))
            {
                await new Migrator(admin, database).MigrateAsync(Ct);
            }

            using var client = new ClickHouseClient(ready.RootElement.GetProperty("connection_string").GetString()! + $";Database={database}");
            string[] columns = ["event_id", "type", "schema_version", "app_id", "user_id", "conversation_id", "response_id", "occurred_at", "received_at", "payload", "kafka_topic", "kafka_partition", "kafka_offset"];
            var now = DateTime.UtcNow;
            await client.InsertBinaryAsync("events_raw", columns, Enumerable.Range(0, 1000).Select(i => new object[] { $"e-{i}", "reaction.set", (ushort)1, "app", "u", "c", "r", now, now, "{\"text\":\"a\\n\\nb\"}", "t", 0, (long)i }), null, Ct);
            Assert.Equal(1000UL, await E2E.ScalarAsync(client, "SELECT count() FROM events_raw FINAL"));
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
