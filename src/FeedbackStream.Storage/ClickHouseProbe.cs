using ClickHouse.Driver;

namespace FeedbackStream.Storage;

/// <summary>Whether a ClickHouse engine answers: the start-up check of a server target and the readiness check of every role.</summary>
public static class ClickHouseProbe
{
    /// <summary>
    /// Asks <c>SELECT 1</c> on the <c>default</c> database, which exists before the first migration; throws what the
    /// driver throws, or <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> ends first.
    /// </summary>
    public static async Task PingAsync(ClickHouseClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await client.ExecuteScalarAsync("SELECT 1", null, new QueryOptions { Database = "default" }, cancellationToken);
    }
}
