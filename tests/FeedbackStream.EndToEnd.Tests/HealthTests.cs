using System.Net;
using System.Text.Json;
using FeedbackStream.Cli;
using FeedbackStream.Hosting;
using FeedbackStream.EmbeddedClickHouse;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>Liveness and readiness per role, on real engines: readiness follows ClickHouse and Kafka; errors are problem details.</summary>
[Collection(EnginesCollection.Name)]
public sealed class HealthTests(EngineFixture engine)
{
    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task PipelineAndLabeler_AreReadyWithTheirEngines_AndNotReadyOnceClickHouseIsGone_WhileStillLive()
    {
        var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
        var listening = true;
        try
        {
            await using var host = await E2E.StartHostAsync(engine, HostRoles.Pipeline | HostRoles.Labeler, new()
            {
                ["ClickHouse:Mode"] = "Server",
                ["ClickHouse:ConnectionString"] = listener.ConnectionString(),
                ["ClickHouse:MigrateOnStart"] = "true",
                ["Pipeline:Urls"] = "http://127.0.0.1:0",
            });
            using var http = new HttpClient { BaseAddress = host.GatewayAddress };

            using (var ready = await http.GetAsync("/health/ready", Ct))
            {
                var body = await JsonAsync(ready);
                Assert.True(ready.StatusCode == HttpStatusCode.OK, body.ToString());
                Assert.Equal("healthy", body.GetProperty("status").GetString());
                foreach (var check in new[] { "clickhouse", "kafka", "pipeline", "labeler" })
                {
                    Assert.Equal("healthy", body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());
                }
            }

            // An unknown path is a problem detail, not an empty answer.
            using (var missing = await http.GetAsync("/no-such-path", Ct))
            {
                Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
                Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
            }

            listening = false;
            await listener.DisposeAsync();
            using (var notReady = await http.GetAsync("/health/ready", Ct))
            {
                var body = await JsonAsync(notReady);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
                var clickHouse = body.GetProperty("checks").GetProperty("clickhouse");
                Assert.Equal("unhealthy", clickHouse.GetProperty("status").GetString());
                Assert.StartsWith("clickhouse", clickHouse.GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.Equal("healthy", body.GetProperty("checks").GetProperty("kafka").GetProperty("status").GetString());
            }

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live", Ct)).StatusCode);
        }
        finally
        {
            if (listening)
            {
                await listener.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TheGatewaysReadiness_CoversClickHouseAsWellAsKafka()
    {
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        using var ready = await http.GetAsync("/health/ready", Ct);
        var body = await JsonAsync(ready);
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("healthy", body.GetProperty("checks").GetProperty("clickhouse").GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("checks").GetProperty("kafka").GetProperty("status").GetString());
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
}
