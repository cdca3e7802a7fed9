using ClickHouse.Driver;
using FeedbackStream.Contracts;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.Mining;
using FeedbackStream.Storage.Labels;

namespace FeedbackStream.Storage.Tests;

/// <summary>The labelling repositories on the real engine, in process and over the loopback HTTP interface a server is reached by.</summary>
public sealed class LabelRepositoryTests(ClickHouseFixture clickHouse)
{
    private static readonly string[] EventColumns =
        ["event_id", "type", "schema_version", "app_id", "user_id", "conversation_id", "response_id", "occurred_at", "received_at", "payload", "kafka_topic", "kafka_partition", "kafka_offset"];

    private static readonly string[] Hostile =
    [
        "plain", "it's", "back\\slash", "line\nbreak", "tab\tand\rreturn", "'); DROP TABLE events_raw; --", "semi;colon", "{x:String}", "nul\0byte", "\u00e9\u4e2d\ud83d\ude00",
        "\\'", "'", "\\", "\u0007bell", "a\n\nSELECT 1",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> Transports => new() { false, true };

    private async Task<(ClickHouseClient Client, IAsyncDisposable? Listener)> DatabaseAsync(bool overHttp)
    {
        var database = "l_" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = clickHouse.Server.CreateClient())
        {
            await new Migrator(admin, database).MigrateAsync(Ct);
        }

        if (!overHttp)
        {
            return (clickHouse.Server.CreateClient(database), null);
        }

        var listener = await ClickHouseHttpListener.StartAsync(clickHouse.Server.Core, 0, cancellationToken: Ct);
        return (new ClickHouseClient(listener.ConnectionString(database)), listener);
    }

