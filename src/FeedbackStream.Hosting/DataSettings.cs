using System.CommandLine;
using Microsoft.Extensions.Configuration;

namespace FeedbackStream.Hosting;

/// <summary>
/// The settings of a command that reads or writes FeedbackStream's data: the same chain as <c>serve</c> (defaults, an
/// optional <c>--config</c> JSON file, <c>FEEDBACKSTREAM_</c> environment variables, <c>--Section:Key=value</c>
/// arguments), with three shorthands on top: <c>--data</c> (ClickHouse:DataPath), <c>--clickhouse</c>
/// (ClickHouse:Mode=Server and ClickHouse:ConnectionString) and <c>--database</c> (ClickHouse:Database).
/// </summary>
internal sealed class DataSettings
{
    private DataSettings(Command command)
    {
        Command = command;
        command.Options.Add(Config);
        command.Options.Add(Data);
        command.Options.Add(Server);
        command.Options.Add(Database);
        command.TreatUnmatchedTokensAsErrors = false;
        CheckDatabaseName(Database);
    }

    public Command Command { get; }

    public Option<FileInfo?> Config { get; } = new("--config") { Description = "JSON settings file, as for serve (its ClickHouse section, and the sections the command uses)." };

    public Option<string?> Data { get; } = new("--data") { Description = $"Folder of the embedded ClickHouse data (ClickHouse:DataPath; default {Storage.ClickHouseOptions.DefaultDataPath})." };

    public Option<string?> Server { get; } = new("--clickhouse")
    {
        Description = "ClickHouse.Driver connection string of a ClickHouse server: sets ClickHouse:Mode=Server and ClickHouse:ConnectionString (keep passwords in FEEDBACKSTREAM_ClickHouse__ConnectionString instead).",
    };

    public Option<string?> Database { get; } = new("--database") { Description = $"ClickHouse database holding FeedbackStream's tables (ClickHouse:Database; default {Storage.ClickHouseOptions.DefaultDatabase})." };

    /// <summary>Adds the database-name check to a <c>--database</c> option: a bad value is a one-line usage error, not a stack trace.</summary>
    public static T CheckDatabaseName<T>(T option)
        where T : Option
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is not null && !Storage.ClickHouseOptions.IsValidDatabaseName(value))
            {
                result.AddError($"--database '{value}' is not a valid ClickHouse database name: use letters, digits and '_', not starting with a digit.");
            }
        });
        return option;
    }

    /// <summary>Adds the options to <paramref name="command"/> and lets it take <c>--Section:Key=value</c> arguments.</summary>
    public static DataSettings AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new DataSettings(command);
    }

    public IConfiguration Configuration(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return BuildConfiguration(
            parse.GetValue(Config), parse.UnmatchedTokens, Shorthands(parse.GetValue(Data), parse.GetValue(Server), parse.GetValue(Database)));
    }

    /// <summary>The configuration keys the shorthand options stand for (only those given).</summary>
    public static Dictionary<string, string?> Shorthands(string? data, string? server, string? database)
    {
        var keys = new Dictionary<string, string?>();
        if (data is not null)
        {
            keys["ClickHouse:DataPath"] = data;
        }

        if (server is not null)
        {
            keys["ClickHouse:Mode"] = "Server";
            keys["ClickHouse:ConnectionString"] = server;
        }

        if (database is not null)
        {
            keys["ClickHouse:Database"] = database;
        }

        return keys;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the configured ClickHouse (schema prepared as <c>serve</c> does unless
    /// <paramref name="prepareSchema"/> is false); a bad setting is one line on standard error and exit code 2.
    /// </summary>
    public async Task<int> RunAsync(ParseResult parse, Func<ClickHouseTarget, IConfiguration, Task<int>> action, CancellationToken cancellationToken, bool prepareSchema = true)
    {
        ArgumentNullException.ThrowIfNull(action);
        ClickHouseTarget target;
        IConfiguration configuration;
        try
        {
            configuration = Configuration(parse);
            target = await ClickHouseTarget.OpenAsync(configuration, cancellationToken);
            if (prepareSchema)
            {
                try
                {
                    await target.PrepareSchemaAsync(cancellationToken);
                }
                catch
                {
                    target.Dispose();
                    throw;
                }
            }
        }
        catch (Exception e) when (e is HostConfigurationException or FileNotFoundException or InvalidDataException or FormatException)
        {
            await Console.Error.WriteLineAsync($"feedbackstream {Command.Name}: {e.Message}");
            return 2;
        }

        using (target)
        {
            try
            {
                return await action(target, configuration);
            }
            catch (Exception e) when (e is HostConfigurationException or Microsoft.Extensions.Options.OptionsValidationException)
            {
                await Console.Error.WriteLineAsync($"feedbackstream {Command.Name}: {e.Message}");
                return 2;
            }
        }
    }

    /// <summary>The configuration chain every command reads, in order: the defaults, a JSON file, <c>FEEDBACKSTREAM_</c> environment variables, <c>--Section:Key=value</c> arguments, then <paramref name="overrides"/>.</summary>
    public static IConfiguration BuildConfiguration(FileInfo? file, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder().AddInMemoryCollection(FeedbackHost.Defaults);
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new FileNotFoundException($"The settings file '{file.FullName}' does not exist.", file.FullName);
            }

            builder.AddJsonFile(file.FullName, optional: false);
        }

        builder.AddEnvironmentVariables("FEEDBACKSTREAM_");
        builder.AddCommandLine(arguments.ToArray());
        if (overrides is { Count: > 0 })
        {
            builder.AddInMemoryCollection(overrides);
        }

        return builder.Build();
    }
}
