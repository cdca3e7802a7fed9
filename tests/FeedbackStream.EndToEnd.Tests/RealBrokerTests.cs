using System.Net;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// The whole flow on a real Apache Kafka broker process (0.9.0.1 with ZooKeeper, logs on disk): the broker is killed
/// with SIGKILL during ingest and restarted; every event the gateway accepted reaches ClickHouse exactly once.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class RealBrokerTests(EngineFixture engine)
{
    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task BrokerKilledWithSigkillAndRestarted_GatewayAnswers503Meanwhile_EveryAcceptedEventLandsOnce()
    {
        await using var broker = await Kafka09Broker.StartAsync(Ct);
        await broker.CreateTopicAsync("feedback.events.v1", 3, Ct);
        await broker.WaitForLeadersAsync("feedback.events.v1", 3, Ct);

        // The settings a real deployment on an old broker passes through configuration.
        await using var host = await E2E.StartHostAsync(engine, settings: new()
        {
            ["Kafka:BootstrapServers"] = broker.BootstrapServers,
            ["Kafka:Client:api.version.request"] = "false",
            ["Kafka:Client:broker.version.fallback"] = "0.9.0.1",
            ["Kafka:Producer:enable.idempotence"] = "false",
            ["Kafka:Consumer:partition.assignment.strategy"] = "range",
            ["Gateway:ProduceTimeout"] = "00:00:03",
            ["Gateway:RetryAfter"] = "00:00:01",
        });
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        var before = E2E.Events(300, "k09a");
        var during = E2E.Events(300, "k09b");
        var after = E2E.Events(300, "k09c");
        (await E2E.PostAsync(http, before)).EnsureSuccessStatusCode();

        await broker.KillBrokerAsync(Ct);
        using (var refused = await E2E.PostAsync(http, during))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        await broker.RestartBrokerAsync(Ct);
        await broker.WaitForLeadersAsync("feedback.events.v1", 3, Ct);
        var status = await E2E.PostUntilAcceptedAsync(http, during, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, status);
        (await E2E.PostAsync(http, after)).EnsureSuccessStatusCode();

        using var client = host.CreateClickHouseClient();
        await E2E.WaitForCountAsync(client, "SELECT uniqExact(event_id) FROM events_raw", 900, TimeSpan.FromSeconds(120));
        Assert.Equal(900UL, await E2E.ScalarAsync(client, "SELECT count() FROM events_raw FINAL"));
        Assert.Equal(0UL, await E2E.ScalarAsync(client, "SELECT count() FROM events_rejected"));
    }
}