    private static object[] Row(FeedbackEvent e, long offset) =>
    [
        e.EventId, e.Type, (ushort)1, e.AppId, e.UserId, e.ConversationId, e.Payload.ResponseId(), e.OccurredAt.UtcDateTime, e.OccurredAt.UtcDateTime,
        System.Text.Encoding.UTF8.GetString(FeedbackJson.Serialize(e)) is var json ? System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("payload").GetRawText() : "",
        "t", 0, offset,
    ];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task EventsOfHostileConversationIds_ComeBackExactly_AndOnlyFromTheirOwnApp(bool overHttp)
    {
        var (client, listener) = await DatabaseAsync(overHttp);
        await using var _ = listener;
        using var __ = client;
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = Hostile.SelectMany((id, i) => new[]
        {
            FeedbackEvent.Create($"a-{i}", "app1", at, "u1", id, new ResponseServed($"r-{i}", 0, "answer", "m1", PromptText: "q")),
            FeedbackEvent.Create($"b-{i}", "app2", at, "u1", id, new ResponseServed($"r-{i}", 0, "other tenant", "m1", PromptText: "q")),
        }).ToList();
        await client.InsertBinaryAsync("events_raw", EventColumns, events.Select((e, i) => Row(e, i)), null, Ct);

        var read = await new LabelRepository(client).EventsAsync([.. Hostile.Select(id => new ConversationKey("app1", id))], Ct);

        Assert.Equal(Hostile.Length, read.Count);
        Assert.All(read, e => Assert.Equal("app1", e.Event.AppId));
        Assert.Equal(Hostile.Order(StringComparer.Ordinal), read.Select(e => e.Event.ConversationId).Order(StringComparer.Ordinal));
        Assert.Equal((ulong)events.Count, Convert.ToUInt64(await client.ExecuteScalarAsync("SELECT count() FROM events_raw", null, null, Ct), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task TwentyThousandConversationIds_TravelInTheBody_NotTheUrl(bool overHttp)
    {
        var (client, listener) = await DatabaseAsync(overHttp);
        await using var _ = listener;
        using var __ = client;
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        var ids = Enumerable.Range(0, 20_000).Select(i => $"conversation-{i:D6}-{new string('x', 30)}").ToList();
        await client.InsertBinaryAsync("events_raw", EventColumns, ids.Select((id, i) => Row(FeedbackEvent.Create($"e-{i}", "app1", at, "u1", id, new ResponseServed($"r-{i}", 0, "answer", "m1")), i)), null, Ct);

        var read = await new LabelRepository(client).EventsAsync([.. ids.Select(id => new ConversationKey("app1", id))], Ct);
        Assert.Equal(ids.Count, read.Count);
    }

    [Fact]
    public async Task PipelineProgress_IsTheHighestStoredOffsetPerPartition()
    {
        var (client, _) = await DatabaseAsync(false);
        using var __ = client;
        var progress = new PipelineProgress(client);
        await progress.WriteAsync([("t", 0, 10), ("t", 1, 3), ("other", 0, 99)], Ct);
        await progress.WriteAsync([("t", 0, 7), ("t", 1, 8)], Ct);
        Assert.Equal(new Dictionary<int, long> { [0] = 10, [1] = 8 }, await progress.StoredThroughAsync("t", Ct));
    }

    [Fact]
    public async Task LabelInvariant_CountsMissingAndStaleLabels_AndNoneOnceLabelled()
    {
        var (client, _) = await DatabaseAsync(false);
        using var __ = client;
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        var served = FeedbackEvent.Create("s1", "app1", at, "u1", "c1", new ResponseServed("r1", 0, "answer", "m1", PromptText: "q"));
        var love = FeedbackEvent.Create("l1", "app1", at.AddSeconds(30), "u1", "c1", new ReactionSet("r1", Reaction.Love, 30_000));
        var fresh = FeedbackEvent.Create("s2", "app1", DateTimeOffset.UtcNow, "u1", "c2", new ResponseServed("r2", 0, "answer", "m1", PromptText: "q"));
        await client.InsertBinaryAsync("events_raw", EventColumns, new[] { served, fresh }.Select((e, i) => Row(e, i)), null, Ct);
        var invariant = new LabelInvariant(client);
        var policy = new SettlePolicy(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(2));

        var missing = await invariant.CheckAsync(policy, DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal(1UL, missing.SettledResponses);
        Assert.Equal(1UL, missing.Missing);
        Assert.Equal("r1", Assert.Single(missing.Examples).ResponseId);

        var repository = new LabelRepository(client);
        var labeler = new SignalLabeler(new MiningOptions(), new NeutralScorer());
        var stored = await repository.EventsAsync([new ConversationKey("app1", "c1")], Ct);
        await repository.WriteAsync(labeler.Label(stored, new Dictionary<string, UserProfile>(), PopulationRates.Default, DateTimeOffset.UtcNow), [], DateTime.UtcNow, Ct);
        Assert.Equal(0UL, (await invariant.CheckAsync(policy, DateTimeOffset.UtcNow, 5, Ct)).Violations);

        // A later love the label does not reflect makes it stale until it is relabelled.
        await client.InsertBinaryAsync("events_raw", EventColumns, [Row(love, 2)], null, Ct);
        var stale = await invariant.CheckAsync(policy, DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal(1UL, stale.Stale);
        stored = await repository.EventsAsync([new ConversationKey("app1", "c1")], Ct);
        await repository.WriteAsync(labeler.Label(stored, new Dictionary<string, UserProfile>(), PopulationRates.Default, DateTimeOffset.UtcNow), [], DateTime.UtcNow, Ct);
        Assert.Equal(0UL, (await invariant.CheckAsync(policy, DateTimeOffset.UtcNow, 5, Ct)).Violations);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SiblingCandidates_AreTheBestAndWorstPerPrompt_ByTheLatestScore_WithinTheApp(bool overHttp)
    {
        var (client, listener) = await DatabaseAsync(overHttp);
        await using var _ = listener;
        using var __ = client;
        var repository = new LabelRepository(client);
        var template = LabelOf("same question");
        var computed = DateTime.UtcNow.AddMinutes(-1);
        ResponseLabel Label(string app, int i, double score) =>
            template with { LabelId = $"{app}-label-{i:D3}", AppId = app, ResponseId = $"{app}-r{i}", Score = score };

        // Forty labels of one prompt in app1 with scores 0.00 .. 0.39, and app2 labels of the same prompt key scoring beyond both ends.
        var app1 = Enumerable.Range(0, 40).Select(i => Label("app1", i, i / 100.0)).ToList();
        var app2 = new[] { Label("app2", 0, -5), Label("app2", 1, 5) };
        await repository.WriteAsync(new LabelBatch([.. app1, .. app2], [], [], 0, 0), [], computed, Ct);
        // A later computation lifts label 0 from the bottom to the top: the candidates follow the latest score.
        await repository.WriteAsync(new LabelBatch([Label("app1", 0, 0.99)], [], [], 0, 0), [], computed.AddSeconds(10), Ct);

        var candidates = await repository.LabelsForPromptsAsync("app1", [template.PromptKey, "no-such-prompt"], Ct, perPrompt: 3);

        Assert.Equal(["app1-label-000", "app1-label-001", "app1-label-002", "app1-label-003", "app1-label-038", "app1-label-039"], candidates.Select(l => l.LabelId).Order(StringComparer.Ordinal));
        Assert.Equal(0.99, candidates.Single(l => l.LabelId == "app1-label-000").Score);
        Assert.All(candidates, l => Assert.Equal(template.ResponseText, l.ResponseText));
        // Pairs across apps (an explicit option) see both apps' extremes.
        var across = await repository.LabelsForPromptsAsync(null, [template.PromptKey], Ct, perPrompt: 3);
        Assert.Equal(["app1-label-000", "app1-label-001", "app1-label-002", "app1-label-039", "app2-label-000", "app2-label-001"], across.Select(l => l.LabelId).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SiblingCandidates_OfAPromptWhoseScoresTie_FillBothSides_SoThePromptCanBeHeld(bool overHttp)
    {
        var (client, listener) = await DatabaseAsync(overHttp);
        await using var _ = listener;
        using var __ = client;
        var repository = new LabelRepository(client);
        var template = LabelOf("popular question");

        // Seventy labels of one prompt, every one with the same score (one love each, say): the 32 best and the 32 worst are
        // 64 different labels, ties broken by id from either end as SiblingMiner cuts a long list.
        const int perSide = SiblingMiner.MaxCandidatesPerSide;
        var labels = Enumerable.Range(0, 2 * perSide + 6).Select(i => template with { LabelId = $"label-{i:D3}", ResponseId = $"r{i}", Score = 0.5 }).ToList();
        await repository.WriteAsync(new LabelBatch(labels, [], [], 0, 0), [], DateTime.UtcNow, Ct);

        var candidates = await repository.LabelsForPromptsAsync("app1", [template.PromptKey], Ct, perSide);

        var expected = labels.Take(perSide).Concat(labels.TakeLast(perSide)).Select(l => l.LabelId);
        Assert.Equal(expected, candidates.Select(l => l.LabelId).Order(StringComparer.Ordinal));
        // Both sides full: the labeller holds the prompt's candidates instead of reading them again for every chunk.
        var held = new SiblingCandidates(TimeSpan.FromMinutes(1));
        held.Loaded([template.PromptKey], candidates, DateTimeOffset.UtcNow);
        Assert.Equal(1, held.Count);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SiblingCandidates_OfAChunkWithThousandsOfLongPromptKeys_StayUnderTheServersQuerySize(bool overHttp)
    {
        var (client, listener) = await DatabaseAsync(overHttp);
        await using var _ = listener;
        using var __ = client;
        var repository = new LabelRepository(client);
        var template = LabelOf("one of many questions");
        // A chunk of the labeller touches as many prompts as it has responses (each its own question, typically): 3,000
        // keys of 64 characters are 200 KB of literals, split by SqlLiteral at 128 KB; a query carrying a split twice
        // went over ClickHouse's 256 KiB max_query_size and failed every pass.
        var keys = Enumerable.Range(0, 3000).Select(i => $"{i:D4}".PadRight(64, 'k')).ToList();
        var labels = keys.Take(2).Select((k, i) => template with { LabelId = $"label-{i}", ResponseId = $"r{i}", PromptKey = k }).ToList();
        await repository.WriteAsync(new LabelBatch(labels, [], [], 0, 0), [], DateTime.UtcNow, Ct);

        var candidates = await repository.LabelsForPromptsAsync("app1", keys, Ct);

        Assert.Equal(["label-0", "label-1"], candidates.Select(l => l.LabelId).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Profiles_FromOneGroupedQuery_AreTheInMemoryDefinitions_CountingARowStoredTwiceOnce(bool overHttp)
    {
        var (client, listener) = await DatabaseAsync(overHttp);
        await using var _ = listener;
        using var __ = client;
        var at = new DateTimeOffset(DateTime.UtcNow.AddHours(-1).Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var events = new List<FeedbackEvent>();
        for (var i = 0; i < 60; i++)
        {
            var user = $"u{i % 3}";
            events.Add(FeedbackEvent.Create($"s{i}", "app1", at.AddSeconds(i * 7), user, $"c{i}", new ResponseServed($"r{i}", 0, "answer", "m1", PromptText: "q")));
            if (i % 2 == 0)
            {
                var reaction = i % 6 == 0 ? Reaction.Dislike : i % 4 == 0 ? Reaction.Love : Reaction.Like;
                events.Add(FeedbackEvent.Create($"x{i}", "app1", at.AddSeconds((i * 7) + 3), user, $"c{i}", new ReactionSet($"r{i}", reaction, 3000)));
            }
        }

        // The other tenant's events of the same users never count.
        var foreign = Enumerable.Range(0, 20).Select(i => FeedbackEvent.Create($"f{i}", "app2", at, "u0", $"c{i}", new ReactionSet($"r{i}", Reaction.Love, 1000))).ToList();
        var rows = events.Concat(foreign).Select((e, i) => Row(e, i)).Append(Row(events[1], 999)).ToList();
        await client.InsertBinaryAsync("events_raw", EventColumns, rows, null, Ct);
        var repository = new LabelRepository(client);

        var profiles = await repository.ProfilesAsync("app1", ["u0", "u1", "u2", "nobody"], TimeSpan.FromDays(1), Ct);
        var population = await repository.PopulationAsync("app1", TimeSpan.FromDays(1), Ct);

        var (expected, expectedPopulation) = UserProfiles.Build(events);
        Assert.Equal(expected.Values.OrderBy(p => p.UserId, StringComparer.Ordinal), profiles.Values.OrderBy(p => p.UserId, StringComparer.Ordinal));
        Assert.Equal(expectedPopulation, population);
        Assert.Equal(60, profiles.Values.Sum(p => p.ResponsesServed));
        Assert.Equal(30, profiles.Values.Sum(p => p.Reactions));
        Assert.True(profiles["u0"].PeakReactionsPerMinute >= 1);
        Assert.Equal(PopulationRates.Default, await repository.PopulationAsync("app2", TimeSpan.FromDays(1), Ct));
    }

    [Fact]
    public async Task SweepScope_RepairsOnlyWhatTheLabellerPassed_OrWhatAGoneLogHeld_NeverTheUnconsumedBacklog()
    {
        var (client, _) = await DatabaseAsync(false);
        using var __ = client;
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        // Twelve settled, unlabelled responses at offsets 0..11 of partition 0.
        var events = Enumerable.Range(0, 12).Select(i => FeedbackEvent.Create($"s{i}", "app1", at, "u1", $"c{i}", new ResponseServed($"r{i}", 0, "answer", "m1", PromptText: "q"))).ToList();
        await client.InsertBinaryAsync("events_raw", EventColumns, events.Select((e, i) => Row(e, i)), null, Ct);
        var invariant = new LabelInvariant(client);
        var horizon = DateTime.UtcNow;

        var scoped = await invariant.ViolationsAsync(horizon, [new SweepScope(0, PassedBelow: 4, LogEnd: 10)], 100, Ct);
        var otherPartition = await invariant.ViolationsAsync(horizon, [new SweepScope(1, PassedBelow: 100, LogEnd: 100)], 100, Ct);
        var everything = await invariant.ViolationsAsync(horizon, null, 100, Ct);

        Assert.Equal(["r0", "r1", "r10", "r11", "r2", "r3"], scoped.Select(v => v.ResponseId).Order(StringComparer.Ordinal));
        Assert.Empty(otherPartition);
        Assert.Equal(12, everything.Count);
    }

    /// <summary>The label of one app1 response served half an hour ago to <paramref name="promptText"/>, to copy with other ids and scores.</summary>
    private static ResponseLabel LabelOf(string promptText)
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        var served = FeedbackEvent.Create("s0", "app1", at, "u1", "c0", new ResponseServed("r0", 0, "answer", "m1", PromptText: promptText));
        return new SignalLabeler(new MiningOptions(), new NeutralScorer()).Label(
            [new StoredEvent(served, at)], new Dictionary<string, UserProfile>(), PopulationRates.Default, DateTimeOffset.UtcNow).Labels.Single();
    }

    [Fact]
    public async Task ConversationLookups_ReadTheProjectionSortedByConversation_NotTheWholeTable()
    {
        var (client, _) = await DatabaseAsync(false);
        using var __ = client;
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        var events = Enumerable.Range(0, 50_000).Select(i => FeedbackEvent.Create($"e{i}", "app1", at, "u1", $"c{i % 5000}", new ResponseServed($"r{i}", 0, "answer", "m1", PromptText: "q")));
        await client.InsertBinaryAsync("events_raw", EventColumns, events.Select((e, i) => Row(e, i)), null, Ct);

        var plan = await client.RowsAsync<string>(
            "EXPLAIN indexes = 1 SELECT event_id, payload FROM events_raw PREWHERE conversation_id IN ('c1', 'c2') WHERE app_id IN ('app1')", null, Ct);

        Assert.Contains(plan, line => line.Contains("ReadFromMergeTree (by_conversation)", StringComparison.Ordinal));
        Assert.Equal(20, (await new LabelRepository(client).EventsAsync([new ConversationKey("app1", "c1"), new ConversationKey("app1", "c2")], Ct)).Count);
    }

    [Fact]
    public async Task PromptLookups_ReadTheProjectionSortedByPrompt_NotEveryLabel()
    {
        var (client, _) = await DatabaseAsync(false);
        using var __ = client;
        var repository = new LabelRepository(client);
        var template = LabelOf("q");
        // 50,000 labels over 5,000 prompts.
        var labels = Enumerable.Range(0, 50_000).Select(i => template with { LabelId = $"l{i:D5}", ResponseId = $"r{i}", PromptKey = $"p{i % 5000:D4}", Score = i % 7 }).ToList();
        await repository.WriteAsync(new LabelBatch(labels, [], [], 0, 0), [], DateTime.UtcNow, Ct);

        var plan = await client.RowsAsync<string>(
            "EXPLAIN indexes = 1 SELECT label_id, argMax(score, computed_at) FROM response_labels WHERE prompt_key IN ('p0001', 'p0002') AND app_id = 'app1' GROUP BY label_id", null, Ct);

        Assert.Contains(plan, line => line.Contains("ReadFromMergeTree (by_prompt)", StringComparison.Ordinal));
        var candidates = await repository.LabelsForPromptsAsync("app1", ["p0001", "p0002"], Ct);
        Assert.Equal(20, candidates.Count);
        Assert.All(candidates, l => Assert.Contains(l.PromptKey, new[] { "p0001", "p0002" }));
    }

    [Fact]
    public async Task ARowNoEventCanBeRebuiltFrom_IsSkippedAndCounted_AndItsConversationStillLoads()
    {
        var (client, _) = await DatabaseAsync(false);
        using var __ = client;
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        var served = FeedbackEvent.Create("s1", "app1", at, "u1", "c1", new ResponseServed("r1", 0, "answer", "m1", PromptText: "q"));
        var love = FeedbackEvent.Create("l1", "app1", at.AddSeconds(5), "u1", "c1", new ReactionSet("r1", Reaction.Love, 5000));
        var broken = Row(love, 2);
        broken[0] = "broken";
        broken[9] = "{\"response_id\": \"r1\", \"reaction\": ";
        await client.InsertBinaryAsync("events_raw", EventColumns, [Row(served, 0), Row(love, 1), broken], null, Ct);
        var repository = new LabelRepository(client);

        var stored = await repository.EventsAsync([new ConversationKey("app1", "c1")], Ct);

        Assert.Equal(["l1", "s1"], stored.Select(e => e.Event.EventId).Order(StringComparer.Ordinal));
        Assert.Equal(1, repository.UnreadableRows);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SetAsideConversations_AreListedPerApp_AndReleasedOneOrAllOfOneApp_NeverAnotherApps(bool overHttp)
    {
        var (client, listener) = await DatabaseAsync(overHttp);
        await using var _ = listener;
        using var __ = client;
        var repository = new LabelRepository(client);
        var at = DateTime.UtcNow.AddMinutes(-3);
        SetAsideConversation Row(string app, string conversation, int minutes) =>
            new(new ConversationKey(app, conversation), "t", 2, 10, 12, 3, $"boom in {conversation}", at.AddMinutes(minutes));
        foreach (var row in new[] { Row("app1", "c1", 0), Row("app1", "c2", 1), Row("app2", "c1", 2) })
        {
            await repository.SetAsideAsync(row, Ct);
        }

        var app1 = await repository.SetAsideConversationsAsync("app1", 10, Ct);
        Assert.Equal(["c2", "c1"], app1.Select(r => r.Key.ConversationId));
        Assert.Equal(Row("app1", "c2", 1) with { SetAsideAt = app1[0].SetAsideAt }, app1[0]);
        Assert.Equal(at.AddMinutes(1), app1[0].SetAsideAt, TimeSpan.FromMilliseconds(1));
        Assert.Equal(DateTimeKind.Utc, app1[0].SetAsideAt.Kind);
        Assert.Equal(3, (await repository.SetAsideConversationsAsync(null, 10, Ct)).Count);
        Assert.Single(await repository.SetAsideConversationsAsync(null, 1, Ct));

        // One conversation of app1; a conversation id app2 also uses is released for app1 only.
        Assert.Equal(1, await repository.ReleaseSetAsideAsync("app1", "c1", Ct));
        Assert.Equal(0, await repository.ReleaseSetAsideAsync("app1", "c1", Ct));
        Assert.Equal(["c2"], (await repository.SetAsideConversationsAsync("app1", 10, Ct)).Select(r => r.Key.ConversationId));
        Assert.Equal(["c1"], (await repository.SetAsideConversationsAsync("app2", 10, Ct)).Select(r => r.Key.ConversationId));

        // All of app1, a hostile id bound as a value, never as SQL.
        Assert.Equal(0, await repository.ReleaseSetAsideAsync("app1", "x' OR '1'='1", Ct));
        Assert.Equal(1, await repository.ReleaseSetAsideAsync("app1", null, Ct));
        Assert.Empty(await repository.SetAsideConversationsAsync("app1", 10, Ct));
        Assert.Single(await repository.SetAsideConversationsAsync("app2", 10, Ct));
    }

    private sealed class NeutralScorer : IFollowupScorer
    {
        public FollowupScore Score(string text) => new(0.2, 0.2, "neutral", "");
    }
}
