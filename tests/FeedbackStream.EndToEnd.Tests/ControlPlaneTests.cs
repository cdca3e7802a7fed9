using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClickHouse.Driver;
using FeedbackStream.Auth;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;
using FeedbackStream.EndToEnd.Tests.Infrastructure;
using FeedbackStream.Gateway;
using FeedbackStream.Models;
using FeedbackStream.Simulator;
using FeedbackStream.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>The <c>Messaging</c> settings are checked at start, and a bad one names its key.</summary>
public sealed class MessagingOptionsTests
{
    private static MessagingOptions Read(params (string Key, string Value)[] values) =>
        MessagingOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build());

    [Fact]
    public void Default_IsTheInMemoryBus() => Assert.Equal(MessagingTransport.InMemory, Read().Transport);

    [Fact]
    public void UnknownTransport_NamesTheKey()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Read(("Messaging:Transport", "Kafka")));
        Assert.Contains("Messaging:Transport 'Kafka'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RabbitMq_WithoutHostOrCredentials_NamesEachMissingKey()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Read(("Messaging:Transport", "RabbitMq"), ("Messaging:RabbitMq:Port", "70000")));
        Assert.Contains("Messaging:RabbitMq:Host", e.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:RabbitMq:Username", e.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:RabbitMq:Password", e.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:RabbitMq:Port '70000'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SendTimeout_OutOfRange_NamesTheKey()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Read(("Messaging:SendTimeout", "00:30:00")));
        Assert.Contains("Messaging:SendTimeout '00:30:00'", e.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(10), Read().SendTimeout);
    }

    [Fact]
    public void RabbitMq_Complete_IsAccepted()
    {
        var options = Read(("Messaging:Transport", "rabbitmq"), ("Messaging:RabbitMq:Host", "broker"), ("Messaging:RabbitMq:Username", "fs"), ("Messaging:RabbitMq:Password", "secret"));
        Assert.Equal(MessagingTransport.RabbitMq, options.Transport);
        Assert.Equal(5672, options.RabbitMqPort);
        Assert.Equal("/", options.RabbitMqVirtualHost);
    }
}

