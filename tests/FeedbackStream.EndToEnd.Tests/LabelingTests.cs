using System.Net;
using FeedbackStream.Contracts;
using FeedbackStream.Pipeline.Labeling;
using Microsoft.Extensions.DependencyInjection;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>Events in through the gateway; labels, decisions and pairs out of ClickHouse, computed by the labelling worker.</summary>
[Collection(EnginesCollection.Name)]
public sealed class LabelingTests(EngineFixture engine)
{
    private static CancellationToken Ct => E2E.Ct;

    /// <summary>Conversations from ten minutes ago: each response served, loved or regenerated into a loved candidate.</summary>
    private static List<FeedbackEvent> Conversations(int count)
    {
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        var events = new List<FeedbackEvent>();
        for (var i = 0; i < count; i++)
        {
            var c = $"lc-{i:D4}";
            var at = t0.AddSeconds(i);
            events.Add(FeedbackEvent.Create($"{c}-1", E2E.App, at, $"u{i % 7}", c, new ResponseServed($"{c}-a", 0, "First answer to the shared question.", "m1", PromptText: "What is a settle window?")));
            if (i % 2 == 0)
            {
                events.Add(FeedbackEvent.Create($"{c}-2", E2E.App, at.AddSeconds(20), $"u{i % 7}", c, new ReactionSet($"{c}-a", Reaction.Love, 20_000)));
            }
            else
            {
                events.Add(FeedbackEvent.Create($"{c}-2", E2E.App, at.AddSeconds(5), $"u{i % 7}", c, new ResponseAction($"{c}-a", ActionKind.Regenerate, null, 5_000)));
                events.Add(FeedbackEvent.Create($"{c}-3", E2E.App, at.AddSeconds(7), $"u{i % 7}", c, new ResponseServed($"{c}-b", 0, "A second, better answer.", "m1", PromptText: "What is a settle window?", RegeneratedFrom: $"{c}-a", CandidateIndex: 1)));
                events.Add(FeedbackEvent.Create($"{c}-4", E2E.App, at.AddSeconds(30), $"u{i % 7}", c, new ReactionSet($"{c}-b", Reaction.Love, 23_000)));
            }
        }

        return events;
    }

    private static Dictionary<string, string?> Fast(string settle = "00:00:02") => new()
    {
        ["Mining:SettleWindow"] = settle,
        ["Labeling:Interval"] = "00:00:00.200",
    };

