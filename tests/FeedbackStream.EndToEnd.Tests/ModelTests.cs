using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClickHouse.Driver;
using ClickHouse.Driver.Utility;
using FeedbackStream.Auth;
using FeedbackStream.Cli;
using FeedbackStream.Hosting;
using FeedbackStream.EndToEnd.Tests.Infrastructure;
using FeedbackStream.Gateway;
using FeedbackStream.Models;
using FeedbackStream.Simulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>P[Love] on the real engines: labels in ClickHouse -> retraining job -> gate -> registry -> POST /v1/score.</summary>
[Collection(EnginesCollection.Name)]
public sealed class ModelTests(EngineFixture engine)
{
    internal const string AdminKey = "e2e-admin-key";
    internal static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddDays(-20);

    internal static Dictionary<string, string?> Settings(bool compare = false) => new()
    {
        ["Models:AdminKeys:0:Name"] = "ops",
        ["Models:AdminKeys:0:Sha256"] = ApiKeyRing.Hash(AdminKey),
        ["Models:Schedule"] = "off",
        ["Models:NewLabelsTrigger"] = "0",
        ["Models:CompareLearners"] = compare ? "true" : "false",
        ["Models:Iterations"] = "60",
        ["Models:Retries"] = "0",
        // These tests check the mechanics (job, gate, registry, reload), not the model's quality (eval plove measures
        // that): the gate they rely on is set here, so a run that lands just above the product's calibration limit
        // still promotes.
        ["Models:MaximumEce"] = "1",
        ["Models:MinimumAuc"] = "0",
        ["Models:AucTolerance"] = "1",
    };

