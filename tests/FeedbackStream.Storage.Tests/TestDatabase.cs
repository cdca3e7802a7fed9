using ClickHouse.Driver;
using FeedbackStream.EmbeddedClickHouse;

namespace FeedbackStream.Storage.Tests;

/// <summary>A freshly migrated database of its own, reached in process or over the loopback HTTP interface.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly IAsyncDisposable? _listener;

    private TestDatabase(ClickHouseClient client, IAsyncDisposable? listener)
    {
        Client = client;
        _listener = listener;
    }

    public ClickHouseClient Client { get; }

    public static TheoryData<bool> Transports => new() { false, true };

    public static async Task<TestDatabase> CreateAsync(ClickHouseFixture clickHouse, bool overHttp, CancellationToken cancellationToken)
    {
        var database = "r_" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = clickHouse.Server.CreateClient())
        {
            await new Migrator(admin, database).MigrateAsync(cancellationToken);
        }

        if (!overHttp)
        {
            return new TestDatabase(clickHouse.Server.CreateClient(database), null);
        }

        var listener = await ClickHouseHttpListener.StartAsync(clickHouse.Server.Core, 0, cancellationToken: cancellationToken);
        return new TestDatabase(new ClickHouseClient(listener.ConnectionString(database)), listener);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }
    }
}
