using ClickHouse.Driver;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;
using Dapper;

namespace FeedbackStream.EmbeddedClickHouse.Tests;

public sealed class DriverRoundTripTests(EngineFixture engine)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InsertBinary_100kRowsOfEveryColumnType_ReadBackEqual()
    {
        var (client, _) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync(
            """
            CREATE TABLE rows (
                id UInt64, name String, score Float64, at DateTime64(3, 'UTC'), tags Array(String),
                kind LowCardinality(String), note Nullable(String), maybe Nullable(Int32)
            ) ENGINE = MergeTree ORDER BY id
            """, null, null, Ct);

        const int count = 100_000;
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        object?[] Row(int i) =>
        [
            (ulong)i, $"name-{i}\ttab\nline", i * 0.25, start.AddMilliseconds(i * 37L), new[] { $"t{i % 7}", "x" },
            (i % 3) switch { 0 => "love", 1 => "like", _ => "dislike" }, i % 5 == 0 ? null : $"note {i}", i % 4 == 0 ? null : -i,
        ];
        var rows = Enumerable.Range(0, count).Select(Row).ToList();
        var written = await client.InsertBinaryAsync("rows", ["id", "name", "score", "at", "tags", "kind", "note", "maybe"], rows, null, Ct);
        Assert.Equal(count, written);

        using var reader = await client.ExecuteReaderAsync("SELECT * FROM rows ORDER BY id", null, null, Ct);
        var seen = 0;
        while (await reader.ReadAsync(Ct))
        {
            var expected = rows[seen];
            Assert.Equal((ulong)expected[0]!, reader.GetFieldValue<ulong>(0));
            Assert.Equal((string)expected[1]!, reader.GetString(1));
            Assert.Equal((double)expected[2]!, reader.GetDouble(2));
            Assert.Equal((DateTime)expected[3]!, reader.GetDateTime(3).ToUniversalTime());
            Assert.Equal((string[])expected[4]!, (string[])reader.GetValue(4));
            Assert.Equal((string)expected[5]!, reader.GetString(5));
            Assert.Equal(expected[6] ?? DBNull.Value, reader.GetValue(6));
            Assert.Equal(expected[7] ?? DBNull.Value, reader.GetValue(7));
            seen++;
        }

        Assert.Equal(count, seen);
    }

    [Fact]
    public async Task ReplacingMergeTree_SameKeyInsertedTwice_CollapsesToLatestVersion()
    {
        var (client, _) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync(
            "CREATE TABLE events (event_id String, day Date, version UInt64, body String) ENGINE = ReplacingMergeTree(version) ORDER BY event_id",
            null, null, Ct);
        var day = new DateTime(2026, 11, 26);
        await client.InsertBinaryAsync("events", ["event_id", "day", "version", "body"], [["a", day, 1UL, "first"], ["b", day, 1UL, "only"]], null, Ct);
        // A retry across midnight: same event id, another date, newer version.
        await client.InsertBinaryAsync("events", ["event_id", "day", "version", "body"], [["a", day.AddDays(1), 2UL, "second"]], null, Ct);

        Assert.Equal(3UL, await client.ExecuteScalarAsync("SELECT count() FROM events", null, null, Ct));
        Assert.Equal(2UL, await client.ExecuteScalarAsync("SELECT count() FROM events FINAL", null, null, Ct));
        await client.ExecuteNonQueryAsync("OPTIMIZE TABLE events FINAL", null, null, Ct);
        Assert.Equal(2UL, await client.ExecuteScalarAsync("SELECT count() FROM events", null, null, Ct));
        Assert.Equal("second", await client.ExecuteScalarAsync("SELECT body FROM events WHERE event_id = 'a'", null, null, Ct));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("tab\there, quote ' and \" and backslash \\ ")]
    [InlineData("line\n\nbreaks; DROP TABLE x")]
    [InlineData("unicode ❤️ 😍")]
    public async Task BraceParameters_AreBoundByTheEngine_NotInterpolated(string value)
    {
        var (client, _) = await engine.NewDatabaseAsync(Ct);
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("text", value);
        parameters.AddParameter("n", 41);
        using var reader = await client.ExecuteReaderAsync("SELECT {text:String} AS t, {n:Int32} + 1 AS n", parameters, null, Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal(value, reader.GetString(0));
        Assert.Equal(42, Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task DapperAtParameters_AreRewrittenByTheDriver_AndBound()
    {
        var (_, database) = await engine.NewDatabaseAsync(Ct);
        await using var dataSource = engine.Server.CreateDataSource(database);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await connection.ExecuteAsync("CREATE TABLE users (id UInt32, name String) ENGINE = MergeTree ORDER BY id");
        await connection.ExecuteAsync("INSERT INTO users VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')");

        var names = (await connection.QueryAsync<string>("SELECT name FROM users WHERE id >= @min AND name != @skip ORDER BY id", new { min = 2, skip = "cy" })).ToList();

        Assert.Equal(["bob"], names);
    }

    [Fact]
    public async Task ServerError_SurfacesAsClickHouseServerException_WithItsCode()
    {
        var (client, _) = await engine.NewDatabaseAsync(Ct);
        var error = await Assert.ThrowsAsync<ClickHouseServerException>(() => client.ExecuteScalarAsync("SELECT * FROM no_such_table", null, null, Ct));
        Assert.Equal(60, error.ErrorCode);

        var syntax = await Assert.ThrowsAsync<ClickHouseServerException>(() => client.ExecuteScalarAsync("SELEC 1", null, null, Ct));
        Assert.Equal(62, syntax.ErrorCode);
    }

    [Fact]
    public async Task ManagedNullReference_IsStillCatchable_AfterTheEngineStarted()
    {
        var (client, _) = await engine.NewDatabaseAsync(Ct);
        Assert.Equal(1, Convert.ToInt32(await client.ExecuteScalarAsync("SELECT 1", null, null, Ct), System.Globalization.CultureInfo.InvariantCulture));

        // The engine replaced SIGSEGV and SIGRTMIN (among others); the guard must have put the runtime's back.
        var restored = engine.Server.Core.Engine.RestoredSignals;
        Assert.Contains(11, restored);

        string? nothing = Environment.GetEnvironmentVariable("FS_TEST_VARIABLE_THAT_IS_NEVER_SET");
        var caught = Record.Exception(() => nothing!.Length);
        Assert.IsType<NullReferenceException>(caught);

        // Also from a thread-pool thread, and after a GC (which suspends threads with SIGRTMIN).
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        var fromPool = await Task.Run(() => Record.Exception(() => nothing!.Length), Ct);
        Assert.IsType<NullReferenceException>(fromPool);
    }

    [Fact]
    public async Task BinaryInsert_WithBlankLineBytes_IsStoredExactly_AndNothingAfterItRuns()
    {
        var (client, database) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE texts (id UInt32, body String) ENGINE = MergeTree ORDER BY id", null, null, Ct);
        var payloads = new[]
        {
            $"before\n\nCREATE TABLE {database}.injected (x UInt8) ENGINE = Memory\n",
            "\n\n\n",
            "\r\n\r\nSELECT 1",
            new string('\n', 300),
        };

        await client.InsertBinaryAsync("texts", ["id", "body"], payloads.Select((p, i) => new object[] { (uint)i, p }), null, Ct);

        using var reader = await client.ExecuteReaderAsync("SELECT body FROM texts ORDER BY id", null, null, Ct);
        var stored = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            stored.Add(reader.GetString(0));
        }

        Assert.Equal(payloads, stored);
        Assert.Equal(0UL, await client.ExecuteScalarAsync($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'injected'", null, null, Ct));
    }

    [Fact]
    public async Task MultiStatementBody_IsRejected_AndNoStatementRuns()
    {
        var (client, database) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE keep (x UInt8) ENGINE = Memory", null, null, Ct);

        var error = await Assert.ThrowsAsync<ClickHouseServerException>(() => client.ExecuteNonQueryAsync("SELECT 1; DROP TABLE keep", null, null, Ct));

        Assert.Equal(62, error.ErrorCode);
        Assert.Contains("Multi-statements", error.Message, StringComparison.Ordinal);
        Assert.Equal(1UL, await client.ExecuteScalarAsync($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'keep'", null, null, Ct));
        // A trailing terminator alone is fine.
        Assert.Equal((byte)1, await client.ExecuteScalarAsync("SELECT 1;", null, null, Ct));
    }

    [Fact]
    public async Task PerQuerySettings_ApplyToThatQueryOnly()
    {
        var (client, _) = await engine.NewDatabaseAsync(Ct);
        const string probe = "SELECT getSetting('max_block_size')";
        var defaultValue = await client.ExecuteScalarAsync(probe, null, null, Ct);

        var options = new QueryOptions { CustomSettings = new Dictionary<string, object> { ["max_block_size"] = 1234 } };
        Assert.Equal(1234UL, Convert.ToUInt64(await client.ExecuteScalarAsync(probe, null, options, Ct), System.Globalization.CultureInfo.InvariantCulture));

        // The pool has two connections; probe both, several times.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(defaultValue, await client.ExecuteScalarAsync(probe, null, null, Ct));
        }

        // A SET sent as a query does not outlive its request either.
        await client.ExecuteNonQueryAsync("SET max_block_size = 77", null, null, Ct);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(defaultValue, await client.ExecuteScalarAsync(probe, null, null, Ct));
        }
    }

    [Fact]
    public async Task ConcurrentQueries_BeyondThePoolSize_AllReturnTheirOwnResults()
    {
        var (client, _) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE n (k UInt32, v UInt64) ENGINE = MergeTree ORDER BY k", null, null, Ct);
        var tasks = Enumerable.Range(0, 24).Select(async k =>
        {
            await client.InsertBinaryAsync("n", ["k", "v"], Enumerable.Range(0, 1000).Select(i => new object[] { (uint)k, (ulong)i }), null, Ct);
            var parameters = new ClickHouseParameterCollection();
            parameters.AddParameter("k", k);
            return (K: k, Sum: (object?)await client.ExecuteScalarAsync("SELECT sum(v) FROM n WHERE k = {k:UInt32}", parameters, null, Ct));
        });

        foreach (var (_, sum) in await Task.WhenAll(tasks))
        {
            Assert.Equal(499_500UL, sum);
        }
    }
}
