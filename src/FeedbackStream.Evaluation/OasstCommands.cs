using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using ClickHouse.Driver;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;
using FeedbackStream.Auth;
using FeedbackStream.Client;
using FeedbackStream.Followups.Lexicon;
using FeedbackStream.Gateway;
using FeedbackStream.Hosting;
using FeedbackStream.Mining;
using FeedbackStream.Pipeline.Labeling;
using FeedbackStream.Replay;
using FeedbackStream.Storage;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace FeedbackStream.Evaluation;

/// <summary>
/// OpenAssistant (oasst1) commands: <c>replay oasst</c> sends a corpus through the real gateway and pipeline and waits
/// until it is stored and labelled; <c>eval oasst</c> mines the same events in memory with the product's code and
/// measures the outcome against the corpus's human ranks. The mapping is <see cref="OasstEventMapper"/>'s.
/// </summary>
internal static class OasstCommands
{
    public const string DefaultDataPath = ".feedbackstream/oasst";

    /// <summary>The corpus is replayed as traffic of (at most) this last stretch of time: inside the gateway's default max_event_age (30 days).</summary>
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromDays(21);

    /// <summary>The newest replayed event happened this long ago: longer than the default settle window (10 minutes), so every response settles.</summary>
    public static readonly TimeSpan ReplayQuiet = TimeSpan.FromMinutes(15);

    /// <summary>What the issue asks of mined preferences on oasst1: at least this agreement ...</summary>
    public const double TargetAgreement = 0.70;

    /// <summary>... on at least as many decided pairs as the plain baseline decides.</summary>
    public sealed record Target(double Agreement, int MinDecided, bool MetByMinedPairs, bool MetByLabelScores);

    public sealed record ReplaySummary(
        string File,
        string Target,
        string Database,
        int Messages,
        int Trees,
        int DuplicateMessages,
        int ConflictingDuplicates,
        OasstMappingStats Mapping,
        double TimeCompression,
        long EventsSent,
        long Accepted,
        long Duplicates,
        long Rejected,
        long Failed,
        IReadOnlyList<Tally> RejectedByReason,
        long? EventsInClickhouse,
        long? ResponsesLabelled,
        long? LovedResponses,
        IReadOnlyList<Tally> PairsBySource,
        IReadOnlyList<Tally> DecisionsByRule,
        double ElapsedSeconds);

    public sealed record EvalVariant(
        string Name,
        int Labels,
        int LabelsWithSignal,
        IReadOnlyList<Tally> FollowupPolarity,
        IReadOnlyList<Tally> PairsBySource,
        IReadOnlyList<Tally> DroppedByRule,
        IReadOnlyList<Tally> ReweightedByRule,
        RankAgreement MinedPairs,
        RankAgreement LabelScores,
        RankAgreement Judge,
        CurveComparison Curves);

    public sealed record EvalOutput(
        string File,
        int Messages,
        int Trees,
        int DuplicateMessages,
        int ConflictingDuplicates,
        OasstMappingStats Mapping,
        int Events,
        int RankedSiblingPairs,
        RankAgreement Baseline,
        EvalVariant Product,
        EvalVariant DenoisingOff,
        Target Target,
        CurveTarget CurveTarget,
        double Seconds);

    /// <summary>
    /// The product's judge against net votes on the same pairs: at or above it at every coverage, and an area (between
    /// the first and the last coverage) at least <see cref="MinAreaGain"/> larger.
    /// </summary>
    public sealed record CurveTarget(double MinAreaGain, bool AtOrAboveEverywhere, double AreaGain, bool Met);

    /// <summary>What the product's agreement-coverage curve must gain over net votes in area.</summary>
    public const double MinAreaGain = 0.02;

