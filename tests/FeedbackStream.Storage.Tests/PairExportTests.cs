using FeedbackStream.Storage.Pairs;

namespace FeedbackStream.Storage.Tests;

/// <summary>The pair export on the real engine: filters, keyset pages, the newest run's margins, and one app's pairs only when asked.</summary>
public sealed class PairExportTests(ClickHouseFixture clickHouse)
{
    private static readonly string[] PairColumns =
    [
        "pair_id", "app_id", "prompt_key", "prompt_text", "chosen_response_id", "chosen_text", "rejected_response_id", "rejected_text",
        "source", "confidence", "margin", "evidence_event_ids", "users", "mined_at",
    ];

    private static readonly string[] MarginColumns = ["pair_id", "model_version", "margin_mean", "margin_spread", "models", "computed_at"];

    private static readonly DateTime Mined = new(2026, 11, 1, 8, 0, 0, DateTimeKind.Utc);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> Transports => TestDatabase.Transports;

    private static object[] Pair(string id, string app, string source, double confidence, DateTime minedAt, string prompt = "q") =>
        [id, app, "pk-" + id, prompt, "c-" + id, "chosen " + id, "r-" + id, "rejected " + id, source, confidence, 1.0, new[] { "e1-" + id, "e2-" + id }, new[] { "u1" }, minedAt];

    private static async Task<TestDatabase> SeededAsync(ClickHouseFixture clickHouse, bool overHttp)
    {
        var db = await TestDatabase.CreateAsync(clickHouse, overHttp, Ct);
        await db.Client.InsertBinaryAsync("preference_pairs", PairColumns,
        [
            Pair("p1", "app1", "regeneration", 0.9, Mined, "it's \"quoted\"\nand multi-line"),
            Pair("p2", "app1", "edit", 0.8, Mined.AddDays(2)),
            Pair("p3", "app1", "regeneration", 0.3, Mined),
            Pair("p4", "app2", "regeneration", 0.95, Mined),
            Pair("p5", "app2", "edit", 0.99, Mined.AddDays(3)),
        ], null, Ct);
        // A pair mined again later: FINAL keeps the newest row only.
        await db.Client.InsertBinaryAsync("preference_pairs", PairColumns, [Pair("p2", "app1", "edit", 0.85, Mined.AddDays(2).AddHours(1))], null, Ct);
        await db.Client.InsertBinaryAsync("pair_margins", MarginColumns,
        [
            new object[] { "p1", "v1", 0.10, 0.05, (byte)3, Mined },
            new object[] { "p1", "v2", 0.40, 0.02, (byte)3, Mined.AddDays(1) },
            new object[] { "p2", "v2", -0.20, 0.10, (byte)3, Mined.AddDays(1) },
            new object[] { "p4", "v2", 0.70, 0.01, (byte)3, Mined.AddDays(1) },
        ], null, Ct);
        return db;
    }

    private static async Task<List<PairRecord>> ExportAsync(TestDatabase db, PairExportFilter filter, int pageRows = 100)
    {
        var all = new List<PairRecord>();
        await foreach (var page in PairExport.ReadAsync(db.Client, filter, pageRows, Ct))
        {
            Assert.InRange(page.Count, 1, pageRows);
            all.AddRange(page);
        }

        return all;
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task OneAppsExport_HoldsOnlyItsPairs_InPairIdOrder_WithTheNewestRunsMargins(bool overHttp)
    {
        await using var db = await SeededAsync(clickHouse, overHttp);

        var app1 = await ExportAsync(db, new PairExportFilter(AppId: "app1"), pageRows: 2);

        Assert.Equal(["p1", "p2", "p3"], app1.Select(p => p.PairId));
        Assert.All(app1, p => Assert.Equal("app1", p.AppId));
        var p1 = app1[0];
        Assert.Equal("it's \"quoted\"\nand multi-line", p1.Prompt);
        Assert.Equal(("chosen p1", "rejected p1", "c-p1", "r-p1", "regeneration"), (p1.Chosen, p1.Rejected, p1.ChosenResponseId, p1.RejectedResponseId, p1.Source));
        Assert.Equal((0.9, 1.0), (p1.Confidence, p1.Margin));
        Assert.Equal(["e1-p1", "e2-p1"], p1.EvidenceEventIds);
        Assert.Equal(Mined, p1.MinedAt);
        Assert.Equal(DateTimeKind.Utc, p1.MinedAt.Kind);
        Assert.Equal((0.40, 0.02), (p1.EnsembleMargin, p1.EnsembleSpread));
        Assert.Equal((0.85, -0.20), (app1[1].Confidence, app1[1].EnsembleMargin));
        Assert.Null(app1[2].EnsembleMargin);

        var app2 = await ExportAsync(db, new PairExportFilter(AppId: "app2"));
        Assert.Equal(["p4", "p5"], app2.Select(p => p.PairId));
        Assert.Empty(await ExportAsync(db, new PairExportFilter(AppId: "app3")));
        Assert.Equal(["p1", "p2", "p3", "p4", "p5"], (await ExportAsync(db, new PairExportFilter(), pageRows: 1)).Select(p => p.PairId));
    }

    [Fact]
    public async Task Filters_ConfidenceSinceSourceAndEnsembleMargin_KeepExactlyTheMatchingPairs()
    {
        await using var db = await SeededAsync(clickHouse, false);

        Assert.Equal(["p1", "p2", "p4", "p5"], (await ExportAsync(db, new PairExportFilter(MinConfidence: 0.8))).Select(p => p.PairId));
        Assert.Equal(["p2", "p5"], (await ExportAsync(db, new PairExportFilter(Since: Mined.AddDays(1)))).Select(p => p.PairId));
        Assert.Equal(["p2", "p5"], (await ExportAsync(db, new PairExportFilter(Source: "edit"))).Select(p => p.PairId));
        Assert.Equal(["p1", "p4"], (await ExportAsync(db, new PairExportFilter(MinEnsembleMargin: 0.3))).Select(p => p.PairId));
        Assert.Equal(["p2"], (await ExportAsync(db, new PairExportFilter(Source: "edit", AppId: "app1"))).Select(p => p.PairId));
    }
}
