using ClickHouse.Driver;
using FeedbackStream.EmbeddedClickHouse;

[assembly: AssemblyFixture(typeof(FeedbackStream.EmbeddedClickHouse.Tests.EngineFixture))]

namespace FeedbackStream.EmbeddedClickHouse.Tests;

/// <summary>One engine per test process (chDB holds one data path per process); each test gets its own database.</summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture()
    {
        DataPath = Path.Combine(Path.GetTempPath(), $"fs-ch-tests-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Server = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = DataPath, Connections = 2 });
    }

    public string DataPath { get; }

    public EmbeddedClickHouseServer Server { get; }

    /// <summary>Creates a fresh database and returns a client bound to it.</summary>
    public async Task<(ClickHouseClient Client, string Database)> NewDatabaseAsync(CancellationToken cancellationToken)
    {
        var database = "t_" + Guid.NewGuid().ToString("N")[..12];
        using var admin = Server.CreateClient();
        await admin.ExecuteNonQueryAsync($"CREATE DATABASE {database}", null, null, cancellationToken);
        return (Server.CreateClient(database), database);
    }

    public void Dispose()
    {
        Server.Dispose();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the folder lives under the temp directory.
        }
    }
}
