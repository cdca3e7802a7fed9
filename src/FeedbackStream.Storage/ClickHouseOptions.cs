using System.Text.RegularExpressions;

namespace FeedbackStream.Storage;

/// <summary>Where FeedbackStream's ClickHouse is.</summary>
public enum ClickHouseMode
{
    /// <summary>The embedded engine (chDB) inside this process, on <see cref="ClickHouseOptions.DataPath"/>.</summary>
    Embedded,

    /// <summary>A ClickHouse server reached over HTTP with <see cref="ClickHouseOptions.ConnectionString"/>.</summary>
    Server,
}

/// <summary>
/// ClickHouse settings (configuration section <c>ClickHouse</c>), one set for every command and role. The mode is
/// explicit: a server mode that is misconfigured or unreachable fails at start with the key named, and a connection
/// string never silently falls back to the embedded engine (nor the other way round).
/// </summary>
public sealed partial class ClickHouseOptions
{
    public const string SectionName = "ClickHouse";

    public const string DefaultDatabase = "feedbackstream";

    public const string DefaultDataPath = ".feedbackstream/clickhouse";

    public ClickHouseMode Mode { get; set; } = ClickHouseMode.Embedded;

    /// <summary>ClickHouse.Driver connection string of the server (<c>Host=...;Port=8123;Username=...;Password=...</c>); Server mode only. Keep the password in <c>FEEDBACKSTREAM_ClickHouse__ConnectionString</c>, not in a file.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Folder of the embedded engine's data; Embedded mode only.</summary>
    public string DataPath { get; set; } = DefaultDataPath;

    /// <summary>Database holding FeedbackStream's tables.</summary>
    public string Database { get; set; } = DefaultDatabase;

    /// <summary>
    /// Whether this process applies the migrations when it starts. Default: yes on the embedded engine (the process owns
    /// it), no on a server, where <c>feedbackstream migrate</c> (a job) or one designated role does it and every other
    /// replica only checks that the schema is current.
    /// </summary>
    public bool? MigrateOnStart { get; set; }

    /// <summary>How long the start-up check of a server (<c>SELECT 1</c>) may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public bool ShouldMigrateOnStart => MigrateOnStart ?? Mode == ClickHouseMode.Embedded;

    /// <summary>Whether <paramref name="name"/> is a database name (letters, digits, '_'; not starting with a digit).</summary>
    public static bool IsValidDatabaseName(string? name) => name is not null && Identifier().IsMatch(name);

    /// <summary>What is wrong, one message per problem, each naming its key; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!IsValidDatabaseName(Database))
        {
            errors.Add($"ClickHouse:Database '{Database}' is not a valid ClickHouse database name: use letters, digits and '_', not starting with a digit.");
        }

        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"ClickHouse:ConnectTimeout must be more than 0 and at most 00:05:00, not {ConnectTimeout}.");
        }

        switch (Mode)
        {
            case ClickHouseMode.Server when string.IsNullOrWhiteSpace(ConnectionString):
                errors.Add("ClickHouse:ConnectionString is required when ClickHouse:Mode is Server (Host=...;Port=8123;Username=...;Password=...).");
                break;
            case ClickHouseMode.Server:
                try
                {
                    _ = new ClickHouse.Driver.ADO.ClickHouseClientSettings(ConnectionString!);
                }
                catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
                {
                    errors.Add($"ClickHouse:ConnectionString is not a ClickHouse.Driver connection string: {e.Message}");
                }

                break;
            case ClickHouseMode.Embedded when !string.IsNullOrWhiteSpace(ConnectionString):
                errors.Add("ClickHouse:ConnectionString is set but ClickHouse:Mode is Embedded: set ClickHouse:Mode=Server to use that server, or remove the connection string to use the embedded engine.");
                break;
            case ClickHouseMode.Embedded when string.IsNullOrWhiteSpace(DataPath):
                errors.Add("ClickHouse:DataPath is required when ClickHouse:Mode is Embedded.");
                break;
        }

        return errors;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
