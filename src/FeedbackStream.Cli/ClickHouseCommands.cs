using System.CommandLine;
using System.Text;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.Hosting;
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

    /// <summary>Environment variable holding the HTTP endpoint's password (the same key as serve's ClickHouse:HttpPassword).</summary>
    public const string PasswordVariable = "FEEDBACKSTREAM_ClickHouse__HttpPassword";

    private static Command CreateServe()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 8123 };
        var data = DataOption();
        var json = new Option<bool>("--json") { Description = "Print the address and credentials as one JSON object on the last line." };
        var external = new Option<bool>("--allow-external-access")
        {
            Description = "Allow SQL that reads or writes files or other services (file(), url(), remote(), s3(), INFILE, INTO OUTFILE, ...). Off by default.",
        };
        var maxBody = new Option<long>("--max-body-bytes")
        {
            Description = "Largest request body after decompression; larger requests get 413.",
            DefaultValueFactory = _ => ClickHouseHttpAccess.DefaultMaxBodyBytes,
        };
        var serve = new Command(
            "serve",
            $"Serve the embedded engine as a ClickHouse-compatible HTTP endpoint on 127.0.0.1 until stopped. User 'default'; the password is {PasswordVariable} or generated and printed at start.")
        {
            port, data, json, external, maxBody,
        };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            var access = new ClickHouseHttpAccess
            {
                Password = Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } configured ? configured : ClickHouseHttpAccess.GeneratePassword(),
                AllowExternalAccess = parse.GetValue(external),
                MaxBodyBytes = parse.GetValue(maxBody),
            };
            try
            {
                access.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            using var server = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = parse.GetValue(data)! });
            await using var listener = await ClickHouseHttpListener.StartAsync(server.Core, parse.GetValue(port), access, cancellationToken: cancellationToken);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new
                {
                    Address = listener.Address.ToString(),
                    access.User,
                    access.Password,
                    ConnectionString = listener.ConnectionString(),
                    DataPath = server.DataPath,
                    access.AllowExternalAccess,
                    access.MaxBodyBytes,
                });
            }
            else
            {
                Console.WriteLine($"ClickHouse HTTP interface on {listener.Address} (data in {server.DataPath}). Ctrl+C stops.");
                Console.WriteLine($"  user {access.User}, password {access.Password}");
                Console.WriteLine($"  curl --user '{access.User}:{access.Password}' '{listener.Address}?query=SELECT%20version()'");
                Console.WriteLine($"  ClickHouse.Driver: {listener.ConnectionString()}");
            }

            await WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return serve;
    }

    public static Command CreateSql()
    {
        var query = new Argument<string>("query") { Description = "One SQL statement." };
        var format = new Option<string>("--format") { Description = "ClickHouse output format.", DefaultValueFactory = _ => "PrettyCompactMonoBlock" };
        var json = new Option<bool>("--json") { Description = "Print {\"rows\": [...]} as one JSON object." };
        var sql = new Command(
            "sql",
            "Run one SQL statement on FeedbackStream's ClickHouse (the embedded data by default; reads the same configuration chain as serve) and print the result.")
        {
            query, format, json,
        };
        var settings = DataSettings.AddTo(sql);
        sql.SetAction((parse, cancellationToken) => settings.RunAsync(
            parse,
            async (target, _) =>
            {
                var asJson = parse.GetValue(json);
                var outputFormat = asJson ? "JSONEachRow" : parse.GetValue(format)!;
                string body;
                try
                {
                    using var result = await target.Client.ExecuteRawResultAsync(
                        parse.GetValue(query)!, new ClickHouse.Driver.QueryOptions { CustomSettings = new Dictionary<string, object> { ["default_format"] = outputFormat } }, cancellationToken);
                    using var reader = new StreamReader(await result.ReadDecompressedStreamAsync(), Encoding.UTF8);
                    body = await reader.ReadToEndAsync(cancellationToken);
                }
                catch (ClickHouse.Driver.ClickHouseServerException e)
                {
                    await Console.Error.WriteLineAsync(e.Message.TrimEnd());
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
            },
            cancellationToken,
            prepareSchema: false));
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
