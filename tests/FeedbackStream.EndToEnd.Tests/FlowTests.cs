using System.Net;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FeedbackStream.Contracts;
using FeedbackStream.EmbeddedKafka;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>HTTP -> gateway -> Kafka (librdkafka mock cluster) -> pipeline -> ClickHouse (chDB), all real.</summary>
[Collection(EnginesCollection.Name)]
public sealed class FlowTests(EngineFixture engine)
{
    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task EventsSentOverHttp_LandInClickHouse_WithEqualContent()
    {
        await using var host = await E2E.StartHostAsync(engine);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        var events = E2E.Events(500);

        using (var response = await E2E.PostAsync(http, events))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(500, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("accepted").GetInt32());
        }

        using var client = host.CreateClickHouseClient();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw", 500, TimeSpan.FromSeconds(30));

        var byId = events.ToDictionary(e => e.EventId);
        using var reader = await client.ExecuteReaderAsync(
            "SELECT event_id, type, app_id, user_id, conversation_id, response_id, occurred_at, received_at, payload FROM events_raw FINAL ORDER BY event_id", null, null, Ct);
        var seen = 0;
        while (await reader.ReadAsync(Ct))
        {
            var sent = byId[reader.GetString(0)];
            Assert.Equal(sent.Type, reader.GetString(1));
            Assert.Equal(sent.AppId, reader.GetString(2));
            Assert.Equal(sent.UserId, reader.GetString(3));
            Assert.Equal(sent.ConversationId, reader.GetString(4));
            Assert.Equal(sent.OccurredAt.ToUnixTimeMilliseconds(), new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(6), DateTimeKind.Utc)).ToUnixTimeMilliseconds());
            Assert.True(reader.GetDateTime(7) >= sent.OccurredAt.UtcDateTime.AddSeconds(-1), "received_at is stamped by the gateway");

            // The payload read back is the payload sent (the texts here hold no personal data to redact).
            var stored = FeedbackJson.Deserialize(Encoding.UTF8.GetBytes(
                $$"""{"event_id":"x","type":"{{sent.Type}}","schema_version":1,"app_id":"a","occurred_at":"2026-01-01T00:00:00Z","user_id":"u","conversation_id":"c","payload":{{reader.GetString(8)}}}"""));
            Assert.Equal(sent.Payload, stored.Payload);
            seen++;
        }

        Assert.Equal(500, seen);
    }

    [Fact]
    public async Task SameEventIdsDeliveredTwice_AreOneRowEachForAnalysts()
    {
        await using var host = await E2E.StartHostAsync(engine);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        var events = E2E.Events(300, "dup");
        (await E2E.PostAsync(http, events)).EnsureSuccessStatusCode();

        // The same events produced again behind the gateway's back (as after a gateway restart): the tables collapse them.
        using (var producer = E2E.Producer(host.KafkaBootstrapServers))
        {
            foreach (var e in events)
            {
                producer.Produce("feedback.events.v1", new Message<string, byte[]> { Key = e.ConversationId, Value = FeedbackJson.Serialize(e with { ReceivedAt = DateTimeOffset.UtcNow }) });
            }

            producer.Flush(Ct);
        }

        // Wait until the pipeline wrote both copies (a background merge may already have collapsed them in the table).
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (host.Pipeline!.Written < 600 && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, Ct);
        }

        Assert.True(host.Pipeline.Written >= 600, $"the pipeline wrote {host.Pipeline.Written} of 600 records");
        using var client = host.CreateClickHouseClient();
        Assert.Equal(300UL, await E2E.ScalarAsync(client, "SELECT count() FROM events_raw FINAL"));
        Assert.Equal(300UL, await E2E.ScalarAsync(client, "SELECT uniqExact(event_id) FROM events_raw"));
    }

    [Fact]
    public async Task PoisonRecords_BecomeDeadLetters_AndRecordsAfterThemLand()
    {
        await using var host = await E2E.StartHostAsync(engine, settings: new() { ["Kafka:TopicPartitions"] = "1" });
        var good = E2E.Events(2, "poison");
        var invalid = Encoding.UTF8.GetBytes("""{"event_id":"bad","type":"reaction.set","schema_version":1,"app_id":"chat-web","occurred_at":"2026-01-01T00:00:00Z","user_id":"u","conversation_id":"c","payload":{"response_id":"r","reaction":"meh"}}""");
        using (var producer = E2E.Producer(host.KafkaBootstrapServers))
        {
            await producer.ProduceAsync("feedback.events.v1", new Message<string, byte[]> { Key = "c", Value = FeedbackJson.Serialize(good[0]) }, Ct);
            await producer.ProduceAsync("feedback.events.v1", new Message<string, byte[]> { Key = "c", Value = [0xff, 0x00, 0x7b, 0x0a] }, Ct);
            await producer.ProduceAsync("feedback.events.v1", new Message<string, byte[]> { Key = "c", Value = invalid }, Ct);
            await producer.ProduceAsync("feedback.events.v1", new Message<string, byte[]> { Key = "c", Value = FeedbackJson.Serialize(good[1]) }, Ct);
        }

        using var client = host.CreateClickHouseClient();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw", 2, TimeSpan.FromSeconds(30));
        await E2E.WaitForCountAsync(client, "SELECT count() FROM events_rejected", 2, TimeSpan.FromSeconds(10));
        using var reader = await client.ExecuteReaderAsync("SELECT kafka_partition, kafka_offset, reason, error_path, raw_bytes FROM events_rejected ORDER BY kafka_offset", null, null, Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal(1L, reader.GetInt64(1));
        Assert.Contains("not valid JSON", reader.GetString(2), StringComparison.Ordinal);
        Assert.Equal(4U, Convert.ToUInt32(reader.GetValue(4), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal(2L, reader.GetInt64(1));
        Assert.Equal("$.payload.reaction", reader.GetString(3));
        Assert.Equal(2UL, await E2E.ScalarAsync(client, $"SELECT count() FROM events_raw WHERE event_id IN ('{good[0].EventId}', '{good[1].EventId}')"));
    }

    [Fact]
    public async Task BrokersDownDuringIngest_GatewayAnswers503_AndNothingItAcceptedIsLost()
    {
        await using var host = await E2E.StartHostAsync(engine, settings: new() { ["Gateway:ProduceTimeout"] = "00:00:02", ["Gateway:RetryAfter"] = "00:00:01" });
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        var before = E2E.Events(200, "before");
        var during = E2E.Events(200, "during");
        (await E2E.PostAsync(http, before)).EnsureSuccessStatusCode();

        var cluster = host.EmbeddedKafka!;
        for (var broker = 1; broker <= 3; broker++)
        {
            cluster.SetBrokerDown(broker);
        }

        using (var refused = await E2E.PostAsync(http, during))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        for (var broker = 1; broker <= 3; broker++)
        {
            cluster.SetBrokerUp(broker);
        }

        // The client retries the same events until the gateway accepts them.
        var status = await E2E.PostUntilAcceptedAsync(http, during, TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, status);
        using var client = host.CreateClickHouseClient();
        await E2E.WaitForCountAsync(client, "SELECT uniqExact(event_id) FROM events_raw", 400, TimeSpan.FromSeconds(30));
        Assert.Equal(400UL, await E2E.ScalarAsync(client, "SELECT count() FROM events_raw FINAL"));
    }

    [Fact]
    public async Task ClickHouseFailing_PausesThePipeline_NoOffsetMoves_AndItResumesWhenItRecovers()
    {
        // A held batch of at most 50 and a channel of 100: the 1,000 records sent during the failure must back up and pause it.
        await using var host = await E2E.StartHostAsync(engine, settings: new() { ["Pipeline:ChannelCapacity"] = "100", ["Pipeline:BatchMaxRecords"] = "50", ["Pipeline:SinkRetryMaxDelay"] = "00:00:00.500" });
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        using var client = host.CreateClickHouseClient();
        (await E2E.PostAsync(http, E2E.Events(50, "first"))).EnsureSuccessStatusCode();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw", 50, TimeSpan.FromSeconds(30));

        // Take the table away: every insert fails with UNKNOWN_TABLE, a real server-side failure.
        await client.ExecuteNonQueryAsync("RENAME TABLE events_raw TO events_raw_away", null, null, Ct);
        var second = E2E.Events(1000, "second");
        foreach (var chunk in second.Chunk(250))
        {
            (await E2E.PostAsync(http, chunk)).EnsureSuccessStatusCode();
        }

        var status = host.Pipeline!;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!(status.Paused && status.SinkFailures > 0) && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, Ct);
        }

        Assert.True(status.SinkFailures > 0, "the sink saw the failure");
        Assert.True(status.Paused, "consumption paused while the sink could not write");

        await client.ExecuteNonQueryAsync("RENAME TABLE events_raw_away TO events_raw", null, null, Ct);
        await E2E.WaitForCountAsync(client, "SELECT uniqExact(event_id) FROM events_raw", 1050, TimeSpan.FromSeconds(60));
        Assert.Equal(1050UL, await E2E.ScalarAsync(client, "SELECT count() FROM events_raw FINAL"));
        Assert.Null(status.LastSinkError);
    }
}