    [Fact]
    public async Task EventsIn_LabelsDecisionsAndPairsOut_AndRecomputingReplacesRatherThanDuplicates()
    {
        await using var host = await E2E.StartHostAsync(engine, settings: Fast());
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        var events = Conversations(40);
        using (var response = await E2E.PostAsync(http, events))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var client = host.CreateClickHouseClient();
        const ulong served = 60; // 40 first answers + 20 regenerated candidates
        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL", served, TimeSpan.FromSeconds(60));

        // These events happened ten minutes ago, so a response settles as soon as it is stored; a reaction stored in a
        // later pipeline batch re-finalises its label. Wait for that to converge.
        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL WHERE love AND regenerated_from = ''", 20, TimeSpan.FromSeconds(60));
        await E2E.WaitForCountAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE source = 'regeneration'", 20, TimeSpan.FromSeconds(60));
        Assert.Equal(20UL, await E2E.ScalarAsync(client, "SELECT count() FROM response_labels FINAL WHERE love AND regenerated_from = ''"));
        Assert.Equal(20UL, await E2E.ScalarAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE source = 'regeneration'"));
        Assert.Equal(0UL, await E2E.ScalarAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE chosen_response_id = rejected_response_id"));
        await E2E.WaitForCountAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE source = 'same_prompt_siblings'", 1, TimeSpan.FromSeconds(30));
        Assert.Equal(0UL, await E2E.ScalarAsync(client,
            "SELECT count() FROM preference_pairs FINAL WHERE source = 'regeneration' AND NOT (endsWith(chosen_response_id, '-b') AND endsWith(rejected_response_id, '-a'))"));

        // The analyst views agree with the tables.
        Assert.Equal(await E2E.ScalarAsync(client, "SELECT countIf(love) FROM response_labels FINAL"), await E2E.ScalarAsync(client, "SELECT sum(loved) FROM v_love_rate_daily"));
        Assert.Equal(await E2E.ScalarAsync(client, "SELECT count() FROM preference_pairs FINAL"), await E2E.ScalarAsync(client, "SELECT sum(pairs) FROM v_pairs_daily"));
        Assert.Equal((ulong)events.Count, await E2E.ScalarAsync(client, "SELECT count() FROM v_events"));

        // Recompute twice: the rows are replaced, not added.
        var worker = host.Services.GetRequiredService<LabelingWorker>();
        var labelIds = await IdsAsync(client, "SELECT label_id FROM response_labels FINAL ORDER BY label_id");
        var pairIds = await IdsAsync(client, "SELECT pair_id FROM preference_pairs FINAL ORDER BY pair_id");
        await worker.RunOnceAsync(Ct);
        await worker.RunOnceAsync(Ct);
        Assert.Equal(labelIds, await IdsAsync(client, "SELECT label_id FROM response_labels FINAL ORDER BY label_id"));
        Assert.Equal(pairIds, await IdsAsync(client, "SELECT pair_id FROM preference_pairs FINAL ORDER BY pair_id"));
        Assert.Equal(served, await E2E.ScalarAsync(client, "SELECT uniqExact(label_id) FROM response_labels"));
    }

    [Fact]
    public async Task WorkerRestartedBeforeTheSettleWindowEnds_LosesNoLabel()
    {
        var database = E2E.NewDatabase();
        var events = Conversations(10);
        var settings = Fast(settle: "01:00:00");
        settings["ClickHouse:Database"] = database;

        // The first process's passes are driven by the test, so none runs behind its back.
        settings["Labeling:Enabled"] = "false";
        await using (var first = await E2E.StartHostAsync(engine, settings: settings))
        {
            using var http = new HttpClient { BaseAddress = first.GatewayAddress };
            (await E2E.PostAsync(http, events)).EnsureSuccessStatusCode();
            using var client = first.CreateClickHouseClient();
            await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw", (ulong)events.Count, TimeSpan.FromSeconds(30));
            var pass = await first.Services.GetRequiredService<LabelingWorker>().RunOnceAsync(Ct);
            Assert.Equal(0, pass.Labels);
            Assert.Equal(15, pass.Pending);
        }

        // A new process (fresh memory) with the window now passed finds the pending responses from ClickHouse alone.
        var again = Fast(settle: "00:00:01");
        again["ClickHouse:Database"] = database;
        await using var second = await E2E.StartHostAsync(engine, settings: again);
        using var after = second.CreateClickHouseClient();
        await E2E.WaitForCountAsync(after, "SELECT count() FROM response_labels FINAL", 15, TimeSpan.FromSeconds(60));
    }

    private static async Task<List<string>> IdsAsync(ClickHouse.Driver.ClickHouseClient client, string sql)
    {
        var ids = new List<string>();
        using var reader = await client.ExecuteReaderAsync(sql, null, null, Ct);
        while (await reader.ReadAsync(Ct))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}

[Collection(EnginesCollection.Name)]
public sealed class ExportTests(EngineFixture engine)
{
    [Fact]
    public async Task ExportPairs_JsonlAndParquet_PageByPage_HoldEveryPairOnce()
    {
        await using var host = await E2E.StartHostAsync(engine, settings: new() { ["Mining:SettleWindow"] = "00:00:02", ["Labeling:Interval"] = "00:00:00.200" });
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        var events = new List<FeedbackEvent>();
        for (var i = 0; i < 30; i++)
        {
            var c = $"x-{i:D3}";
            events.Add(FeedbackEvent.Create($"{c}-1", E2E.App, t0.AddSeconds(i), "u", c, new ResponseServed($"{c}-a", 0, "answer", "m", PromptText: $"q{i}")));
            events.Add(FeedbackEvent.Create($"{c}-2", E2E.App, t0.AddSeconds(i + 30), "u", c, new ResponseAction($"{c}-a", ActionKind.Edit, $"edited answer {i}", 30_000)));
        }

        (await E2E.PostAsync(http, events)).EnsureSuccessStatusCode();
        using var client = host.CreateClickHouseClient();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE source = 'edit'", 30, TimeSpan.FromSeconds(60));

        using var jsonl = new MemoryStream();
        var written = await FeedbackStream.Cli.ExportPairsCommand.WriteJsonlAsync(FeedbackStream.Cli.ExportPairsCommand.ReadAsync(client, 0, null, "edit", 7, E2E.Ct), jsonl, E2E.Ct);
        Assert.Equal(30, written);
        var lines = System.Text.Encoding.UTF8.GetString(jsonl.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(30, lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("pair_id").GetString()).Distinct().Count());
        Assert.All(lines, l => Assert.StartsWith("{\"prompt\":\"q", l, StringComparison.Ordinal));

        var file = Path.Combine(Path.GetTempPath(), $"pairs-{Guid.NewGuid():N}.parquet");
        try
        {
            await using (var stream = new FileStream(file, FileMode.Create, FileAccess.ReadWrite))
            {
                Assert.Equal(30, await FeedbackStream.Cli.ExportPairsCommand.WriteParquetAsync(FeedbackStream.Cli.ExportPairsCommand.ReadAsync(client, 0, null, "edit", 7, E2E.Ct), stream, E2E.Ct));
            }

            await using var read = File.OpenRead(file);
            var rows = (await Parquet.Serialization.ParquetSerializer.DeserializeAsync<FeedbackStream.Cli.ExportPairsCommand.ParquetPairRow>(read, cancellationToken: E2E.Ct)).Data;
            Assert.Equal(30, rows.Count);
            Assert.Equal(30, rows.Select(r => r.PairId).Distinct().Count());
            Assert.All(rows, r => Assert.StartsWith("edited answer", r.Chosen, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
