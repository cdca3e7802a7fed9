using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
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

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> ParameterProperties = new();

    /// <summary>
    /// Rows of <paramref name="sql"/> as <typeparamref name="T"/>, mapped by column name. The row parser comes from
    /// Dapper's per-type cache (keyed by the columns, not the SQL text), and parameters are bound directly: queries
    /// whose text carries id lists differ every time, and Dapper's per-SQL cache would emit and compile new binding
    /// code for each of them.
    /// </summary>
    public static async Task<List<T>> RowsAsync<T>(this ClickHouseClient client, string sql, object? parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        return await ClickHouseMetrics.TimeAsync("query", null, () => ReadRowsAsync<T>(client, sql, parameters, cancellationToken));
    }

    private static async Task<List<T>> ReadRowsAsync<T>(ClickHouseClient client, string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = client.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        if (reader.FieldCount == 0)
        {
            return rows;
        }

        var parse = IsScalar(typeof(T)) ? (r => (T)Convert.ChangeType(r.GetValue(0), typeof(T), CultureInfo.InvariantCulture)) : reader.GetRowParser<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(parse(reader));
        }

        return rows;
    }

    private static bool IsScalar(Type type) =>
        type == typeof(string) || type.IsPrimitive || type == typeof(DateTime) || type == typeof(decimal);

    /// <summary>Runs <paramref name="sql"/>, a statement that returns no rows, with <paramref name="parameters"/> bound by name.</summary>
    public static async Task ExecuteAsync(this ClickHouseClient client, string sql, object? parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await ClickHouseMetrics.TimeAsync("statement", null, async () =>
        {
            await using DbConnection connection = client.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            await using var command = Command(connection, sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });
    }

    /// <summary>The single value of <paramref name="sql"/> converted to <typeparamref name="T"/> (default when no row).</summary>
    public static async Task<T?> ValueAsync<T>(this ClickHouseClient client, string sql, object? parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        return await ClickHouseMetrics.TimeAsync("query", null, async () =>
        {
            await using DbConnection connection = client.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            await using var command = Command(connection, sql, parameters);
            var value = await command.ExecuteScalarAsync(cancellationToken);
            return value is null or DBNull ? default : value is T typed ? typed : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), CultureInfo.InvariantCulture);
        });
    }

    /// <summary>
    /// A command whose parameters are the public properties of <paramref name="parameters"/>, bound by name
    /// (<c>{name:Type}</c> in the SQL). Bound here rather than by Dapper, which drops parameters it does not see written
    /// as <c>@name</c> and caches binding code per SQL text.
    /// </summary>
    private static DbCommand Command(DbConnection connection, string sql, object? parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        if (parameters is not null)
        {
            foreach (var property in ParameterProperties.GetOrAdd(parameters.GetType(), t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)))
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = property.Name;
                parameter.Value = property.GetValue(parameters);
                command.Parameters.Add(parameter);
            }
        }

        return command;
    }
}
