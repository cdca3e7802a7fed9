using ClickHouse.Driver;
using ClickHouse.Driver.Utility;
using FeedbackStream.Contracts;
using FeedbackStream.Mining;
using FeedbackStream.Storage.Labels;

namespace FeedbackStream.Storage.Tests;

/// <summary>
/// <c>events_raw</c> on the real engine: an event's identity is (app_id, event_id), so a retry stored twice is one event
/// and two apps' events with the same id are both kept; reads by conversation never cross apps.
/// </summary>
public sealed class EventsRawTests(ClickHouseFixture clickHouse)
{
    private static readonly string[] EventColumns =
        ["event_id", "type", "schema_version", "app_id", "user_id", "conversation_id", "response_id", "occurred_at", "received_at", "payload", "kafka_topic", "kafka_partition", "kafka_offset"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> Transports => TestDatabase.Transports;

    private static object[] Row(FeedbackEvent e, long offset)
    {
        var payload = System.Text.Json.JsonDocument.Parse(FeedbackJson.Serialize(e)).RootElement.GetProperty("payload").GetRawText();
        return [e.EventId, e.Type, (ushort)1, e.AppId, e.UserId, e.ConversationId, e.Payload.ResponseId(), e.OccurredAt.UtcDateTime, e.OccurredAt.UtcDateTime, payload, "t", 0, offset];
    }

    private static async Task<ulong> CountAsync(ClickHouseClient client, string sql) =>
        Convert.ToUInt64(await client.ValueAsync<ulong>(sql, null, Ct), System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ARetryStoredTwice_IsOneEvent_TheSameIdInAnotherApp_IsAnotherEvent(bool overHttp)
    {
        await using var db = await TestDatabase.CreateAsync(clickHouse, overHttp, Ct);
        var at = new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);
        var served = FeedbackEvent.Create("e-1", "app1", at, "u1", "c1", new ResponseServed("r-1", 0, "answer", "m1", PromptText: "q"));
        var other = FeedbackEvent.Create("e-1", "app2", at, "u9", "c1", new ResponseServed("r-9", 0, "other tenant", "m1", PromptText: "q"));
        var second = FeedbackEvent.Create("e-2", "app1", at.AddSeconds(5), "u1", "c1", new ResponseServed("r-2", 1, "again", "m1", PromptText: "q"));
        await db.Client.InsertBinaryAsync("events_raw", EventColumns, [Row(served, 0), Row(other, 1)], null, Ct);
        // The same event again (a producer retry), then a new one, in separate inserts (separate parts).
        await db.Client.InsertBinaryAsync("events_raw", EventColumns, [Row(served, 2), Row(second, 3)], null, Ct);

        var repository = new LabelRepository(db.Client);
        var counts = await repository.EventCountsAsync([new ConversationKey("app1", "c1"), new ConversationKey("app2", "c1"), new ConversationKey("app3", "c1")], Ct);
        Assert.Equal(new Dictionary<ConversationKey, ulong> { [new ConversationKey("app1", "c1")] = 2, [new ConversationKey("app2", "c1")] = 1 }, counts);

        var app1 = await repository.EventsAsync([new ConversationKey("app1", "c1")], Ct);
        Assert.All(app1, e => Assert.Equal("app1", e.Event.AppId));
        Assert.Equal(["e-1", "e-2"], app1.Select(e => e.Event.EventId).Distinct().Order(StringComparer.Ordinal));
        var read = app1.First(e => e.Event.EventId == "e-2").Event;
        Assert.Equal(("u1", "c1", at.AddSeconds(5)), (read.UserId, read.ConversationId, read.OccurredAt));
        Assert.Equal("r-2", read.Payload.ResponseId());

        var app2 = Assert.Single(await repository.EventsAsync([new ConversationKey("app2", "c1")], Ct));
        Assert.Equal(("e-1", "u9", "r-9"), (app2.Event.EventId, app2.Event.UserId, app2.Event.Payload.ResponseId()));

        // Once merged, the table holds one row per (app_id, event_id).
        await db.Client.ExecuteNonQueryAsync("OPTIMIZE TABLE events_raw FINAL", null, null, Ct);
        Assert.Equal(3UL, await CountAsync(db.Client, "SELECT count() FROM events_raw"));
        Assert.Equal(2UL, await CountAsync(db.Client, "SELECT count() FROM events_raw WHERE event_id = 'e-1'"));
    }
}
