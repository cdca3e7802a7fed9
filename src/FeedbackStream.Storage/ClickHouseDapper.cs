using System.Data.Common;
using ClickHouse.Driver;
using Dapper;

namespace FeedbackStream.Storage;

/// <summary>
/// Dapper over ClickHouse.Driver's ADO.NET provider: columns map to properties by name (<c>label_id</c> to
/// <c>LabelId</c>), never by position. Every repository reads through here.
/// </summary>
public static class ClickHouseDapper
{
    static ClickHouseDapper() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    /// <summary>Rows of <paramref name="sql"/> as <typeparamref name="T"/>, mapped by column name.</summary>
    public static async Task<List<T>> RowsAsync<T>(this ClickHouseClient client, string sql, object? parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await using var connection = client.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>The single value of <paramref name="sql"/> converted to <typeparamref name="T"/> (default when no row).</summary>
    public static async Task<T?> ValueAsync<T>(this ClickHouseClient client, string sql, object? parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await using DbConnection connection = client.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }
}
