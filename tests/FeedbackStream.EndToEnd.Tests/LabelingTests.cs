using System.Net;
using FeedbackStream.Auth;
using FeedbackStream.Contracts;
using FeedbackStream.Cli;
using FeedbackStream.Hosting;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;
using FeedbackStream.Mining;
using FeedbackStream.Storage;
using FeedbackStream.Storage.Labels;

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
        ["Labeling:SessionTimeout"] = "00:00:06",
    };

    /// <summary>
    /// <see cref="Fast"/> settings of a host whose ClickHouse is <paramref name="listener"/>'s engine reached through
    /// <paramref name="proxy"/>, with request bodies uncompressed so the proxy reads their SQL.
    /// </summary>
    private static Dictionary<string, string?> FastThrough(FeedbackStream.EmbeddedClickHouse.ClickHouseHttpListener listener, FailingClickHouseProxy proxy)
    {
        var settings = Fast();
        settings["ClickHouse:Mode"] = "Server";
        settings["ClickHouse:ConnectionString"] = listener.ConnectionString().Replace($"Port={listener.Address.Port}", $"Port={proxy.Address.Port}", StringComparison.Ordinal) + ";Compression=false";
        settings["ClickHouse:MigrateOnStart"] = "true";
        return settings;
    }

    [Fact]
    public async Task EventsIn_LabelsDecisionsAndPairsOut_AndASecondLabellerGroupRecomputesByReplacingNotDuplicating()
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
        await E2E.WaitForCountAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE source = 'same_prompt_siblings'", 1, TimeSpan.FromSeconds(30));
        Assert.Equal(20UL, await E2E.ScalarAsync(client, "SELECT count() FROM response_labels FINAL WHERE love AND regenerated_from = ''"));
        Assert.Equal(20UL, await E2E.ScalarAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE source = 'regeneration'"));
        Assert.Equal(0UL, await E2E.ScalarAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE chosen_response_id = rejected_response_id"));
        Assert.Equal(0UL, await E2E.ScalarAsync(client,
            "SELECT count() FROM preference_pairs FINAL WHERE source = 'regeneration' AND NOT (endsWith(chosen_response_id, '-b') AND endsWith(rejected_response_id, '-a'))"));
        var check = await new LabelInvariant(client).CheckAsync(new SettlePolicy(TimeSpan.FromSeconds(2), TimeSpan.Zero), DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal(served, check.SettledResponses);
        Assert.Equal(0UL, check.Violations);

        // The analyst views agree with the tables.
        Assert.Equal(await E2E.ScalarAsync(client, "SELECT countIf(love) FROM response_labels FINAL"), await E2E.ScalarAsync(client, "SELECT sum(loved) FROM v_love_rate_daily"));
        Assert.Equal(await E2E.ScalarAsync(client, "SELECT count() FROM preference_pairs FINAL"), await E2E.ScalarAsync(client, "SELECT sum(pairs) FROM v_pairs_daily"));
        Assert.Equal((ulong)events.Count, await E2E.ScalarAsync(client, "SELECT count() FROM v_events"));

        // The first labeller labelled from the events it consumed and held (their stored rows were exactly those events).
        Assert.Equal(40, host.Labeling!.ConversationsFromMemory);
        Assert.Equal(0, host.Labeling.ConversationsReadBack);

        // A labeller of another group, holding no events, reads the topic from the start and recomputes everything from
        // the stored rows: rows are replaced, not added, and every value but the write clocks is the same.
        var labelIds = await IdsAsync(client, "SELECT label_id FROM response_labels FINAL ORDER BY label_id");
        var pairIds = await IdsAsync(client, "SELECT pair_id FROM preference_pairs FINAL ORDER BY pair_id");
        var contents = await ContentsAsync(client);
        var again = Fast();
        again["Kafka:BootstrapServers"] = host.KafkaBootstrapServers;
        again["ClickHouse:Database"] = host.Database;
        again["Labeling:ConsumerGroup"] = "second-labeller";
        again["Labeling:MaxEventsHeld"] = "0";
        await using (var second = await E2E.StartHostAsync(engine, HostRoles.Labeler, again))
        {
            await Wait.UntilAsync(() => second.Labeling!.LabelsWritten >= (long)served, TimeSpan.FromSeconds(60), "the second labeller relabelled everything", Ct);
            Assert.Equal(0, second.Labeling!.ConversationsFromMemory);
            Assert.Equal(40, second.Labeling.ConversationsReadBack);
        }

        Assert.Equal(labelIds, await IdsAsync(client, "SELECT label_id FROM response_labels FINAL ORDER BY label_id"));
        Assert.Equal(pairIds, await IdsAsync(client, "SELECT pair_id FROM preference_pairs FINAL ORDER BY pair_id"));
        Assert.Equal(served, await E2E.ScalarAsync(client, "SELECT uniqExact(label_id) FROM response_labels"));
        Assert.Equal(contents, await ContentsAsync(client));
    }

    [Fact]
    public async Task ChunksOfOneConversation_WrittenWhileTheNextIsLabelled_EveryResponseLabelledOnce_AndSiblingsPairAcrossChunks()
    {
        // One conversation per chunk: every chunk's labels are written while the next chunk is read and labelled, and
        // every chunk mines its siblings against the labels of the chunks before it.
        var settings = Fast();
        settings["Labeling:ConversationsPerChunk"] = "1";
        await using var host = await E2E.StartHostAsync(engine, settings: settings);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        (await E2E.PostAsync(http, Conversations(12))).EnsureSuccessStatusCode();
        using var client = host.CreateClickHouseClient();
        const ulong served = 18; // 12 first answers + 6 regenerated candidates

        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL", served, TimeSpan.FromSeconds(60));
        await Wait.UntilAsync(() => host.Labeling!.ConversationsLabelled >= 12, TimeSpan.FromSeconds(30), "the labeller counted its 12 conversations", Ct);

        // The status's pending count is taken at the end of a pass, after its chunks were counted.
        await Wait.UntilAsync(() => host.Labeling!.Pending == 0, TimeSpan.FromSeconds(30), "nothing left pending", Ct);
        Assert.Equal(12, host.Labeling!.ConversationsLabelled);
        Assert.Null(host.Labeling.LastError);
        // Seven users across twelve chunks: a chunk reuses the profiles an earlier chunk read (within the settle window).
        Assert.True(host.Labeling.ProfilesReused > 0, $"profiles read {host.Labeling.ProfilesRead}, reused {host.Labeling.ProfilesReused}");
        Assert.Equal(served, await E2E.ScalarAsync(client, "SELECT uniqExact(label_id) FROM response_labels"));
        Assert.Equal(6UL, await E2E.ScalarAsync(client, "SELECT count() FROM preference_pairs FINAL WHERE source = 'regeneration'"));
        Assert.True(
            await E2E.ScalarAsync(client,
                "SELECT count() FROM preference_pairs FINAL WHERE source = 'same_prompt_siblings' AND splitByChar('-', chosen_response_id)[2] != splitByChar('-', rejected_response_id)[2]") > 0,
            "no sibling pair joins responses of two conversations (two chunks)");
        var check = await new LabelInvariant(client).CheckAsync(new SettlePolicy(TimeSpan.FromSeconds(2), TimeSpan.Zero), DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal(served, check.SettledResponses);
        Assert.Equal(0UL, check.Violations);
    }

    [Fact]
    public async Task AReadRefusedWhileAChunkIsWritten_AndOneRefusedInsideAChunksWrite_TheNextPassesLabelEveryConversationOnce()
    {
        await using var listener = await FeedbackStream.EmbeddedClickHouse.ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
        // One conversation per chunk, seven users: chunks 1-7 each read a new user's profile, and every chunk reads its
        // prompt's sibling candidates just before its write. The third profile read is refused (a chunk fails while the
        // previous chunk's write is in flight), and so is the fifth sibling read (a chunk's write step fails while the
        // next chunk is being labelled).
        int profileReads = 0, siblingReads = 0;
        await using var proxy = await FailingClickHouseProxy.StartAsync(
            new Uri($"http://{listener.Address.Host}:{listener.Address.Port}/"),
            query => query.Contains("sumMapIf", StringComparison.Ordinal)
                ? Interlocked.Increment(ref profileReads) == 3
                : query.Contains("current_score", StringComparison.Ordinal) && Interlocked.Increment(ref siblingReads) == 5,
            Ct);
        var settings = FastThrough(listener, proxy);
        settings["Labeling:ConversationsPerChunk"] = "1";
        await using var host = await E2E.StartHostAsync(engine, settings: settings);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        (await E2E.PostAsync(http, Conversations(12))).EnsureSuccessStatusCode();
        using var client = host.CreateClickHouseClient();
        const ulong served = 18;

        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL", served, TimeSpan.FromSeconds(60));
        await Wait.UntilAsync(() => host.Labeling!.ConversationsLabelled >= 12, TimeSpan.FromSeconds(30), "the labeller counted its 12 conversations", Ct);

        Assert.True(proxy.Failed == 2, $"refused {proxy.Failed}; profile reads {profileReads}, sibling reads {siblingReads}");
        // A chunk is counted when its write was accepted, never twice: the failed chunks were labelled again, once.
        await Wait.UntilAsync(() => host.Labeling!.Pending == 0, TimeSpan.FromSeconds(30), "nothing left pending", Ct);
        Assert.Equal(12, host.Labeling!.ConversationsLabelled);
        Assert.Equal(served, await E2E.ScalarAsync(client, "SELECT uniqExact(label_id) FROM response_labels"));
        var check = await new LabelInvariant(client).CheckAsync(new SettlePolicy(TimeSpan.FromSeconds(2), TimeSpan.Zero), DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal(served, check.SettledResponses);
        Assert.Equal(0UL, check.Violations);
    }

    [Fact]
    public async Task AConversationWhoseLabellingAlwaysFails_IsSetAsideWithItsReason_AndTheConversationsBesideItAreLabelled()
    {
        await using var listener = await FeedbackStream.EmbeddedClickHouse.ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
        // Every read of the labeller that names one conversation is refused, every time: that conversation's labelling
        // fails whatever chunk it is in, while the store answers everything else (the pipeline's inserts carry no SELECT).
        const string poison = "lc-poison";
        var refusing = 1;
        await using var proxy = await FailingClickHouseProxy.StartAsync(
            new Uri($"http://{listener.Address.Host}:{listener.Address.Port}/"),
            query => Volatile.Read(ref refusing) == 1 && query.Contains(poison, StringComparison.Ordinal) && query.Contains("SELECT", StringComparison.Ordinal),
            Ct);
        var settings = FastThrough(listener, proxy);
        settings["Labeling:SweepInterval"] = "00:00:01";
        await using var host = await E2E.StartHostAsync(engine, settings: settings);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        // The poisoned conversation is the oldest, so every pass's one chunk (13 conversations) starts with it.
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-11);
        var events = Conversations(12);
        events.Add(FeedbackEvent.Create($"{poison}-1", E2E.App, t0, "u0", poison, new ResponseServed($"{poison}-a", 0, "An answer.", "m1", PromptText: "What is a settle window?")));
        events.Add(FeedbackEvent.Create($"{poison}-2", E2E.App, t0.AddSeconds(20), "u0", poison, new ReactionSet($"{poison}-a", Reaction.Love, 20_000)));
        (await E2E.PostAsync(http, events)).EnsureSuccessStatusCode();
        using var client = host.CreateClickHouseClient();
        const ulong served = 18;

        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL", served, TimeSpan.FromSeconds(60));
        await Wait.UntilAsync(() => host.Labeling!.ConversationsSetAside == 1, TimeSpan.FromSeconds(30), "the labeller set the failing conversation aside", Ct);
        // The status's pending count is taken at the end of a pass: the one that set the conversation aside, or the next.
        await Wait.UntilAsync(() => host.Labeling!.Pending == 0, TimeSpan.FromSeconds(30), "nothing left pending", Ct);
        Assert.Equal(12, host.Labeling!.ConversationsLabelled);
        var row = (await client.RowsAsync<SetAsideRow>(
            "SELECT conversation_id, attempts, error FROM labeling_set_aside FINAL WHERE app_id = @app", new { app = E2E.App }, Ct)).Single();
        Assert.Equal((poison, 3u), (row.ConversationId, row.Attempts));
        Assert.Contains("refused by the test proxy", row.Error, StringComparison.Ordinal);

        // Sweeps that start after the set-aside do not try it again: the proxy refuses nothing more.
        var refused = proxy.Failed;
        var sweeps = host.Labeling.Sweeps;
        await Wait.UntilAsync(() => host.Labeling.Sweeps >= sweeps + 2, TimeSpan.FromSeconds(30), "two more sweeps ran", Ct);
        Assert.Equal(refused, proxy.Failed);
        Assert.Null(host.Labeling.LastError);

        // check labels counts its response as the one violation and says why.
        var check = await new LabelInvariant(client).CheckAsync(new SettlePolicy(TimeSpan.FromSeconds(2), TimeSpan.Zero), DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal((served + 1, 1UL, 1UL, 1UL), (check.SettledResponses, check.Violations, check.Missing, check.SetAside));
        var example = Assert.Single(check.Examples);
        Assert.Equal($"{poison}-a", example.ResponseId);
        Assert.Contains("refused by the test proxy", example.SetAsideError, StringComparison.Ordinal);

        // An operator lists it and releases it (the CLI, its own process, over HTTP). Released while it still fails, the
        // sweeps that now find it fail on it alone, and it is set aside again, by a sweep (which reads no offsets).
        var store = new[] { "--ClickHouse:Mode=Server", $"--ClickHouse:ConnectionString={listener.ConnectionString()}", $"--ClickHouse:Database={host.Database}" };
        var (code, stdout, stderr) = await E2E.RunCliAsync(["labels", "set-aside", "--app", E2E.App, "--json", .. store]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"\"conversation_id\":\"{poison}\"", stdout, StringComparison.Ordinal);
        (code, stdout, stderr) = await E2E.RunCliAsync(["labels", "retry", "--app", E2E.App, .. store]);
        Assert.Equal(1, code);
        Assert.Contains("Give either --conversation ID or --all.", stdout + stderr, StringComparison.Ordinal);
        string[] retry = ["labels", "retry", "--app", E2E.App, "--conversation", poison, "--json", .. store];
        (code, stdout, stderr) = await E2E.RunCliAsync(retry);
        Assert.True(code == 0, stderr);
        Assert.Contains("\"released\":1", stdout, StringComparison.Ordinal);
        await Wait.UntilAsync(() => host.Labeling.ConversationsSetAside == 2, TimeSpan.FromSeconds(30), "a sweep set the released conversation aside again", Ct);
        Assert.Equal(-1L, await client.ValueAsync<long>("SELECT first_offset FROM labeling_set_aside FINAL WHERE app_id = @app", new { app = E2E.App }, Ct));

        // Once the cause is gone, released again: the next sweep labels it, and every settled response has its one label.
        Volatile.Write(ref refusing, 0);
        (code, stdout, stderr) = await E2E.RunCliAsync(retry);
        Assert.True(code == 0, stderr);
        Assert.Contains("\"released\":1", stdout, StringComparison.Ordinal);
        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL", served + 1, TimeSpan.FromSeconds(60));
        var after = await new LabelInvariant(client).CheckAsync(new SettlePolicy(TimeSpan.FromSeconds(2), TimeSpan.Zero), DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal((served + 1, 0UL, 0UL), (after.SettledResponses, after.Violations, after.SetAside));
        Assert.Equal(2L, host.Labeling.ConversationsSetAside);
    }

    [Fact]
    public async Task TheStoreFailingEveryConversation_AndItsProbe_ForSeveralPasses_SetsNothingAside_AndEveryConversationIsLabelledAfter()
    {
        await using var listener = await FeedbackStream.EmbeddedClickHouse.ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
        // While `down`, the store refuses every read about a conversation and, once the host has started, every probe
        // (SELECT 1): an outage seen from inside a pass. The pipeline's inserts and progress reads still pass, so passes
        // reach their chunks.
        var down = 1;
        var started = 0;
        var probesRefused = 0;
        await using var proxy = await FailingClickHouseProxy.StartAsync(
            new Uri($"http://{listener.Address.Host}:{listener.Address.Port}/"),
            query =>
            {
                if (Volatile.Read(ref down) == 0)
                {
                    return false;
                }

                if (query.TrimEnd().EndsWith("SELECT 1", StringComparison.Ordinal))
                {
                    if (Volatile.Read(ref started) == 0)
                    {
                        return false;
                    }

                    Interlocked.Increment(ref probesRefused);
                    return true;
                }

                return query.Contains("lc-", StringComparison.Ordinal) && query.Contains("SELECT", StringComparison.Ordinal);
            },
            Ct);
        var settings = FastThrough(listener, proxy);
        await using var host = await E2E.StartHostAsync(engine, settings: settings);
        Volatile.Write(ref started, 1);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        (await E2E.PostAsync(http, Conversations(12))).EnsureSuccessStatusCode();
        using var client = host.CreateClickHouseClient();

        // More failed passes than a conversation may fail alone before it is set aside.
        await Wait.UntilAsync(() => Volatile.Read(ref probesRefused) > 6, TimeSpan.FromSeconds(60), "passes failed against the refusing store", Ct);
        Assert.Equal(0, host.Labeling!.LabelsWritten);
        Volatile.Write(ref down, 0);

        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL", 18, TimeSpan.FromSeconds(60));
        await Wait.UntilAsync(() => host.Labeling.ConversationsLabelled >= 12, TimeSpan.FromSeconds(30), "the labeller counted its 12 conversations", Ct);
        Assert.Equal(0, host.Labeling.ConversationsSetAside);
        Assert.Equal(0UL, await E2E.ScalarAsync(client, "SELECT count() FROM labeling_set_aside"));
    }

    [Fact]
    public async Task ALabellerHoldingItsLimitOfPendingConversations_PausesConsumption_AndResumesOnceTheyAreLabelled()
    {
        var settings = Fast(settle: "00:00:15");
        settings["Labeling:MaxPendingConversations"] = "3";
        await using var host = await E2E.StartHostAsync(engine, settings: settings);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        using var client = host.CreateClickHouseClient();
        var now = DateTimeOffset.UtcNow;
        FeedbackEvent Served(int i) =>
            FeedbackEvent.Create($"pp-{i}-1", E2E.App, now, "u1", $"pp-{i}", new ResponseServed($"pp-{i}-a", 0, "An answer.", "m1", PromptText: "q"));

        // Three conversations, settling 15 s after now: the labeller holds them pending and reaches its limit.
        for (var i = 0; i < 3; i++)
        {
            (await E2E.PostAsync(http, [Served(i)])).EnsureSuccessStatusCode();
            var consumed = i + 1;
            await Wait.UntilAsync(() => host.Labeling!.Records >= consumed, TimeSpan.FromSeconds(30), $"the labeller consumed record {consumed}", Ct);
        }

        await Wait.UntilAsync(() => host.Labeling!.Paused, TimeSpan.FromSeconds(30), "consumption paused at 3 pending conversations", Ct);
        // A fourth is acknowledged by Kafka and stored by the pipeline (its own consumer group read it), but the paused
        // labeller does not consume it while the three wait for their settle window: an absence, watched for a second.
        (await E2E.PostAsync(http, [Served(3)])).EnsureSuccessStatusCode();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw WHERE conversation_id = 'pp-3'", 1, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(3, host.Labeling!.Records);
        Assert.Equal(0, host.Labeling.LabelsWritten);

        // Once the three are labelled, consumption resumes and the fourth is labelled too.
        await E2E.WaitForCountAsync(client, $"SELECT count() FROM response_labels FINAL WHERE app_id = '{E2E.App}' AND startsWith(conversation_id, 'pp-')", 4, TimeSpan.FromSeconds(60));
        Assert.False(host.Labeling.Paused);
    }

    [Fact]
    public async Task LabellerRestartedBeforeTheSettleWindowEnds_WithItsKafkaGone_TheSweepLabelsEveryResponse()
    {
        var database = E2E.NewDatabase();
        var events = Conversations(10);
        var settings = Fast(settle: "01:00:00");
        settings["ClickHouse:Database"] = database;
        await using (var first = await E2E.StartHostAsync(engine, settings: settings))
        {
            using var http = new HttpClient { BaseAddress = first.GatewayAddress };
            (await E2E.PostAsync(http, events)).EnsureSuccessStatusCode();
            using var client = first.CreateClickHouseClient();
            await E2E.WaitForCountAsync(client, "SELECT count() FROM events_raw", (ulong)events.Count, TimeSpan.FromSeconds(30));
            await Wait.UntilAsync(() => first.Labeling!.Pending == 10, TimeSpan.FromSeconds(30), "the first labeller holds the 10 conversations pending", Ct);
            Assert.Equal(0, first.Labeling!.LabelsWritten);
        }

        // A new process with fresh memory and a fresh (embedded, empty) Kafka: nothing is re-consumed, so only the
        // reconciliation sweep, reading ClickHouse, can find the settled responses without a label.
        var again = Fast(settle: "00:00:01");
        again["ClickHouse:Database"] = database;
        again["Labeling:SweepInterval"] = "00:00:01";
        await using var second = await E2E.StartHostAsync(engine, settings: again);
        using var after = second.CreateClickHouseClient();
        await E2E.WaitForCountAsync(after, "SELECT count() FROM response_labels FINAL", 15, TimeSpan.FromSeconds(60));
        // The sweep counts its labels once their write returned: wait for the count rather than race it.
        await Wait.UntilAsync(() => second.Labeling!.LabelsRepaired >= 15, TimeSpan.FromSeconds(30), "the sweep counted the 15 labels it repaired", Ct);
        var check = await new LabelInvariant(after).CheckAsync(new SettlePolicy(TimeSpan.FromSeconds(1), TimeSpan.Zero), DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal(0UL, check.Violations);
    }

    [Fact]
    public async Task AnotherAppsKey_SendingEventsWithTheFirstAppsIds_NeverChangesTheFirstAppsLabel()
    {
        var settings = Fast();
        settings["Gateway:ApiKeys:1:Name"] = "app2";
        settings["Gateway:ApiKeys:1:Sha256"] = FeedbackStream.Auth.ApiKeyRing.Hash("app2-key");
        settings["Gateway:ApiKeys:1:Apps:0"] = "app2";
        await using var host = await E2E.StartHostAsync(engine, settings: settings);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        using var client = host.CreateClickHouseClient();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        (await E2E.PostAsync(http,
        [
            FeedbackEvent.Create("s1", E2E.App, t0, "u1", "c1", new ResponseServed("r1", 0, "The real answer, long enough to be read.", "m1", PromptText: "why?")),
            FeedbackEvent.Create("love1", E2E.App, t0.AddSeconds(30), "u1", "c1", new ReactionSet("r1", Reaction.Love, 30_000)),
        ])).EnsureSuccessStatusCode();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL WHERE love", 1, TimeSpan.FromSeconds(60));

        // app2, with its own valid key, replays app1's ids: a clear of the love, a dislike, and a served response reusing r1.
        using var hostile = new HttpRequestMessage(HttpMethod.Post, "v1/events")
        {
            Content = new StringContent(
                "[" + string.Join(",", new[]
                {
                    FeedbackEvent.Create("love1", "app2", t0.AddSeconds(40), "u1", "c1", new ReactionCleared("r1", Reaction.Love, 40_000)),
                    FeedbackEvent.Create("x2", "app2", t0.AddSeconds(41), "u1", "c1", new ReactionSet("r1", Reaction.Dislike, 41_000)),
                    FeedbackEvent.Create("x3", "app2", t0.AddSeconds(42), "u9", "c1", new ResponseServed("r1", 0, "An impostor's answer.", "m1", PromptText: "why?")),
                }.Select(e => System.Text.Encoding.UTF8.GetString(FeedbackJson.Serialize(e)))) + "]",
                System.Text.Encoding.UTF8, "application/json"),
        };
        hostile.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "app2-key");
        using (var response = await http.SendAsync(hostile, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL WHERE app_id = 'app2'", 1, TimeSpan.FromSeconds(60));
        Assert.Equal(1UL, await E2E.ScalarAsync(client, $"SELECT count() FROM response_labels FINAL WHERE app_id = '{E2E.App}' AND love AND NOT dislike AND startsWith(response_text, 'The real answer')"));
        Assert.Equal(1UL, await E2E.ScalarAsync(client, "SELECT count() FROM response_labels FINAL WHERE app_id = 'app2' AND dislike AND NOT love AND startsWith(response_text, 'An impostor')"));
        Assert.Equal(1UL, await E2E.ScalarAsync(client, $"SELECT count() FROM signal_decisions FINAL WHERE app_id = '{E2E.App}' AND event_id = 'love1'"));
        Assert.Equal(0UL, await E2E.ScalarAsync(client, $"SELECT count() FROM signal_decisions FINAL WHERE app_id = '{E2E.App}' AND event_id IN ('x2', 'x3')"));
    }

    [Fact]
    public async Task LabellingThroughTheHttpEndpoint_TwentyThousandServedResponses_AllLabelled()
    {
        const int responses = 20_000;
        await using var listener = await FeedbackStream.EmbeddedClickHouse.ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
        var settings = Fast();
        settings["ClickHouse:Mode"] = "Server";
        settings["ClickHouse:ConnectionString"] = listener.ConnectionString();
        settings["ClickHouse:MigrateOnStart"] = "true"; // this process is the one that migrates the new database
        await using var host = await E2E.StartHostAsync(engine, settings: settings);
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-20);
        var events = Enumerable.Range(0, responses)
            .Select(i => FeedbackEvent.Create($"h-{i:D6}", E2E.App, t0.AddMilliseconds(i), $"u{i % 97}", $"hc-{i:D6}-{new string('k', 40)}", new ResponseServed($"hr-{i:D6}", 0, "An answer.", "m1", PromptText: $"q{i % 500}")))
            .ToList();
        foreach (var chunk in events.Chunk(2000))
        {
            Assert.Equal(HttpStatusCode.OK, await E2E.PostUntilAcceptedAsync(http, chunk, TimeSpan.FromSeconds(30)));
        }

        using var client = host.CreateClickHouseClient();
        await E2E.WaitForCountAsync(client, "SELECT count() FROM response_labels FINAL", responses, TimeSpan.FromSeconds(150));
        var check = await new LabelInvariant(client).CheckAsync(new SettlePolicy(TimeSpan.FromSeconds(2), TimeSpan.Zero), DateTimeOffset.UtcNow, 5, Ct);
        Assert.Equal((ulong)responses, check.SettledResponses);
        Assert.Equal(0UL, check.Violations);
    }

    /// <summary>A digest of every label, decision and pair value except the write clocks.</summary>
    private static async Task<(ulong Labels, ulong Decisions, ulong Pairs)> ContentsAsync(ClickHouse.Driver.ClickHouseClient client) => (
        await E2E.ScalarAsync(client, "SELECT sum(cityHash64(* EXCEPT (computed_at))) FROM response_labels FINAL"),
        await E2E.ScalarAsync(client, "SELECT sum(cityHash64(* EXCEPT (decided_at))) FROM signal_decisions FINAL"),
        await E2E.ScalarAsync(client, "SELECT sum(cityHash64(* EXCEPT (mined_at))) FROM preference_pairs FINAL"));

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

    private sealed class SetAsideRow
    {
        public string ConversationId { get; set; } = "";

        public uint Attempts { get; set; }

        public string Error { get; set; } = "";
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
        var written = await FeedbackStream.Cli.ExportPairsCommand.WriteJsonlAsync(FeedbackStream.Storage.Pairs.PairExport.ReadAsync(client, new(Source: "edit"), 7, E2E.Ct), jsonl, E2E.Ct);
        Assert.Equal(30, written);
        var lines = System.Text.Encoding.UTF8.GetString(jsonl.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(30, lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("pair_id").GetString()).Distinct().Count());
        Assert.All(lines, l => Assert.StartsWith("{\"prompt\":\"q", l, StringComparison.Ordinal));

        var file = Path.Combine(Path.GetTempPath(), $"pairs-{Guid.NewGuid():N}.parquet");
        try
        {
            await using (var stream = new FileStream(file, FileMode.Create, FileAccess.ReadWrite))
            {
                Assert.Equal(30, await FeedbackStream.Cli.ExportPairsCommand.WriteParquetAsync(FeedbackStream.Storage.Pairs.PairExport.ReadAsync(client, new(Source: "edit"), 7, E2E.Ct), stream, E2E.Ct));
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
