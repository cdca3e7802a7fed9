using ClickHouse.Driver;
using ClickHouse.Driver.Utility;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.Models;
using FeedbackStream.Storage;
using FeedbackStream.Training.Model;

namespace FeedbackStream.Training.Tests;

/// <summary>One embedded ClickHouse (chDB) for the model store's tests; each test migrates a database of its own.</summary>
public sealed class ModelStoreEngine : IDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"fs-model-store-tests-{Guid.NewGuid():N}");

    public ModelStoreEngine() => Server = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = _dataPath });

    public EmbeddedClickHouseServer Server { get; }

    public async Task<ClickHouseClient> DatabaseAsync(CancellationToken cancellationToken)
    {
        var database = "ms_" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = Server.CreateClient())
        {
            await new Migrator(admin, database).MigrateAsync(cancellationToken);
        }

        return Server.CreateClient(database);
    }

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

/// <summary>The model registry and the training-set read on the real engine: two models kept apart, pinned reads, checked artifacts.</summary>
public sealed class ModelStoreTests(ModelStoreEngine engine) : IClassFixture<ModelStoreEngine>
{
    private static readonly string[] LabelColumns =
        ["label_id", "app_id", "response_id", "user_id", "model_version", "surface", "prompt_text", "response_text", "turn_index", "latency_ms", "served_at", "love", "love_weight", "computed_at"];

    private static readonly string[] PairColumns =
        ["pair_id", "app_id", "prompt_key", "prompt_text", "chosen_response_id", "chosen_text", "rejected_response_id", "rejected_text", "source", "confidence", "margin", "mined_at"];

    private static readonly DateTime T0 = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ModelRunRow Run(string model, string runId, string version, string status, DateTime finishedAt, double auc = 0.7) => new(
        runId, model, version, "cli", status, finishedAt.AddMinutes(-1), finishedAt, "gbdt", "on", finishedAt.AddMinutes(-2), finishedAt.AddMinutes(-3),
        null, status == "promoted", status == "promoted" ? "" : "auc below the champion", "", version.Length == 0 ? "" : "sha-" + version, "{}", $"<html>{version}</html>");

    /// <summary>Registry events are stamped to the millisecond: the next one must carry a later stamp than the last.</summary>
    private static async Task PastTheMillisecondAsync()
    {
        var until = DateTime.UtcNow.AddMilliseconds(2);
        while (DateTime.UtcNow < until)
        {
            await Task.Yield();
        }
    }

    [Fact]
    public async Task Registry_ListsOnlyItsModelsVersions_NewestFirst_WithTheChampionOfTheNewestPromotionOrRollback()
    {
        using var client = await engine.DatabaseAsync(Ct);
        var plove = new ModelStore(client, "plove");
        var other = new ModelStore(client, "other");
        Assert.Null(await plove.ChampionAsync(Ct));
        Assert.Empty(await plove.ListAsync(Ct));
        Assert.Null(await plove.LastPinnedAtAsync(Ct));

        await plove.WriteRunAsync(Run("plove", "run-1", "v1", "promoted", T0.AddHours(1)), Ct);
        await plove.WriteRunAsync(Run("plove", "run-2", "v2", "refused", T0.AddHours(2)), Ct);
        await plove.WriteRunAsync(Run("plove", "run-3", "", "failed", T0.AddHours(3)), Ct);
        await other.WriteRunAsync(Run("other", "run-9", "w1", "promoted", T0.AddHours(4)), Ct);
        await plove.RecordEventAsync("promote", "v1", "", "gate passed", "trainer", Ct);
        await other.RecordEventAsync("promote", "w1", "", "gate passed", "trainer", Ct);

        var versions = await plove.ListAsync(Ct);
        Assert.Equal(["v2", "v1"], versions.Select(v => v.Version));
        Assert.Equal([false, true], versions.Select(v => v.IsChampion));
        Assert.Equal(("refused", T0.AddHours(2), "cli", "sha-v2", "auc below the champion"), (versions[0].Status, versions[0].FinishedAt, versions[0].Trigger, versions[0].Sha256, versions[0].GateReason));
        Assert.Equal(DateTimeKind.Utc, versions[0].FinishedAt.Kind);
        Assert.Equal("v1", await plove.ChampionAsync(Ct));
        Assert.Equal("w1", await other.ChampionAsync(Ct));
        Assert.Equal(T0.AddHours(2).AddMinutes(-2), await plove.LastPinnedAtAsync(Ct));

        // A promotion by hand, then a rollback: the newest event names the champion.
        await PastTheMillisecondAsync();
        await plove.RecordEventAsync("promote", "v2", "v1", "by hand", "ops", Ct);
        Assert.Equal("v2", await plove.ChampionAsync(Ct));
        await PastTheMillisecondAsync();
        await plove.RecordEventAsync("rollback", "v1", "v2", "regression", "ops", Ct);
        Assert.Equal("v1", await plove.ChampionAsync(Ct));
        var history = await plove.HistoryAsync(Ct);
        Assert.Equal([("promote", "v1", ""), ("promote", "v2", "v1"), ("rollback", "v1", "v2")], history.Select(e => (e.Action, e.Version, e.PreviousVersion)));
        Assert.Equal(("regression", "ops"), (history[2].Reason, history[2].Actor));
        Assert.Single(await other.HistoryAsync(Ct));
        Assert.Equal("<html>v2</html>", await plove.ReportHtmlAsync("v2", Ct));
        Assert.Null(await plove.ReportHtmlAsync("v404", Ct));
    }

