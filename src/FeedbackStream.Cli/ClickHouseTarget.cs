using System.CommandLine;
using ClickHouse.Driver;
using FeedbackStream.EmbeddedClickHouse;

namespace FeedbackStream.Cli;

/// <summary>
/// Where a command's ClickHouse is: the embedded engine on a data folder (the default), or a server named by a
/// ClickHouse.Driver connection string (<c>--clickhouse "Host=...;Port=8123;Username=...;Password=..."</c>, or the
/// FEEDBACKSTREAM_CLICKHOUSE environment variable so secrets stay off the command line).
/// </summary>
internal sealed class ClickHouseTarget : IDisposable
{
    public const string ConnectionVariable = "FEEDBACKSTREAM_CLICKHOUSE";

    private readonly EmbeddedClickHouseServer? _embedded;
    private readonly string? _connectionString;

    private ClickHouseTarget(EmbeddedClickHouseServer? embedded, string? connectionString)
    {
        _embedded = embedded;
        _connectionString = connectionString;
    }

    /// <summary>The embedded engine, when this target is one.</summary>
    public EmbeddedClickHouseServer? Embedded => _embedded;

    public string Description => _embedded is not null ? $"embedded engine, data in {_embedded.DataPath}" : "ClickHouse server";

    public static Option<string?> ConnectionOption() => new("--clickhouse")
    {
        Description = $"ClickHouse.Driver connection string of a ClickHouse server; default: ${ConnectionVariable}, else the embedded engine.",
    };

    public static ClickHouseTarget Open(string? connectionString, string dataPath)
    {
        connectionString ??= Environment.GetEnvironmentVariable(ConnectionVariable);
        return string.IsNullOrWhiteSpace(connectionString)
            ? new ClickHouseTarget(EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = dataPath }), null)
            : new ClickHouseTarget(null, connectionString);
    }

    public ClickHouseClient CreateClient(string database = "default")
    {
        if (_embedded is not null)
        {
            return _embedded.CreateClient(database);
        }

        var settings = new ClickHouse.Driver.ADO.ClickHouseClientSettings(_connectionString!) { Database = database };
        return new ClickHouseClient(settings);
    }

    public void Dispose() => _embedded?.Dispose();
}