    [Fact]
    public async Task LabelsInClickHouse_RetrainJobPromotes_ScoreAnswersWithTheNewVersion_AndAWorseChallengerIsRefused()
    {
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway, Settings());
        using var client = host.CreateClickHouseClient();
        var data = LoveSimulator.Generate(new LoveSimulationOptions { Responses = 20_000, Seed = 21 }, Start);
        await InsertAsync(client, data);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };

        using (var before = await ScoreAsync(http, E2E.ApiKey, Items()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
            Assert.Contains("No model yet", await before.Content.ReadAsStringAsync(E2E.Ct), StringComparison.Ordinal);
        }

        using (var anonymous = await http.PostAsync("v1/admin/retrain", null, E2E.Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var job = await SubmitAsync(http);
        var status = await WaitForJobAsync(http, job, TimeSpan.FromMinutes(2), "finished");
        Assert.Equal("promoted", status.GetProperty("run_status").GetString());
        var version = status.GetProperty("version").GetString()!;

        // The scorer reloads on the ModelPromoted event (its registry poll is 30 s away).
        var served = await WaitForServedVersionAsync(http, version, TimeSpan.FromSeconds(10));
        var scores = served.GetProperty("scores").EnumerateArray().Select(s => s.GetProperty("p_love").GetDouble()).ToList();
        Assert.All(scores, s => Assert.InRange(s, 0.0, 1.0));

        var store = new ModelStore(client);
        Assert.Equal(version, await store.ChampionAsync(E2E.Ct));
        var runs = await store.ListAsync(E2E.Ct);
        var run = Assert.Single(runs);
        Assert.Equal("promoted", run.Status);
        Assert.InRange(run.Auc, 0.0, 1.0);
        Assert.Equal(run.Sha256, FeedbackStream.Training.Model.LoveModel.Hash((await store.LoadArtifactAsync(version, E2E.Ct))!));

        // The run scored every pair it read (ensemble margin); export can keep only the pairs the scorers agree with.
        var pairsRead = await E2E.ScalarAsync(client, "SELECT pairs FROM model_runs FINAL WHERE status = 'promoted'");
        Assert.True(pairsRead > 100);
        Assert.Equal(pairsRead, await E2E.ScalarAsync(client, "SELECT count() FROM pair_margins FINAL"));
        var agreed = new List<FeedbackStream.Storage.Pairs.PairRecord>();
        await foreach (var page in FeedbackStream.Storage.Pairs.PairExport.ReadAsync(client, new(MinEnsembleMargin: 0), 500, E2E.Ct))
        {
            agreed.AddRange(page);
        }

        Assert.All(agreed, p => Assert.True(p.EnsembleMargin >= 0));
        Assert.Equal(await E2E.ScalarAsync(client, "SELECT countIf(margin_mean >= 0) FROM pair_margins FINAL"), (ulong)agreed.Count);

        // A challenger held to a gate it cannot pass (it must beat the champion by a whole AUC point) is refused on the
        // same test slice, and the champion keeps serving.
        var weak = new ModelsOptions { CompareLearners = false, Iterations = 60, ResponseNgrams = 0, ContextNgrams = 0, AucTolerance = -1, MaximumEce = 1, MinimumAuc = 0 };
        var refused = await new TrainingService(store, weak, TimeProvider.System, NullLogger<TrainingService>.Instance).RunAsync("test", E2E.Ct);
        Assert.Equal("refused", refused.Status);
        Assert.Contains("below the champion", refused.Gate!.Reason, StringComparison.Ordinal);
        Assert.Equal(version, await store.ChampionAsync(E2E.Ct));
        await host.Services.GetRequiredService<ModelServer>().RefreshAsync(E2E.Ct);
        Assert.Equal(version, (await WaitForServedVersionAsync(http, version, TimeSpan.FromSeconds(5))).GetProperty("model_version").GetString());

        // Promoting the refused version by hand and rolling back are registry events the scorer follows.
        await store.RecordEventAsync("promote", refused.Version!, version, "test", "e2e", E2E.Ct);
        Assert.True(await host.Services.GetRequiredService<ModelServer>().RefreshAsync(E2E.Ct));
        await WaitForServedVersionAsync(http, refused.Version!, TimeSpan.FromSeconds(5));
        await store.RecordEventAsync("rollback", version, refused.Version!, "test", "e2e", E2E.Ct);
        Assert.True(await host.Services.GetRequiredService<ModelServer>().RefreshAsync(E2E.Ct));
        await WaitForServedVersionAsync(http, version, TimeSpan.FromSeconds(5));
        Assert.Equal(["promote", "promote", "rollback"], (await store.HistoryAsync(E2E.Ct)).Select(e => e.Action));
    }

    [Fact]
    public async Task RunningJob_CanBeCanceled_AndTooFewLabelsFailClearly()
    {
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway, Settings(compare: true));
        using var client = host.CreateClickHouseClient();
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        var store = new ModelStore(client);

        var empty = await new TrainingService(store, new ModelsOptions(), TimeProvider.System, NullLogger<TrainingService>.Instance).RunAsync("test", E2E.Ct);
        Assert.Equal("failed", empty.Status);
        Assert.Contains("Models:MinimumLabels", empty.Error, StringComparison.Ordinal);

        await InsertAsync(client, LoveSimulator.Generate(new LoveSimulationOptions { Responses = 60_000, Seed = 3 }, Start));
        var job = await SubmitAsync(http);
        await WaitForJobAsync(http, job, TimeSpan.FromSeconds(60), "running");
        using (var cancel = await AdminAsync(http, HttpMethod.Delete, $"v1/admin/jobs/{job}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        await WaitForJobAsync(http, job, TimeSpan.FromSeconds(60), "canceled");
        Assert.Null(await store.ChampionAsync(E2E.Ct));
        var statuses = await E2E.ScalarAsync(client, "SELECT countIf(status = 'canceled') FROM model_runs FINAL");
        Assert.Equal(1UL, statuses);
    }

    [Fact]
    public async Task EnoughNewLabels_StartARetrainOnTheirOwn()
    {
        var settings = Settings();
        settings["Models:NewLabelsTrigger"] = "5000";
        settings["Models:TriggerPollInterval"] = "00:00:00.300";
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway, settings);
        using var client = host.CreateClickHouseClient();
        var store = new ModelStore(client);

        await InsertAsync(client, LoveSimulator.Generate(new LoveSimulationOptions { Responses = 4_000, Seed = 31 }, Start));
        await Task.Delay(TimeSpan.FromSeconds(2), E2E.Ct);
        Assert.Equal(0UL, await E2E.ScalarAsync(client, "SELECT count() FROM model_runs"));

        await InsertAsync(client, LoveSimulator.Generate(new LoveSimulationOptions { Responses = 8_000, Seed = 32 }, Start));
        var until = DateTime.UtcNow.AddMinutes(1);
        while (await store.ChampionAsync(E2E.Ct) is null && DateTime.UtcNow < until)
        {
            await Task.Delay(250, E2E.Ct);
        }

        var run = Assert.Single(await store.ListAsync(E2E.Ct));
        Assert.Equal("new_labels", run.Trigger);
        Assert.Equal("promoted", run.Status);
    }

    [Fact]
    public async Task Cli_TrainTwice_ListRollbackPromote_AndScoreAFile()
    {
        var database = E2E.NewDatabase();
        using (var admin = engine.Server.CreateClient())
        {
            await new FeedbackStream.Storage.Migrator(admin, database).MigrateAsync(E2E.Ct);
        }

        using var client = engine.Server.CreateClient(database);
        await InsertAsync(client, LoveSimulator.Generate(new LoveSimulationOptions { Responses = 12_000, Seed = 41 }, Start));
        string[] common = ["--data", engine.DataPath, "--database", database];

        var (code, first) = await CliAsync(["train", "--no-compare", "--json", .. common]);
        Assert.Equal(0, code);
        Assert.Equal("promoted", first.GetProperty("status").GetString());
        var v1 = first.GetProperty("version").GetString()!;
        await Task.Delay(1100, E2E.Ct);
        var (_, second) = await CliAsync(["train", "--no-compare", "--json", .. common]);
        Assert.Equal("promoted", second.GetProperty("status").GetString());
        var v2 = second.GetProperty("version").GetString()!;
        Assert.NotEqual(v1, v2);
        Assert.Equal(first.GetProperty("data_hash").GetString(), second.GetProperty("data_hash").GetString());

        var (_, rolledBack) = await CliAsync(["models", "rollback", "--json", .. common]);
        Assert.Equal(v1, rolledBack.GetProperty("champion").GetString());
        var (_, listed) = await CliAsync(["models", "list", "--json", .. common]);
        Assert.Equal(v1, listed.GetProperty("champion").GetString());
        Assert.Equal(2, listed.GetProperty("versions").GetArrayLength());

        var input = Path.Combine(Path.GetTempPath(), $"fs-score-{Guid.NewGuid():N}.jsonl");
        var output = input + ".out";
        try
        {
            await File.WriteAllLinesAsync(input, ["{\"context\":\"about coding: x?\",\"response\":\"happy to help. this is correct.\"}", "{\"response\":\"\"}", "{\"response\":\"no.\"}"], E2E.Ct);
            var (scoreCode, _) = await CliAsync(["score", "--input", input, "--out", output, .. common], expectJson: false);
            Assert.Equal(0, scoreCode);
            var lines = (await File.ReadAllLinesAsync(output, E2E.Ct)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(2, lines.Count);
            Assert.All(lines, l => Assert.Equal(v1, l.GetProperty("model_version").GetString()));
            Assert.All(lines, l => Assert.InRange(l.GetProperty("p_love").GetDouble(), 0.0, 1.0));
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }

        var (promoteCode, promoted) = await CliAsync(["models", "promote", v2, "--reason", "test", "--json", .. common]);
        Assert.Equal(0, promoteCode);
        Assert.Equal(v2, promoted.GetProperty("champion").GetString());
        var (missingCode, _) = await CliAsync(["models", "promote", "no-such-version", .. common], expectJson: false);
        Assert.Equal(2, missingCode);
    }

    /// <summary>Runs a CLI command in this process and returns its exit code and the JSON object on its last output line.</summary>
    private static async Task<(int Code, JsonElement Json)> CliAsync(string[] args, bool expectJson = true)
    {
        var root = new System.CommandLine.RootCommand();
        root.Subcommands.Add(ModelCommands.CreateTrain());
        root.Subcommands.Add(ModelCommands.CreateModels());
        root.Subcommands.Add(ModelCommands.CreateScore());
        var original = Console.Out;
        var originalAnsi = Spectre.Console.AnsiConsole.Console;
        var captured = new StringWriter();
        Console.SetOut(captured);
        Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(captured) });
        int code;
        try
        {
            code = await root.Parse(args).InvokeAsync(cancellationToken: E2E.Ct);
        }
        finally
        {
            Console.SetOut(original);
            Spectre.Console.AnsiConsole.Console = originalAnsi;
        }

        if (!expectJson)
        {
            return (code, default);
        }

        var last = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
        return (code, JsonDocument.Parse(last).RootElement.Clone());
    }

    internal static object Items() => new
    {
        items = new object[]
        {
            new { context = "about coding: how do i sort a list?", response = "here is a clear step by step example. this is correct. verified against the documentation. happy to help.", app_id = E2E.App, surface = "web" },
            new { context = "about coding: how do i sort a list?", response = "this is hard to follow. i am not sure this is right. obviously you should know this.", app_id = E2E.App, surface = "web" },
        },
    };

    internal static async Task<HttpResponseMessage> ScoreAsync(HttpClient http, string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/score") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request, E2E.Ct);
    }

    [Fact]
    public async Task ARetrainRequest_AfterTheBrokerWentDown_IsA503WithinTheSendTimeout_AndTheJobIsRecordedFailed_NotLeftQueued()
    {
        var broker = await RabbitMqBroker.StartAsync(E2E.Ct);
        var settings = Settings();
        foreach (var argument in broker.Arguments)
        {
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            settings[argument[2..equals]] = argument[(equals + 1)..];
        }

        settings["Messaging:RabbitMq:Password"] = broker.Password;
        settings["Messaging:SendTimeout"] = "00:00:02";
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway, settings);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress, Timeout = TimeSpan.FromSeconds(60) };
        await broker.DisposeAsync();

        using var response = await AdminAsync(http, HttpMethod.Post, "v1/admin/retrain");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("Trainers unreachable", await response.Content.ReadAsStringAsync(E2E.Ct), StringComparison.Ordinal);
        using var jobs = await AdminAsync(http, HttpMethod.Get, "v1/admin/jobs");
        var recorded = Assert.Single((await jobs.Content.ReadFromJsonAsync<JsonElement>(E2E.Ct)).EnumerateArray());
        Assert.Equal("failed", recorded.GetProperty("state").GetString());
    }

    internal static async Task<HttpResponseMessage> AdminAsync(HttpClient http, HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", AdminKey);
        return await http.SendAsync(request, E2E.Ct);
    }

    internal static async Task<Guid> SubmitAsync(HttpClient http)
    {
        using var response = await AdminAsync(http, HttpMethod.Post, "v1/admin/retrain");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(E2E.Ct);
        return body.GetProperty("job_id").GetGuid();
    }

    private static async Task<JsonElement> WaitForJobAsync(HttpClient http, Guid job, TimeSpan deadline, string state)
    {
        var until = DateTime.UtcNow + deadline;
        JsonElement last = default;
        while (DateTime.UtcNow < until)
        {
            using var response = await AdminAsync(http, HttpMethod.Get, $"v1/admin/jobs/{job}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            last = await response.Content.ReadFromJsonAsync<JsonElement>(E2E.Ct);
            var current = last.GetProperty("state").GetString();
            if (current == state)
            {
                return last;
            }

            Assert.False(current is "failed" || (current is "finished" or "canceled" && current != state), $"job ended {current}: {last}");
            await Task.Delay(200, E2E.Ct);
        }

        Assert.Fail($"job {job} did not reach {state} within {deadline}: {last}");
        return last;
    }

    private static async Task<JsonElement> WaitForServedVersionAsync(HttpClient http, string version, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        JsonElement last = default;
        while (DateTime.UtcNow < until)
        {
            using var response = await ScoreAsync(http, E2E.ApiKey, Items());
            if (response.StatusCode == HttpStatusCode.OK)
            {
                last = await response.Content.ReadFromJsonAsync<JsonElement>(E2E.Ct);
                if (last.GetProperty("model_version").GetString() == version)
                {
                    return last;
                }
            }

            await Task.Delay(100, E2E.Ct);
        }

        Assert.Fail($"POST /v1/score did not answer with {version} within {deadline}; last: {last}");
        return last;
    }

    /// <summary>Writes simulated settled responses as response_labels rows (and their sibling pairs), as the labelling worker would.</summary>
    internal static async Task InsertAsync(ClickHouseClient client, LoveSimulation data)
    {
        var now = DateTime.UtcNow;
        await client.InsertBinaryAsync(
            "response_labels",
            ["label_id", "app_id", "response_id", "conversation_id", "user_id", "model_version", "prompt_key", "prompt_text", "response_text", "turn_index", "served_at", "last_signal_at", "love", "love_weight", "surface", "latency_ms", "computed_at"],
            data.Examples.Select(e => new object[]
            {
                "label-" + e.Id, E2E.App, e.Id, "c-" + e.Id, e.UserId, e.ModelVersion, "k-" + e.Context.GetHashCode(StringComparison.Ordinal), e.Context, e.Response, (uint)e.TurnIndex,
                e.ServedAt.UtcDateTime, e.ServedAt.UtcDateTime, e.Love, e.Love ? 1.0 : 0.0, e.Surface, e.LatencyMs, now,
            }),
            null,
            E2E.Ct);
        await client.InsertBinaryAsync(
            "preference_pairs",
            ["pair_id", "app_id", "prompt_key", "chosen_response_id", "rejected_response_id", "source", "confidence", "mined_at"],
            data.Pairs.Select(p => new object[] { p.PairId, E2E.App, "k", p.Chosen.Id, p.Rejected.Id, "regeneration", 0.9, p.MinedAt.UtcDateTime }),
            null,
            E2E.Ct);
    }
}