    [Fact]
    public async Task Artifacts_ComeBackByteForByte_AndAContentThatDoesNotMatchItsHash_IsRefused()
    {
        using var client = await engine.DatabaseAsync(Ct);
        var store = new ModelStore(client);
        byte[] content = [0, 1, 2, 250, 255, 10, 13, 39, 92];
        await store.SaveArtifactAsync("v1", content, LoveModel.Hash(content), Ct);
        await store.SaveArtifactAsync("v2", content, "not-its-hash", Ct);

        Assert.Equal(content, await store.LoadArtifactAsync("v1", Ct));
        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadArtifactAsync("v2", Ct));
        Assert.Contains("not-its-hash", refused.Message, StringComparison.Ordinal);
        Assert.Null(await store.LoadArtifactAsync("v3", Ct));
    }

    [Fact]
    public async Task TrainingSet_ReadsLabelsComputedByThePin_AndPairsWhoseBothResponsesWereRead_EditsLeftOut()
    {
        using var client = await engine.DatabaseAsync(Ct);
        var pinned = T0.AddDays(1);
        object[] Label(string id, string app, bool love, DateTime computedAt, int served) =>
            [id, app, "r-" + id, "u-" + id, "m1", "web", "prompt " + id, "response " + id, (uint)1, 120.5, T0.AddMinutes(served), love, love ? 0.5 : 0.0, computedAt];
        await client.InsertBinaryAsync("response_labels", LabelColumns,
        [
            Label("a", "app1", true, pinned.AddHours(-1), 1),
            Label("b", "app1", false, pinned.AddHours(-1), 2),
            Label("c", "app2", true, pinned.AddHours(-2), 3),
            Label("d", "app2", false, pinned, 4),
            Label("late", "app1", true, pinned.AddSeconds(1), 5),
        ], null, Ct);
        object[] Pair(string id, string chosen, string rejected, string source, DateTime minedAt) =>
            [id, "app1", "pk", "prompt", "r-" + chosen, "c", "r-" + rejected, "r", source, 0.9, 1.0, minedAt];
        await client.InsertBinaryAsync("preference_pairs", PairColumns,
        [
            Pair("p-ab", "a", "b", "regeneration", pinned.AddHours(-1)),
            Pair("p-late", "late", "b", "regeneration", pinned.AddHours(-1)),
            Pair("p-edit", "a", "b", "edit", pinned.AddHours(-1)),
            Pair("p-future", "a", "b", "regeneration", pinned.AddHours(1)),
        ], null, Ct);
        var store = new ModelStore(client);

        var set = await store.ReadTrainingSetAsync(pinned, maximumRows: 100, maximumPairs: 10, calibrationFrom: 0.5, testFrom: 0.75, Ct);

        Assert.Equal(["a", "b", "c", "d"], set.Examples.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.Equal(4, set.LabelsInWindow);
        Assert.Equal(1.0, set.NegativeSampleRate);
        var a = set.Examples.Single(e => e.Id == "a");
        Assert.Equal(new LoveExample("a", "app1", "u-a", "m1", "web", "prompt a", "response a", 1, 120.5, new DateTimeOffset(T0.AddMinutes(1)), true, 0.5), a);
        Assert.Equal(1.0, set.Examples.Single(e => e.Id == "b").Weight);
        var pair = Assert.Single(set.Pairs);
        Assert.Equal(("p-ab", "a", "b"), (pair.PairId, pair.Chosen.Id, pair.Rejected.Id));
        // Computed after the instant: a, b, d and the label computed after the pin; not c.
        Assert.Equal(4, await store.LabelsComputedSinceAsync(pinned.AddHours(-1).AddSeconds(-1), Ct));
    }
}