    public static Command CreateReplay()
    {
        var file = FileArgument();
        var gateway = new Option<string?>("--gateway") { Description = "Send to this gateway (with --api-key) instead of starting the embedded host." };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for --gateway allowed app 'oasst'; default: $FEEDBACKSTREAM_API_KEY." };
        var clickHouse = new Option<string?>("--clickhouse")
        {
            Description = "With --gateway: the ClickHouse server behind it, to check storage and labels (sets ClickHouse:Mode=Server and ClickHouse:ConnectionString; or configure them as for serve: FEEDBACKSTREAM_ environment, --Section:Key=value).",
        };
        var database = DataSettings.CheckDatabaseName(new Option<string>("--database") { Description = "ClickHouse database.", DefaultValueFactory = _ => Storage.ClickHouseOptions.DefaultDatabase });
        var data = new Option<string>("--data") { Description = "Folder for the embedded host's data (recreated at every run).", DefaultValueFactory = _ => DefaultDataPath };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long.", DefaultValueFactory = _ => TimeSpan.FromMinutes(10) };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object on the last line." };
        var command = new Command("oasst", "Replay an OpenAssistant export (flat or nested JSONL) through the gateway and pipeline; wait until stored and labelled.")
        {
            file, gateway, apiKey, clickHouse, database, data, timeout, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"No such file: {path}");
                return 2;
            }

            Uri? remote = null;
            if (parse.GetValue(gateway) is { } url && !Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out remote))
            {
                Console.Error.WriteLine($"--gateway: not an absolute URL: {url}");
                return 2;
            }

            var key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("FEEDBACKSTREAM_API_KEY");
            if (remote is not null && string.IsNullOrWhiteSpace(key))
            {
                Console.Error.WriteLine("--gateway needs --api-key (or $FEEDBACKSTREAM_API_KEY).");
                return 2;
            }

            if (Load(path) is not { } corpus)
            {
                return 2;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(parse.GetValue(timeout));
            ReplaySummary summary;
            try
            {
                summary = remote is null
                    ? await ReplayEmbeddedAsync(path, corpus, parse.GetValue(data)!, parse.GetValue(database)!, deadline.Token)
                    : await ReplayRemoteAsync(path, corpus, remote, key!, RemoteConfiguration(parse, clickHouse, database), deadline.Token);
            }
            catch (HostConfigurationException e)
            {
                await Console.Error.WriteLineAsync($"feedbackstream replay oasst: {e.Message}");
                return 2;
            }
            PrintReplay(summary);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(summary);
            }

            return summary.Rejected + summary.Failed == 0 ? 0 : 1;
        });
        return command;
    }

    public static Command CreateEval()
    {
        var file = FileArgument();
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line." };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples (over conversation trees) for the 95 % intervals, 0..20000.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed.", DefaultValueFactory = _ => 20_231_029 };
        var command = new Command("oasst", "Agreement of the product's judgments with the human ranks of OpenAssistant sibling replies, beside the net-vote baseline on the same pairs.")
        {
            file, json, resamples, seed,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"No such file: {path}");
                return 2;
            }

            var coverage = new CoverageOptions { Resamples = parse.GetValue(resamples), Seed = parse.GetValue(seed) };
            if (coverage.Validate() is { } problem)
            {
                Console.Error.WriteLine($"--resamples: {problem}");
                return 2;
            }

            var watch = Stopwatch.StartNew();
            if (Load(path) is not { } corpus)
            {
                return 2;
            }

            var scorer = new FollowupScorer(LexiconClassifier.Default);
            var product = OasstEvaluation.Run(corpus, scorer, new MiningOptions(), coverage: coverage);
            var off = OasstEvaluation.Run(corpus, scorer, new MiningOptions { Denoising = new DenoisingOptions { Enabled = false } }, coverage: coverage);
            var baseline = product.Baseline;
            var target = new Target(
                TargetAgreement,
                baseline.Decided,
                Meets(product.MinedPairs, baseline.Decided),
                Meets(product.LabelScores, baseline.Decided));
            var output = new EvalOutput(
                Path.GetFullPath(path),
                corpus.Messages.Count,
                corpus.Trees,
                corpus.DuplicateMessages,
                corpus.ConflictingDuplicates,
                product.Mapping,
                product.Events,
                baseline.Pairs,
                baseline,
                Variant("product defaults", product),
                Variant("denoising off", off),
                target,
                CurveTargetOf(product.Curves),
                Stats.Round(watch.Elapsed.TotalSeconds));
            PrintEval(output);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(output);
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// Reads an OASST export, or prints why it cannot be read (the line, message and field) and returns null. Repeated
    /// records are reported on standard error as the file is read; the summaries carry their counts.
    /// </summary>
    public static OasstCorpus? Load(string path)
    {
        OasstCorpus corpus;
        try
        {
            corpus = OasstCorpus.Load(path);
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"error: {path}: {e.Message}");
            return null;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: cannot read {path}: {e.Message}");
            return null;
        }

        if (corpus.DuplicateSummary is { } duplicates)
        {
            Console.Error.WriteLine($"warning: {path}: {duplicates}");
        }

        return corpus;
    }

    private static bool Meets(RankAgreement a, int minDecided) => a.Decided >= minDecided && a.Agreement >= TargetAgreement;

    private static EvalVariant Variant(string name, OasstEvaluationResult r) =>
        new(name, r.Labels, r.LabelsWithSignal, r.FollowupPolarity, r.PairsBySource, r.DroppedByRule, r.ReweightedByRule, r.MinedPairs, r.LabelScores, r.Judge, r.Curves);

    private static CurveTarget CurveTargetOf(CurveComparison c)
    {
        var gain = c.AreaDifference.Value;
        return new CurveTarget(MinAreaGain, c.FirstAtOrAboveEverywhere, Stats.Round(gain), c.FirstAtOrAboveEverywhere && gain >= MinAreaGain);
    }

    private static Argument<string> FileArgument() => new("file") { Description = "OpenAssistant export: JSONL, one message per line (flat) or one tree per line (nested)." };

    private static async Task<ReplaySummary> ReplayEmbeddedAsync(string path, OasstCorpus corpus, string dataPath, string database, CancellationToken cancellationToken)
    {
        var fullPath = Path.GetFullPath(dataPath);
        if (Directory.Exists(fullPath))
        {
            Directory.Delete(fullPath, recursive: true);
        }

        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var settings = new Dictionary<string, string?>(FeedbackHost.Defaults)
        {
            ["Gateway:Urls"] = "http://127.0.0.1:0",
            ["Gateway:ApiKeys:0:Name"] = "oasst-replay",
            ["Gateway:ApiKeys:0:Sha256"] = ApiKeyRing.Hash(apiKey),
            ["Gateway:ApiKeys:0:Apps:0"] = OasstMappingOptions.DefaultAppId,
            ["ClickHouse:DataPath"] = fullPath,
            ["ClickHouse:Database"] = database,
            ["Labeling:Interval"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Error",
            ["Logging:LogLevel:FeedbackStream"] = "Warning",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        AnsiConsole.MarkupLine($"[grey]starting Kafka (mock cluster, 3 brokers), ClickHouse (chDB, data in {Markup.Escape(fullPath)}), gateway and pipeline[/]");
        await using var host = await FeedbackHost.StartAsync(configuration, HostRoles.All, cancellationToken);
        using var clickHouse = host.CreateClickHouseClient();
        return await ReplayAsync(path, corpus, host.GatewayAddress!, apiKey, clickHouse, host.Database, "embedded host", TimeSpan.FromSeconds(1), cancellationToken);
    }

    /// <summary>The configuration chain of serve, with <c>--clickhouse</c> and <c>--database</c> on top.</summary>
    private static IConfiguration RemoteConfiguration(ParseResult parse, Option<string?> clickHouse, Option<string> database)
    {
        return DataSettings.BuildConfiguration(null, parse.UnmatchedTokens, DataSettings.Shorthands(null, parse.GetValue(clickHouse), parse.GetValue(database)));
    }

    private static async Task<ReplaySummary> ReplayRemoteAsync(string path, OasstCorpus corpus, Uri gateway, string apiKey, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var options = ClickHouseTarget.ReadOptions(configuration);
        if (options.Mode != ClickHouseMode.Server)
        {
            AnsiConsole.MarkupLine("[yellow]no ClickHouse server configured (--clickhouse or ClickHouse:Mode=Server): events are sent, but storage and labels cannot be checked[/]");
            return await ReplayAsync(path, corpus, gateway, apiKey, null, options.Database, gateway.ToString(), TimeSpan.FromSeconds(5), cancellationToken);
        }

        using var target = await ClickHouseTarget.OpenAsync(options, cancellationToken);
        return await ReplayAsync(path, corpus, gateway, apiKey, target.Client, options.Database, gateway.ToString(), TimeSpan.FromSeconds(5), cancellationToken);
    }

    private static async Task<ReplaySummary> ReplayAsync(
        string path, OasstCorpus corpus, Uri gateway, string apiKey, ClickHouseClient? clickHouse, string database, string targetName, TimeSpan labelingInterval, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var mappingOptions = OasstEventMapper.Recent(corpus, DateTimeOffset.UtcNow, ReplayWindow, ReplayQuiet);
        var mapped = OasstEventMapper.Map(corpus, mappingOptions);
        var app = mappingOptions.AppId;
        AnsiConsole.MarkupLine($"[grey]{corpus.Messages.Count:N0} messages in {corpus.Trees:N0} trees -> {mapped.Events.Count:N0} events (corpus time compressed {mappingOptions.TimeCompression:F2}x into the last {ReplayWindow.TotalDays:F0} days)[/]");

        var rejectedByReason = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var client = new FeedbackStreamClient(new FeedbackStreamClientOptions
        {
            Endpoint = gateway,
            ApiKey = apiKey,
            AppId = app,
            MaxBatchEvents = 500,
            FlushInterval = TimeSpan.FromMilliseconds(100),
            MaxBufferedEvents = 50_000,
            BufferFullMode = BufferFullMode.Wait,
            OnRejected = r =>
            {
                var reason = r.Errors.Count > 0 ? $"{r.Errors[0].Path}: {r.Errors[0].Reason}" : $"{r.Kind} {r.StatusCode}";
                rejectedByReason.AddOrUpdate(reason.Length <= 90 ? reason : reason[..87] + "...", 1, (_, n) => n + 1);
            },
        });
        FeedbackStreamStatistics stats;
        try
        {
            foreach (var e in mapped.Events)
            {
                await client.EnqueueAsync(e, cancellationToken);
            }

            await client.FlushAsync(cancellationToken);
        }
        finally
        {
            await client.DisposeAsync();
            stats = client.Statistics;
        }

        AnsiConsole.MarkupLine($"[grey]sent {mapped.Events.Count:N0}: {stats.Accepted:N0} accepted, {stats.Duplicates:N0} duplicates, {stats.Rejected:N0} rejected, {stats.Failed:N0} failed[/]");
        long? stored = null, labelled = null, loved = null;
        IReadOnlyList<Tally> pairs = [], decisions = [];
        if (clickHouse is not null)
        {
            var parameters = new { app };

            // Every event the gateway took (now or in an earlier replay: duplicates) is in events_raw ...
            var expected = stats.Accepted + stats.Duplicates;
            stored = await PollAsync(clickHouse, "SELECT uniqExact(event_id) FROM events_raw WHERE app_id = {app:String} AND startsWith(event_id, 'oasst:')",
                parameters, n => n >= expected, TimeSpan.FromMilliseconds(200), cancellationToken);

            // ... and every served response that reached it has its label.
            var served = await ScalarAsync(clickHouse, "SELECT count() FROM events_raw FINAL WHERE app_id = {app:String} AND type = 'response.served'", parameters, cancellationToken);
            labelled = await PollAsync(clickHouse, "SELECT count() FROM response_labels FINAL WHERE app_id = {app:String}", parameters, n => n >= served, TimeSpan.FromMilliseconds(500), cancellationToken);

            // Pairs are written after the labels of the same pass: wait until their count holds over a few passes.
            long previous = -1, steady = 0;
            while (steady < 3)
            {
                await Task.Delay(labelingInterval, cancellationToken);
                var count = await ScalarAsync(clickHouse, "SELECT count() FROM preference_pairs FINAL WHERE app_id = {app:String}", parameters, cancellationToken);
                steady = count == previous ? steady + 1 : 0;
                previous = count;
            }

            loved = await ScalarAsync(clickHouse, "SELECT countIf(love) FROM response_labels FINAL WHERE app_id = {app:String}", parameters, cancellationToken);
            pairs = await CountsAsync(clickHouse, "SELECT source AS name, toInt64(count()) AS count FROM preference_pairs FINAL WHERE app_id = {app:String} GROUP BY source ORDER BY count DESC, name", parameters, cancellationToken);
            decisions = await CountsAsync(clickHouse,
                "SELECT concat(rule, ' ', action) AS name, toInt64(count()) AS count FROM signal_decisions FINAL WHERE app_id = {app:String} AND rule != 'kept' GROUP BY rule, action ORDER BY count DESC, name", parameters, cancellationToken);
        }

        return new ReplaySummary(
            Path.GetFullPath(path),
            targetName,
            database,
            corpus.Messages.Count,
            corpus.Trees,
            corpus.DuplicateMessages,
            corpus.ConflictingDuplicates,
            mapped.Stats,
            Stats.Round(mappingOptions.TimeCompression),
            mapped.Events.Count,
            stats.Accepted,
            stats.Duplicates,
            stats.Rejected,
            stats.Failed + stats.Dropped,
            rejectedByReason.OrderByDescending(p => p.Value).Select(p => new Tally(p.Key, p.Value)).ToList(),
            stored,
            labelled,
            loved,
            pairs,
            decisions,
            Stats.Round(watch.Elapsed.TotalSeconds));
    }

    private static async Task<long> PollAsync(ClickHouseClient client, string sql, object parameters, Func<long, bool> done, TimeSpan every, CancellationToken cancellationToken)
    {
        while (true)
        {
            var value = await ScalarAsync(client, sql, parameters, cancellationToken);
            if (done(value))
            {
                return value;
            }

            await Task.Delay(every, cancellationToken);
        }
    }

    private static async Task<long> ScalarAsync(ClickHouseClient client, string sql, object parameters, CancellationToken cancellationToken) =>
        await client.ValueAsync<long>(sql, parameters, cancellationToken);

    private static Task<List<Tally>> CountsAsync(ClickHouseClient client, string sql, object parameters, CancellationToken cancellationToken) =>
        client.RowsAsync<Tally>(sql, parameters, cancellationToken);

    private static void PrintReplay(ReplaySummary s)
    {
        var table = new Table().Title("oasst replay").AddColumns("", "");
        table.AddRow("messages (trees)", $"{s.Messages:N0} ({s.Trees:N0})");
        table.AddRow("repeated messages in the file (differing copies)", $"{s.DuplicateMessages:N0} ({s.ConflictingDuplicates:N0})");
        table.AddRow("  [grey]responses served / loves / dislikes / reports / follow-ups[/]",
            $"{s.Mapping.Responses:N0} / {s.Mapping.Loves:N0} / {s.Mapping.Dislikes:N0} / {s.Mapping.Reports:N0} / {s.Mapping.Followups:N0}");
        table.AddRow("  [grey]replies skipped (no prompt in the file) / emojis not mapped[/]", $"{s.Mapping.SkippedReplies:N0} / {s.Mapping.IgnoredEmojis:N0}");
        table.AddRow("events sent", $"{s.EventsSent:N0}");
        table.AddRow("accepted / duplicates", $"{s.Accepted:N0} / {s.Duplicates:N0}");
        table.AddRow("rejected / failed", $"{s.Rejected:N0} / {s.Failed:N0}");
        foreach (var (reason, count) in s.RejectedByReason)
        {
            table.AddRow($"  [grey]{Markup.Escape(reason)}[/]", $"{count:N0}");
        }

        table.AddRow("oasst events in ClickHouse (events_raw)", s.EventsInClickhouse is { } n ? $"{n:N0}" : "-");
        table.AddRow("responses labelled (response_labels)", s.ResponsesLabelled is { } l ? $"{l:N0} ({s.LovedResponses:N0} loved)" : "-");
        foreach (var (source, count) in s.PairsBySource)
        {
            table.AddRow($"  [grey]pairs: {Markup.Escape(source)}[/]", $"{count:N0}");
        }

        foreach (var (rule, count) in s.DecisionsByRule)
        {
            table.AddRow($"  [grey]denoising: {Markup.Escape(rule)}[/]", $"{count:N0}");
        }

        table.AddRow("target", Markup.Escape($"{s.Target}, database {s.Database}"));
        table.AddRow("elapsed", $"{s.ElapsedSeconds} s");
        AnsiConsole.Write(table);
    }

    private static void PrintEval(EvalOutput o)
    {
        AnsiConsole.MarkupLine(Markup.Escape(
            $"repeated messages in the file: {o.DuplicateMessages:N0} ({o.ConflictingDuplicates:N0} differing from their first copy; the first copy is used)"));
        AnsiConsole.MarkupLine(
            $"{o.Messages:N0} messages, {o.Trees:N0} trees -> {o.Events:N0} events ({o.Mapping.Responses:N0} responses, {o.Mapping.Loves:N0} love, {o.Mapping.Dislikes:N0} dislike, {o.Mapping.Reports:N0} report, {o.Mapping.Followups:N0} follow-ups); {o.RankedSiblingPairs:N0} ranked sibling pairs");
        var table = new Table().AddColumns("judge", "agree", "disagree", "ties", "decided", "agreement", "coverage");
        void Row(string name, RankAgreement a) => table.AddRow(
            Markup.Escape(name), $"{a.Agree:N0}", $"{a.Disagree:N0}", $"{a.Ties:N0}", $"{a.Decided:N0}",
            a.Agreement.ToString("P1", CultureInfo.InvariantCulture), a.Coverage.ToString("P1", CultureInfo.InvariantCulture));
        Row(o.Baseline.Judge, o.Baseline);
        foreach (var v in new[] { o.Product, o.DenoisingOff })
        {
            Row($"{v.Name}: {v.MinedPairs.Judge}", v.MinedPairs);
            Row($"{v.Name}: {v.LabelScores.Judge}", v.LabelScores);
            Row($"{v.Name}: {v.Judge.Judge}", v.Judge);
        }

        AnsiConsole.Write(table);
        foreach (var v in new[] { o.Product, o.DenoisingOff })
        {
            AnsiConsole.MarkupLine(Markup.Escape(
                $"{v.Name}: {v.Labels:N0} labels ({v.LabelsWithSignal:N0} with a counted signal); follow-ups {Join(v.FollowupPolarity)}; pairs {Join(v.PairsBySource)}; dropped {Join(v.DroppedByRule)}; reweighted {Join(v.ReweightedByRule)}"));
        }

        foreach (var v in new[] { o.Product, o.DenoisingOff })
        {
            PrintCurves(v.Name, v.Curves);
        }

        var ct = o.CurveTarget;
        AnsiConsole.MarkupLine(Markup.Escape(
            $"curve target (product defaults): at or above net votes at every coverage {(ct.AtOrAboveEverywhere ? "yes" : "no")}, area gain {ct.AreaGain:F4} (>= {ct.MinAreaGain:F2}): {(ct.Met ? "met" : "not met")}"));

        var t = o.Target;
        AnsiConsole.MarkupLine(Markup.Escape(
            $"target: agreement >= {t.Agreement:P0} on >= {t.MinDecided:N0} decided pairs: mined pairs {(t.MetByMinedPairs ? "met" : "not met")}, label scores {(t.MetByLabelScores ? "met" : "not met")}"));
        AnsiConsole.MarkupLine("[grey]agreement = agree / decided; coverage = decided / ranked sibling pairs. Ranks are the yardstick only: never an input.[/]");
    }

    private static void PrintCurves(string name, CurveComparison c)
    {
        static string F(Estimate e) => Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{e.Value:F3} [{e.Low:F3}, {e.High:F3}]"));
        var table = new Table().Title(Markup.Escape($"{name}: agreement by coverage, same {c.Pairs:N0} pairs, 95 % intervals over {c.Groups:N0} trees ({c.Resamples:N0} resamples, seed {c.Seed})"))
            .AddColumns("coverage", Markup.Escape(c.First.Judge), Markup.Escape(c.Second.Judge), "difference");
        for (var i = 0; i < c.First.Coverages.Count; i++)
        {
            table.AddRow(c.First.Coverages[i].ToString("P0", CultureInfo.InvariantCulture), F(c.First.Agreement[i]), F(c.Second.Agreement[i]), F(c.AgreementDifference[i]));
        }

        var span = string.Create(CultureInfo.InvariantCulture, $"area {c.First.Coverages[0]:P0}-{c.First.Coverages[^1]:P0}");
        table.AddRow(Markup.Escape(span), F(c.First.Area), F(c.Second.Area), F(c.AreaDifference));
        AnsiConsole.Write(table);
    }

    private static string Join(IReadOnlyList<Tally> tallies) => tallies.Count == 0 ? "none" : string.Join(", ", tallies.Select(t => $"{t.Name} {t.Count:N0}"));
}
