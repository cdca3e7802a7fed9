using ClickHouse.Driver;
using FeedbackStream.EmbeddedClickHouse;

[assembly: AssemblyFixture(typeof(FeedbackStream.Storage.Tests.ClickHouseFixture))]

namespace FeedbackStream.Storage.Tests;

public sealed class ClickHouseFixture : IDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"fs-storage-tests-{Guid.NewGuid():N}");

    public ClickHouseFixture() => Server = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = _dataPath });

    public EmbeddedClickHouseServer Server { get; }

    public void Dispose()
    {
        Server.Dispose();
        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // Temp folder; best effort.
        }
    }
}

public sealed class MigratorTests(ClickHouseFixture clickHouse)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewDatabase() => "m_" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Migrate_OnAFreshDatabase_AppliesEveryMigrationInOrder_ThenNothingTheSecondTime()
    {
        using var client = clickHouse.Server.CreateClient();
        var database = NewDatabase();
        var all = Migrator.Embedded().Select(m => m.Version).ToList();

        var first = await new Migrator(client, database).MigrateAsync(Ct);
        var second = await new Migrator(client, database).MigrateAsync(Ct);

        Assert.Equal(all, first.Applied);
        Assert.Empty(first.AlreadyApplied);
        Assert.Empty(second.Applied);
        Assert.Equal(all, second.AlreadyApplied);
        Assert.Equal((ulong)all.Count, await client.ExecuteScalarAsync($"SELECT count() FROM {database}.schema_migrations FINAL", null, null, Ct));
        foreach (var table in new[] { "events_raw", "events_rejected", "response_labels", "signal_decisions", "preference_pairs", "labeling_state", "labeling_set_aside", "v_events", "v_love_rate_daily", "v_pairs_daily", "v_decisions_daily" })
        {
            Assert.Equal(1UL, await client.ExecuteScalarAsync($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = '{table}'", null, null, Ct));
        }
    }

    [Fact]
    public async Task Migrate_WhenAnAppliedMigrationChanged_RefusesWithItsName()
    {
        using var client = clickHouse.Server.CreateClient();
        var database = NewDatabase();
        var migrator = new Migrator(client, database);
        Migration[] original = [new(1, "one", "CREATE TABLE a (x UInt8) ENGINE = Memory;")];
        await migrator.MigrateAsync(original, Ct);

        Migration[] edited = [new(1, "one", "CREATE TABLE a (x UInt16) ENGINE = Memory;")];
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.MigrateAsync(edited, Ct));

        Assert.Contains("0001_one was changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_AMultiStatementFile_RunsEachStatement()
    {
        using var client = clickHouse.Server.CreateClient();
        var database = NewDatabase();
        Migration[] migrations =
        [
            new(1, "two_tables", "-- first\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\nCREATE TABLE b (s String DEFAULT 'x;y') ENGINE = Memory;\n"),
        ];

        await new Migrator(client, database).MigrateAsync(migrations, Ct);

        Assert.Equal(2UL, await client.ExecuteScalarAsync($"SELECT count() FROM system.tables WHERE database = '{database}' AND name IN ('a', 'b')", null, null, Ct));
    }

    [Fact]
    public void EmbeddedMigrations_AreNumberedWithoutGaps()
    {
        var versions = Migrator.Embedded().Select(m => m.Version).ToList();
        Assert.Equal(Enumerable.Range(1, versions.Count), versions);
    }

    [Fact]
    public async Task EventsRaw_SameEventIdReceivedOnTwoDays_IsOneRowAfterMerge()
    {
        using var client = clickHouse.Server.CreateClient();
        var database = NewDatabase();
        await new Migrator(client, database).MigrateAsync(Ct);
        using var db = clickHouse.Server.CreateClient(database);
        string[] columns = ["event_id", "type", "schema_version", "app_id", "user_id", "conversation_id", "response_id", "occurred_at", "received_at", "payload", "kafka_topic", "kafka_partition", "kafka_offset"];
        var occurred = new DateTime(2026, 11, 26, 23, 59, 59, DateTimeKind.Utc);
        object[] Row(DateTime received, long offset) => ["e-1", "reaction.set", (ushort)1, "app", "u", "c", "r", occurred, received, "{}", "t", 0, offset];

        await db.InsertBinaryAsync("events_raw", columns, [Row(occurred, 1)], null, Ct);
        await db.InsertBinaryAsync("events_raw", columns, [Row(occurred.AddDays(1), 2)], null, Ct);
        await db.ExecuteNonQueryAsync("OPTIMIZE TABLE events_raw FINAL", null, null, Ct);

        Assert.Equal(1UL, await db.ExecuteScalarAsync("SELECT count() FROM events_raw", null, null, Ct));
    }

    private static readonly string[] EventColumns = ["event_id", "type", "schema_version", "app_id", "user_id", "conversation_id", "response_id", "occurred_at", "received_at", "payload", "kafka_topic", "kafka_partition", "kafka_offset"];

    private static object[] EventRow(string app, string eventId, DateTime occurred, string user, long offset) =>
        [eventId, "reaction.set", (ushort)1, app, user, "c", "r", occurred, occurred.AddSeconds(1), "{}", "t", 0, offset];

    [Fact]
    public async Task EventsRaw_TwoAppsSendingTheSameEventId_KeepBothRowsUnderFinalAndAfterMerge()
    {
        using var client = clickHouse.Server.CreateClient();
        var database = NewDatabase();
        await new Migrator(client, database).MigrateAsync(Ct);
        using var db = clickHouse.Server.CreateClient(database);
        var occurred = new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc);

        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app1", "shared-id", occurred, "u-app1", 1)], null, Ct);
        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app2", "shared-id", occurred, "u-app2", 2)], null, Ct);

        Assert.Equal(2UL, await db.ExecuteScalarAsync("SELECT count() FROM events_raw FINAL", null, null, Ct));
        Assert.Equal(2UL, await db.ExecuteScalarAsync("SELECT count() FROM v_events", null, null, Ct));
        await db.ExecuteNonQueryAsync("OPTIMIZE TABLE events_raw FINAL", null, null, Ct);
        Assert.Equal("u-app1", await db.ExecuteScalarAsync("SELECT user_id FROM events_raw WHERE app_id = 'app1'", null, null, Ct));
        Assert.Equal("u-app2", await db.ExecuteScalarAsync("SELECT user_id FROM events_raw WHERE app_id = 'app2'", null, null, Ct));
    }

    [Fact]
    public async Task EventsRaw_SameEventSentTwiceWithOccurredAtInDifferentMonths_IsOneRowAfterOptimizeFinal()
    {
        using var client = clickHouse.Server.CreateClient();
        var database = NewDatabase();
        await new Migrator(client, database).MigrateAsync(Ct);
        using var db = clickHouse.Server.CreateClient(database);

        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app", "e-1", new DateTime(2026, 10, 31, 23, 59, 59, DateTimeKind.Utc), "u", 1)], null, Ct);
        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app", "e-1", new DateTime(2026, 11, 1, 0, 0, 1, DateTimeKind.Utc), "u", 2)], null, Ct);
        await db.ExecuteNonQueryAsync("OPTIMIZE TABLE events_raw FINAL", null, null, Ct);

        Assert.Equal(1UL, await db.ExecuteScalarAsync("SELECT count() FROM events_raw", null, null, Ct));
        Assert.Equal(1UL, await db.ExecuteScalarAsync("SELECT count() FROM v_events", null, null, Ct));
    }

    [Fact]
    public async Task Migration0008_RekeysPreExistingRows_KeepsEveryAppsEvent_AndCanRunAgain()
    {
        using var client = clickHouse.Server.CreateClient();
        var database = NewDatabase();
        var all = Migrator.Embedded();
        await new Migrator(client, database).MigrateAsync(all.Where(m => m.Version < 8).ToList(), Ct);
        using var db = clickHouse.Server.CreateClient(database);
        var november = new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc);
        var october = new DateTime(2026, 10, 31, 23, 59, 59, DateTimeKind.Utc);

        // Written under the old key, not yet merged: two apps share an id; one event was retried across a month boundary.
        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app1", "shared-id", november, "u-app1", 1)], null, Ct);
        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app2", "shared-id", november, "u-app2", 2)], null, Ct);
        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app1", "retried", october, "u", 3)], null, Ct);
        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app1", "retried", november, "u", 4)], null, Ct);
        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app1", "single", november, "u", 5)], null, Ct);

        var report = await new Migrator(client, database).MigrateAsync(all.Where(m => m.Version <= 8).ToList(), Ct);
        Assert.Contains(8, report.Applied);

        // Running the file's statements again (a failure after the swap, before it was recorded) changes nothing.
        foreach (var statement in all.Single(m => m.Version == 8).Statements())
        {
            await db.ExecuteNonQueryAsync(statement, null, null, Ct);
        }

        // The later migrations apply on top.
        Assert.NotEmpty((await new Migrator(client, database).MigrateAsync(all, Ct)).Applied);

        await db.ExecuteNonQueryAsync("OPTIMIZE TABLE events_raw FINAL", null, null, Ct);
        Assert.Equal(
            "app1/retried,app1/shared-id,app1/single,app2/shared-id",
            await db.ExecuteScalarAsync("SELECT arrayStringConcat(groupArray(k), ',') FROM (SELECT app_id || '/' || event_id AS k FROM events_raw ORDER BY k)", null, null, Ct));
        Assert.Equal(4UL, await db.ExecuteScalarAsync("SELECT count() FROM v_events", null, null, Ct));
        Assert.Equal("app_id, event_id", await db.ExecuteScalarAsync($"SELECT sorting_key FROM system.tables WHERE database = '{database}' AND name = 'events_raw'", null, null, Ct));
        Assert.Equal("tuple()", await db.ExecuteScalarAsync($"SELECT partition_key FROM system.tables WHERE database = '{database}' AND name = 'events_raw'", null, null, Ct));
        Assert.Equal(0UL, await db.ExecuteScalarAsync($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'events_raw_0008'", null, null, Ct));

        // Defaults and comments came across: a new row still gets ingested_at from the server.
        await db.InsertBinaryAsync("events_raw", EventColumns, [EventRow("app3", "after", november, "u", 6)], null, Ct);
        Assert.Equal(1UL, await db.ExecuteScalarAsync("SELECT count() FROM events_raw WHERE app_id = 'app3' AND ingested_at > '2020-01-01'", null, null, Ct));
        Assert.Equal("client clock", await db.ExecuteScalarAsync($"SELECT comment FROM system.columns WHERE database = '{database}' AND table = 'events_raw' AND name = 'occurred_at'", null, null, Ct));
        Assert.Empty((await new Migrator(client, database).MigrateAsync(all, Ct)).Applied);
    }
}
