using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ClickHouse.Driver;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;

namespace FeedbackStream.Storage;

/// <summary>A numbered schema migration: <c>NNNN_name.sql</c>, one or more statements ending in ';' at the end of a line.</summary>
public sealed partial record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the file, recorded when applied; an applied migration must never change.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));

    /// <summary>The statements of the file, one per request (ClickHouse's HTTP interface runs one statement per request).</summary>
    public IReadOnlyList<string> Statements() =>
        StatementEnd().Split(Sql)
            .Select(s => s.Trim())
            .Where(s => s.Split('\n').Any(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal) && line.Trim().Length > 0))
            .ToList();

    [GeneratedRegex(@";[ \t]*(\r?\n|$)", RegexOptions.CultureInvariant)]
    private static partial Regex StatementEnd();
}

/// <summary>What <see cref="Migrator.MigrateAsync"/> did.</summary>
public sealed record MigrationReport(string Database, IReadOnlyList<int> Applied, IReadOnlyList<int> AlreadyApplied);

/// <summary>
/// Applies the numbered migrations embedded in this assembly to one ClickHouse database, in order, once each.
/// Applied migrations are recorded in <c>schema_migrations</c> with their checksum; a changed applied migration is an
/// error, not a silent re-run. Works unchanged on the embedded engine and on a ClickHouse server.
/// </summary>
public sealed partial class Migrator(ClickHouseClient client, string database)
{
    private static readonly Regex FileName = new(@"^(\d{4})_([a-z0-9_]+)\.sql$", RegexOptions.CultureInvariant);

    public static IReadOnlyList<Migration> Embedded()
    {
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Migrations/", StringComparison.Ordinal)))
        {
            var match = FileName.Match(resource["Migrations/".Length..]);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Migration '{resource}' is not named NNNN_name.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two migrations share version {duplicate.Key}.");
        }

        return migrations.OrderBy(m => m.Version).ToList();
    }

    public async Task<MigrationReport> MigrateAsync(CancellationToken cancellationToken) =>
        await MigrateAsync(Embedded(), cancellationToken);

    /// <summary>
    /// The versions this build has and the database has not applied (all of them when the database is new). A process
    /// that does not migrate at start refuses to run on a schema older than its code.
    /// </summary>
    public async Task<IReadOnlyList<int>> PendingAsync(CancellationToken cancellationToken)
    {
        var known = Embedded().Select(m => m.Version).ToList();
        var tables = new ClickHouseParameterCollection();
        tables.AddParameter("database", database);
        var exists = Convert.ToUInt64(
            await client.ExecuteScalarAsync(
                "SELECT count() FROM system.tables WHERE database = {database:String} AND name = 'schema_migrations'", tables, new QueryOptions { Database = "default" }, cancellationToken),
            CultureInfo.InvariantCulture);
        if (exists == 0)
        {
            return known;
        }

        var applied = new HashSet<int>();
        using (var reader = await client.ExecuteReaderAsync("SELECT version FROM schema_migrations FINAL", null, new QueryOptions { Database = database }, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture));
            }
        }

        return known.Where(v => !applied.Contains(v)).ToList();
    }

    internal async Task<MigrationReport> MigrateAsync(IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        if (!IdentifierPattern().IsMatch(database))
        {
            throw new ArgumentException($"Database name '{database}' must match [A-Za-z_][A-Za-z0-9_]*.", nameof(database));
        }

        var options = new QueryOptions { Database = database };
        await client.ExecuteNonQueryAsync($"CREATE DATABASE IF NOT EXISTS {database}", null, new QueryOptions { Database = "default" }, cancellationToken);
        await client.ExecuteNonQueryAsync(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations
            (
                version    UInt32,
                name       String,
                checksum   String,
                applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
            )
            ENGINE = ReplacingMergeTree
            ORDER BY version
            """, null, options, cancellationToken);

        var applied = new Dictionary<int, string>();
        using (var reader = await client.ExecuteReaderAsync("SELECT version, checksum FROM schema_migrations FINAL", null, options, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied[Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture)] = reader.GetString(1);
            }
        }

        var done = new List<int>();
        var skipped = new List<int>();
        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var checksum))
            {
                if (checksum != migration.Checksum)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Version:D4}_{migration.Name} was changed after it was applied to '{database}' " +
                        $"(recorded checksum {checksum}, file {migration.Checksum}). Add a new migration instead.");
                }

                skipped.Add(migration.Version);
                continue;
            }

            foreach (var statement in migration.Statements())
            {
                await client.ExecuteNonQueryAsync(statement, null, options, cancellationToken);
            }

            var parameters = new ClickHouseParameterCollection();
            parameters.AddParameter("version", (uint)migration.Version);
            parameters.AddParameter("name", migration.Name);
            parameters.AddParameter("checksum", migration.Checksum);
            await client.ExecuteNonQueryAsync(
                "INSERT INTO schema_migrations (version, name, checksum) SELECT {version:UInt32}, {name:String}, {checksum:String}",
                parameters, options, cancellationToken);
            done.Add(migration.Version);
        }

        return new MigrationReport(database, done, skipped);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();
}