/// <summary>
/// One control plane across processes on a real RabbitMQ broker: two gateways and one trainer, each a separate
/// <c>feedbackstream serve</c> process, sharing ClickHouse (served over HTTP by this test process) and the broker.
/// Each test prints its figures as one line starting with <c>control-plane:</c>.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ControlPlaneTests(EngineFixture engine, RabbitMqFixture rabbit) : IClassFixture<RabbitMqFixture>
{
    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task TwoGatewaysAndATrainer_ScheduleEveryFourSeconds_ExactlyOneRunPerTick()
    {
        await using var cluster = await Cluster.StartAsync(engine, rabbit.Broker, schedule: "*/4 * * * * *");
        using var client = engine.Server.CreateClient(cluster.Database);

        // No labels: every run ends quickly as failed (too few labels), which is still one run per tick.
        const int wanted = 4;
        await Wait.UntilAsync(
            async () => await E2E.ScalarAsync(client, "SELECT uniqExact(job_id) FROM retrain_job_events WHERE kind IN ('finished', 'failed', 'canceled')") >= wanted,
            TimeSpan.FromSeconds(60), $"{wanted} scheduled runs to end", Ct);

        var jobs = new List<(Guid Job, DateTime Submitted, ulong Submissions, ulong Starts, ulong Runs, string State)>();
        using (var reader = await client.ExecuteReaderAsync(
            """
            SELECT job_id, min(at), countIf(kind = 'submitted'), countIf(kind = 'started'), any(trigger),
                   (SELECT count() FROM model_runs FINAL WHERE run_id = replaceAll(toString(e.job_id), '-', '')),
                   argMaxIf(kind, at, kind IN ('finished', 'failed', 'canceled'))
            FROM retrain_job_events AS e GROUP BY job_id ORDER BY min(at)
            """, null, null, Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                jobs.Add(((Guid)reader.GetValue(0), reader.GetDateTime(1), Convert.ToUInt64(reader.GetValue(2), CultureInfo.InvariantCulture),
                    Convert.ToUInt64(reader.GetValue(3), CultureInfo.InvariantCulture), Convert.ToUInt64(reader.GetValue(5), CultureInfo.InvariantCulture), reader.GetString(6)));
            }
        }

        var ended = jobs.Where(j => j.State.Length > 0).ToList();
        var gaps = ended.Zip(ended.Skip(1), (a, b) => (b.Submitted - a.Submitted).TotalSeconds).ToList();

        // Which tick each job is: the job id is derived from the tick, so recompute it for every 4 s tick around the run.
        var first = jobs.Min(j => j.Submitted).AddSeconds(-60);
        var origin = new DateTime(first.Ticks - (first.Ticks % TimeSpan.FromSeconds(4).Ticks), DateTimeKind.Utc);
        var tickOf = Enumerable.Range(0, 60).Select(i => origin.AddSeconds(4 * i))
            .ToDictionary(t => RetrainJobState.DeterministicJobId(ModelStore.DefaultModelName, "schedule", t), t => t);
        var ticks = ended.Select(j => tickOf.TryGetValue(j.Job, out var t) ? t : (DateTime?)null).ToList();
        var figures = new
        {
            test = "schedule",
            broker_started_in_s = Math.Round(rabbit.Broker.StartedIn.TotalSeconds, 2),
            ticks_observed = ended.Count,
            runs_per_tick = ended.Select(j => j.Runs).ToList(),
            starts_per_tick = ended.Select(j => j.Starts).ToList(),
            submissions_per_tick = ended.Select(j => j.Submissions).ToList(),
            ticks = ticks.Select(t => t?.ToString("HH:mm:ss", CultureInfo.InvariantCulture)).ToList(),
            seconds_between_submissions = gaps.Select(g => Math.Round(g, 2)).ToList(),
        };
        Report(figures);
        Assert.All(ended, j => Assert.Equal(1UL, j.Starts));
        Assert.All(ended, j => Assert.Equal(1UL, j.Runs));
        Assert.All(ended, j => Assert.Equal("failed", j.State));
        // Each job is one tick of the schedule, and no tick has two jobs.
        Assert.All(ticks, t => Assert.NotNull(t));
        Assert.Equal(ticks.Count, ticks.Distinct().Count());
        // Every scheduler (both gateways and the trainer) saw each tick; at least one submitted it.
        Assert.All(ended, j => Assert.InRange(j.Submissions, 1UL, 3UL));
    }

    [Fact]
    public async Task TwoGatewaysAndATrainer_CancelFromTheOtherGateway_StatusEverywhere_PromotionWithinASecond_TrainerKilled()
    {
        await using var cluster = await Cluster.StartAsync(engine, rabbit.Broker, schedule: "off");
        using (var client = engine.Server.CreateClient(cluster.Database))
        {
            await ModelTests.InsertAsync(client, LoveSimulator.Generate(new LoveSimulationOptions { Responses = 30_000, Seed = 7 }, ModelTests.Start));
        }

        using var a = new HttpClient { BaseAddress = cluster.GatewayA };
        using var b = new HttpClient { BaseAddress = cluster.GatewayB };

        // 1. Requested on A, seen running on B, canceled on B, seen canceled on both.
        var first = await ModelTests.SubmitAsync(a);
        var running = await WaitForStateAsync(b, first, "running", TimeSpan.FromSeconds(60));
        var cancelAt = Stopwatch.StartNew();
        using (var cancel = await ModelTests.AdminAsync(b, HttpMethod.Delete, $"v1/admin/jobs/{first}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var canceledOnA = await WaitForStateAsync(a, first, "canceled", TimeSpan.FromSeconds(30));
        var cancelMs = cancelAt.Elapsed.TotalMilliseconds;
        var canceledOnB = await WaitForStateAsync(b, first, "canceled", TimeSpan.FromSeconds(5));
        Assert.Equal(running.GetProperty("run_id").GetString(), canceledOnA.GetProperty("run_id").GetString());
        Assert.Equal(canceledOnA.GetProperty("run_id").GetString(), canceledOnB.GetProperty("run_id").GetString());
        Assert.Contains("canceled by ops", canceledOnA.GetProperty("reason").GetString(), StringComparison.Ordinal);

        // 2. Requested on B, finished and promoted; both gateways serve the new version within a second of the promotion.
        var seenA = WatchServedVersionAsync(a);
        var seenB = WatchServedVersionAsync(b);
        var second = await ModelTests.SubmitAsync(b);
        var finished = await WaitForStateAsync(a, second, "finished", TimeSpan.FromMinutes(4));
        Assert.Equal("promoted", finished.GetProperty("run_status").GetString());
        var version = finished.GetProperty("version").GetString()!;
        var (versionA, atA) = await seenA;
        var (versionB, atB) = await seenB;
        DateTime promotedAt;
        using (var client = engine.Server.CreateClient(cluster.Database))
        {
            promotedAt = DateTime.SpecifyKind((DateTime)(await client.ExecuteScalarAsync("SELECT max(at) FROM model_registry_events WHERE action = 'promote'", null, null, Ct))!, DateTimeKind.Utc);
        }

        var latencyA = (atA - promotedAt).TotalMilliseconds;
        var latencyB = (atB - promotedAt).TotalMilliseconds;
        var noticeA = await ServingAsync(a);
        var noticeB = await ServingAsync(b);

        // 2b. A promotion and a rollback by hand (the CLI, another process) reach both gateways on the bus too.
        string challenger;
        using (var client = engine.Server.CreateClient(cluster.Database))
        {
            var weak = new ModelsOptions { CompareLearners = false, Iterations = 30, ResponseNgrams = 0, ContextNgrams = 0, AucTolerance = -1, MaximumEce = 1, MinimumAuc = 0 };
            var refused = await new TrainingService(new ModelStore(client), weak, TimeProvider.System, NullLogger<TrainingService>.Instance).RunAsync("test", Ct);
            Assert.Equal("refused", refused.Status);
            challenger = refused.Version!;
        }

        var byHand = await cluster.CliAsync(rabbit.Broker, "models", "promote", challenger, "--reason", "e2e");
        var promotedByHand = new[] { await WaitForNoticeAsync(a, challenger), await WaitForNoticeAsync(b, challenger) };
        Assert.Contains("announced on the broker", byHand, StringComparison.Ordinal);
        await cluster.CliAsync(rabbit.Broker, "models", "rollback", "--reason", "e2e");
        var rolledBack = new[] { await WaitForNoticeAsync(a, version), await WaitForNoticeAsync(b, version) };

        // 3. Requested on A; the trainer is killed with SIGKILL mid-run; both gateways report the run failed (lost).
        var third = await ModelTests.SubmitAsync(a);
        var doomed = await WaitForStateAsync(b, third, "running", TimeSpan.FromSeconds(60));
        await cluster.Trainer.KillHardAsync(Ct);
        var killed = Stopwatch.StartNew();
        var lostOnA = await WaitForStateAsync(a, third, "failed", TimeSpan.FromSeconds(40));
        var lostMs = killed.Elapsed.TotalMilliseconds;
        var lostOnB = await WaitForStateAsync(b, third, "failed", TimeSpan.FromSeconds(5));

        // The job's failure is recorded (not just computed on read): a restarted trainer that gets the job back skips it.
        using (var client = engine.Server.CreateClient(cluster.Database))
        {
            await Wait.UntilAsync(
                async () => await E2E.ScalarAsync(client, $"SELECT count() FROM retrain_job_events WHERE job_id = toUUID('{third}') AND kind = 'failed'") >= 1,
                TimeSpan.FromSeconds(15), "the loss to be recorded", Ct);
        }

        // RabbitMQ hands the killed trainer's unacknowledged job to the next trainer, which acknowledges it without a second run.
        var restarted = await cluster.RestartTrainerAsync(rabbit.Broker);
        var restartWatch = Stopwatch.StartNew();
        await Wait.UntilAsync(() => restarted.StandardError.Contains($"Retrain job {third} skipped: it is failed", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the restarted trainer to skip the lost job", Ct);
        var redeliveredMs = restartWatch.Elapsed.TotalMilliseconds;
        ulong starts;
        using (var client = engine.Server.CreateClient(cluster.Database))
        {
            starts = await E2E.ScalarAsync(client, $"SELECT countIf(kind = 'started') FROM retrain_job_events WHERE job_id = toUUID('{third}')");
        }

        var afterRestart = await WaitForStateAsync(a, third, "failed", TimeSpan.FromSeconds(5));

        Report(new
        {
            test = "jobs",
            broker_started_in_s = Math.Round(rabbit.Broker.StartedIn.TotalSeconds, 2),
            canceled = new { requested_on = "gateway A", canceled_on = "gateway B", state_on_a = canceledOnA.GetProperty("state").GetString(), state_on_b = canceledOnB.GetProperty("state").GetString(), run_id = canceledOnA.GetProperty("run_id").GetString(), cancel_to_canceled_ms = Math.Round(cancelMs) },
            promoted = new
            {
                version, served_by_a = versionA, served_by_b = versionB,
                bus_delivery_ms_a = noticeA.DeliveryMs, bus_delivery_ms_b = noticeB.DeliveryMs,
                sent_to_serving_ms_a = noticeA.ServingMs, sent_to_serving_ms_b = noticeB.ServingMs,
                registry_to_first_score_ms_a = Math.Round(latencyA), registry_to_first_score_ms_b = Math.Round(latencyB),
            },
            by_hand = new
            {
                promote = new { version = challenger, bus_delivery_ms = promotedByHand.Select(n => n.DeliveryMs), sent_to_serving_ms = promotedByHand.Select(n => n.ServingMs) },
                rollback = new { version, bus_delivery_ms = rolledBack.Select(n => n.DeliveryMs), sent_to_serving_ms = rolledBack.Select(n => n.ServingMs) },
            },
            sigkill = new { run_id = doomed.GetProperty("run_id").GetString(), state_on_a = lostOnA.GetProperty("state").GetString(), state_on_b = lostOnB.GetProperty("state").GetString(), run_status = lostOnA.GetProperty("run_status").GetString(), kill_to_failed_ms = Math.Round(lostMs), lease_ms = Cluster.Lease.TotalMilliseconds, reason = lostOnA.GetProperty("reason").GetString(), redelivered_to_restarted_trainer = "skipped", restarted_ready_to_skip_ms = Math.Round(redeliveredMs), runs_started_for_the_job = starts, state_after_restart = afterRestart.GetProperty("state").GetString() },
        });

        Assert.Equal(version, versionA);
        Assert.Equal(version, versionB);
        // Both heard the promotion on the bus within a second of its publication, and served it after loading it.
        Assert.Equal(version, noticeA.Version);
        Assert.Equal(version, noticeB.Version);
        Assert.InRange(noticeA.DeliveryMs, 0, 1000);
        Assert.InRange(noticeB.DeliveryMs, 0, 1000);
        Assert.InRange(latencyA, -50, 5000);
        Assert.InRange(latencyB, -50, 5000);
        Assert.All(promotedByHand.Concat(rolledBack), n => Assert.InRange(n.DeliveryMs, 0, 1000));
        Assert.Equal("lost", lostOnA.GetProperty("run_status").GetString());
        Assert.Equal("lost", lostOnB.GetProperty("run_status").GetString());
        Assert.Equal(doomed.GetProperty("run_id").GetString(), lostOnB.GetProperty("run_id").GetString());
        Assert.Equal(1UL, starts);
        Assert.Equal("lost", afterRestart.GetProperty("run_status").GetString());
    }

    /// <summary>On the RabbitMQ transport too, MassTransit reports no usage anywhere: every connection stays on loopback.</summary>
    [Fact]
    public async Task RabbitMqTransport_StartsAndStops_WithoutAnyNonLoopbackConnection()
    {
        using var listener = new NetworkListener();
        var values = new Dictionary<string, string?>
        {
            ["Models:TrainingEnabled"] = "true",
            ["Models:Schedule"] = "off",
            ["Models:NewLabelsTrigger"] = "0",
            ["Messaging:RabbitMq:Password"] = rabbit.Broker.Password,
        };
        foreach (var argument in rabbit.Broker.Arguments)
        {
            var (key, value) = (argument[2..argument.IndexOf('=', StringComparison.Ordinal)], argument[(argument.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            values[key] = value;
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddFeedbackModels(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), _ => new ClickHouseClient("Host=127.0.0.1;Port=1;Protocol=http"), scoring: true);
        builder.Services.Configure<MassTransit.UsageTelemetryOptions>(o => o.ReportOnShutdown = true);
        using (var host = builder.Build())
        {
            await host.StartAsync(Ct);
            await host.StopAsync(Ct);
        }

        Assert.Contains(listener.Targets, t => t.Contains("Sockets/ConnectStart", StringComparison.Ordinal));
        Assert.DoesNotContain(listener.Targets, t => !NetworkListener.IsLocal(t));
    }

    /// <summary>The last promotion the gateway heard on the bus: milliseconds from publication to receipt and to serving it.</summary>
    private static async Task<(string? Version, double DeliveryMs, double ServingMs)> ServingAsync(HttpClient http)
    {
        using var response = await ModelTests.AdminAsync(http, HttpMethod.Get, "v1/admin/serving");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var notice = body.GetProperty("last_promotion");
        if (notice.ValueKind != JsonValueKind.Object)
        {
            return (null, double.NaN, double.NaN);
        }

        var sent = notice.GetProperty("sent_at").GetDateTime();
        var received = notice.GetProperty("received_at").GetDateTime();
        var loaded = notice.GetProperty("loaded_at").ValueKind == JsonValueKind.String ? notice.GetProperty("loaded_at").GetDateTime() : DateTime.MaxValue;
        return (notice.GetProperty("version").GetString(), Math.Round((received - sent).TotalMilliseconds, 1), Math.Round((loaded - sent).TotalMilliseconds, 1));
    }

    /// <summary>Waits until the gateway heard (on the bus) and served <paramref name="version"/>.</summary>
    private static async Task<(string? Version, double DeliveryMs, double ServingMs)> WaitForNoticeAsync(HttpClient http, string version)
    {
        (string? Version, double DeliveryMs, double ServingMs) last = default;
        await Wait.UntilAsync(
            async () =>
            {
                last = await ServingAsync(http);
                return last.Version == version && last.ServingMs < TimeSpan.FromDays(1).TotalMilliseconds;
            },
            TimeSpan.FromSeconds(15), $"the gateway to hear and serve {version}", Ct);
        return last;
    }

    private static void Report(object figures)
    {
        var line = "control-plane: " + JsonSerializer.Serialize(figures);
        TestContext.Current.SendDiagnosticMessage(line);
        TestContext.Current.TestOutputHelper?.WriteLine(line);
    }

    private static async Task<JsonElement> WaitForStateAsync(HttpClient http, Guid job, string state, TimeSpan deadline)
    {
        JsonElement last = default;
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    using var response = await ModelTests.AdminAsync(http, HttpMethod.Get, $"v1/admin/jobs/{job}");
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        return false;
                    }

                    last = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                    var current = last.GetProperty("state").GetString();
                    return current == state || (RetrainJobState.IsTerminal(current!) ? throw new InvalidOperationException($"job {job} ended {current}, not {state}: {last}") : false);
                },
                deadline, $"job {job} to be {state}", Ct);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last: {last}", e);
        }

        return last;
    }

    /// <summary>Asks POST /v1/score every 25 ms until it answers with a model; returns the version and when it was first seen.</summary>
    private static Task<(string Version, DateTime At)> WatchServedVersionAsync(HttpClient http) => Task.Run(async () =>
    {
        var until = DateTime.UtcNow.AddMinutes(4);
        while (DateTime.UtcNow < until)
        {
            using var response = await ModelTests.ScoreAsync(http, E2E.ApiKey, ModelTests.Items());
            var at = DateTime.UtcNow;
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
                return (body.GetProperty("model_version").GetString()!, at);
            }

            await Task.Delay(25, Ct);
        }

        throw new TimeoutException("no model was served within 4 minutes");
    }, Ct);

    /// <summary>Two gateway processes and one trainer process on one database and one broker.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        public static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

        private readonly List<ChildProcess> _processes = [];
        private List<string> _trainerArguments = [];
        private ClickHouseHttpListener? _listener;
        private KafkaMockCluster? _kafka;

        public string Database { get; } = E2E.NewDatabase();

        public Uri GatewayA { get; private set; } = null!;

        public Uri GatewayB { get; private set; } = null!;

        public ChildProcess Trainer { get; private set; } = null!;

        public static async Task<Cluster> StartAsync(EngineFixture engine, RabbitMqBroker broker, string schedule)
        {
            var cluster = new Cluster();
            try
            {
                using (var admin = engine.Server.CreateClient())
                {
                    await new Migrator(admin, cluster.Database).MigrateAsync(Ct);
                }

                cluster._listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
                cluster._kafka = KafkaMockCluster.Start(1);
                var settings = ModelTests.Settings();
                settings["Models:Schedule"] = schedule;
                settings["Models:JobHeartbeatInterval"] = "00:00:01";
                settings["Models:JobLease"] = Lease.ToString();
                settings["Models:ReloadInterval"] = "00:10:00"; // the bus, not the poll, must deliver promotions here
                List<string> common =
                [
                    "--ClickHouse:Mode=Server",
                    $"--ClickHouse:ConnectionString={cluster._listener.ConnectionString()}",
                    $"--ClickHouse:Database={cluster.Database}",
                    $"--Kafka:BootstrapServers={cluster._kafka.BootstrapServers}",
                    "--Gateway:Urls=http://127.0.0.1:0",
                    "--Gateway:ApiKeys:0:Name=e2e",
                    $"--Gateway:ApiKeys:0:Sha256={ApiKeyRing.Hash(E2E.ApiKey)}",
                    $"--Gateway:ApiKeys:0:Apps:0={E2E.App}",
                    "--Logging:LogLevel:Default=Warning",
                    .. broker.Arguments,
                    .. settings.Select(kv => $"--{kv.Key}={kv.Value}"),
                ];

                // Started together: each process's start (JIT, bus, migrations check) overlaps the others'.
                var gatewayA = Serve(cluster, "gateway", broker, [.. common, "--Models:TrainingEnabled=false"]);
                var gatewayB = Serve(cluster, "gateway", broker, [.. common, "--Models:TrainingEnabled=false"]);
                cluster._trainerArguments = common;
                cluster.Trainer = Serve(cluster, "trainer", broker, common);
                cluster.GatewayA = await ReadyAsync(gatewayA);
                cluster.GatewayB = await ReadyAsync(gatewayB);
                await ReadyAsync(cluster.Trainer);
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var process in _processes)
            {
                await process.DisposeAsync();
            }

            if (_listener is not null)
            {
                await _listener.DisposeAsync();
            }

            _kafka?.Dispose();
        }

        /// <summary>Starts another trainer process with the same settings and waits until it serves.</summary>
        public async Task<ChildProcess> RestartTrainerAsync(RabbitMqBroker broker)
        {
            var trainer = Serve(this, "trainer", broker, _trainerArguments);
            await ReadyAsync(trainer);
            return trainer;
        }

        /// <summary>Runs a <c>feedbackstream</c> command on this cluster's ClickHouse, with the broker settings in its environment; its output.</summary>
        public async Task<string> CliAsync(RabbitMqBroker broker, params string[] arguments)
        {
            await using var process = ChildProcess.Start(
                "dotnet", [Path.Combine(AppContext.BaseDirectory, "feedbackstream.dll"), .. arguments, "--clickhouse", _listener!.ConnectionString(), "--database", Database],
                AppContext.BaseDirectory, broker.FullEnvironment);
            var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct);
            var output = string.Join('\n', process.Lines());
            Assert.True(exit == 0, $"feedbackstream {string.Join(' ', arguments)} exited {exit}: {output}\n{process.StandardError}");
            return output;
        }

        private static ChildProcess Serve(Cluster cluster, string role, RabbitMqBroker broker, IEnumerable<string> arguments)
        {
            var process = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "feedbackstream.dll"), "serve", "--role", role, "--json", .. arguments], AppContext.BaseDirectory, broker.Environment);
            cluster._processes.Add(process);
            return process;
        }

        private static async Task<Uri> ReadyAsync(ChildProcess process)
        {
            var line = await process.WaitForLineAsync(l => l.Contains("\"gateway\"", StringComparison.Ordinal), TimeSpan.FromSeconds(120), "serve to print its addresses", Ct);
            return new Uri(JsonDocument.Parse(line).RootElement.GetProperty("gateway").GetString()!);
        }
    }
}
