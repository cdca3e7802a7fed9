using System.CommandLine;
using System.Text;
using FeedbackStream.EmbeddedClickHouse;
using Spectre.Console;

namespace FeedbackStream.Cli;

/// <summary><c>feedbackstream clickhouse serve</c> and <c>feedbackstream sql</c> over the embedded engine.</summary>
internal static class ClickHouseCommands
{
    public const string DefaultDataPath = ".feedbackstream/clickhouse";

    public static Option<string> DataOption() => new("--data")
    {
        Description = "Folder holding the embedded ClickHouse data (created if missing).",
        DefaultValueFactory = _ => DefaultDataPath,
    };

    public static Command Create()
    {
        var command = new Command("clickhouse", "The embedded ClickHouse engine (chDB).");
        command.Subcommands.Add(CreateServe());
        return command;
    }

    private static Command CreateServe()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 8123 };
        var data = DataOption();
        var json = new Option<bool>("--json") { Description = "Print the bound address as one JSON object on the last line." };
        var serve = new Command("serve", "Serve the embedded engine as a ClickHouse-compatible HTTP endpoint on 127.0.0.1 until stopped.")
        {
            port, data, json,
        };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            using var server = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = parse.GetValue(data)! });
            await using var listener = await ClickHouseHttpListener.StartAsync(server.Core, parse.GetValue(port), cancellationToken: cancellationToken);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new { Address = listener.Address.ToString(), DataPath = server.DataPath });
            }
            else
            {
                Console.WriteLine($"ClickHouse HTTP interface on {listener.Address} (data in {server.DataPath}). Ctrl+C stops.");
                Console.WriteLine($"  curl '{listener.Address}?query=SELECT%20version()'");
            }

            await WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return serve;
    }

    public static Command CreateSql()
    {
        var query = new Argument<string>("query") { Description = "One SQL statement." };
        var data = DataOption();
        var format = new Option<string>("--format") { Description = "ClickHouse output format.", DefaultValueFactory = _ => "PrettyCompactMonoBlock" };
        var json = new Option<bool>("--json") { Description = "Print {\"rows\": [...]} as one JSON object." };
        var sql = new Command("sql", "Run one SQL statement on the embedded ClickHouse data and print the result.") { query, data, format, json };
        sql.SetAction(async (parse, cancellationToken) =>
        {
            using var server = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = parse.GetValue(data)! });
            var asJson = parse.GetValue(json);
            var outputFormat = asJson ? "JSONEachRow" : parse.GetValue(format)!;
            using var content = new StringContent(parse.GetValue(query)!, Encoding.UTF8);
            using var response = await server.HttpClient.PostAsync(
                $"http://{EmbeddedClickHouseServer.HostName}/?default_format={Uri.EscapeDataString(outputFormat)}", content, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync(body.TrimEnd());
                return 1;
            }

            if (asJson)
            {
                var rows = body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.Clone())
                    .ToList();
                JsonOutput.WriteLast(new { Rows = rows, RowCount = rows.Count });
            }
            else
            {
                Console.Write(body);
            }

            return 0;
        });
        return sql;
    }

    /// <summary>Completes on Ctrl+C (the token System.CommandLine cancels) or SIGTERM.</summary>
    public static async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        var stopped = new TaskCompletionSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            context =>
            {
                context.Cancel = true;
                stopped.TrySetResult();
            });
        using var registration = cancellationToken.Register(() => stopped.TrySetResult());
        await stopped.Task;
        AnsiConsole.MarkupLine("[grey]stopping[/]");
    }
}
