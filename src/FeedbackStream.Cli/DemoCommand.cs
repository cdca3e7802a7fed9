using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using FeedbackStream.Auth;
using FeedbackStream.Client;
using FeedbackStream.Gateway;
using FeedbackStream.Hosting;
using FeedbackStream.Mining;
using FeedbackStream.Models;
using FeedbackStream.Simulator;
using FeedbackStream.Storage;
using FeedbackStream.Storage.Labels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace FeedbackStream.Cli;

/// <summary>
/// <c>feedbackstream demo</c>: the whole flow in one process on the embedded default. Starts the Kafka cluster host,
/// the ClickHouse engine, the gateway and the pipeline; simulated apps send a realistic stream over HTTP through
/// the client SDK (with retries of the same events and invalid events on purpose); waits until every accepted event
/// is queryable; prints what happened.
/// </summary>
internal static class DemoCommand
{
    public const string DefaultDataPath = ".feedbackstream/demo";

    /// <summary>The simulated conversations happened in the last minutes: a short settle window lets the demo show labels.</summary>
    private static readonly TimeSpan DemoSettleWindow = TimeSpan.FromSeconds(5);

    public sealed record Summary(
        string DataPath,
        string Database,
        long Sent,
        long Accepted,
        long Duplicates,
        long Rejected,
        IReadOnlyList<Tally> RejectedByReason,
        ulong ClickhouseRows,
        ulong DistinctEventIds,
        ulong DeadLetters,
        bool ExactlyOnce,
        double IngestSeconds,
        double IngestEventsPerSec,
        double FreshnessP50Ms,
        double FreshnessP99Ms,
        ulong ResponsesLabelled,
        ulong LovedResponses,
        ulong LabelViolations,
        IReadOnlyList<Tally> PairsBySource,
        IReadOnlyList<Tally> DecisionsByRule,
        ModelSummary? Model,
        double ElapsedSeconds);

    /// <summary>The first P[Love] model the demo trained through the retraining job, and what /v1/score answered with it.</summary>
    public sealed record ModelSummary(
        string JobState,
        string? RunStatus,
        string? Version,
        string? Gate,
        double Auc,
        double Ece,
        double PearsonLength,
        double PairwiseAccuracy,
        double PairwiseModelAccuracy,
        int TrainRows,
        int TestRows,
        double TrainSeconds,
        string? ScoredWithVersion,
        IReadOnlyList<double> SampleScores,
        string? ReportPath);

    public sealed record Tally(string Name, long Count);

    private sealed class TallyRow
    {
        public string Name { get; set; } = "";

        public ulong Count { get; set; }
    }

    private sealed class FreshnessRow
    {
        public double P50 { get; set; }

        public double P99 { get; set; }
    }

    public static Command Create()
    {
        var events = new Option<int>("--events") { Description = "Valid events the simulated apps send.", DefaultValueFactory = _ => 100_000 };
        var users = new Option<int>("--users") { Description = "Simulated users.", DefaultValueFactory = _ => 3_000 };
        var data = new Option<string>("--data") { Description = "Folder for the demo's data (recreated at every run).", DefaultValueFactory = _ => DefaultDataPath };
        var seed = new Option<int>("--seed") { Description = "Random seed of the simulation.", DefaultValueFactory = _ => 20261126 };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long.", DefaultValueFactory = _ => TimeSpan.FromMinutes(10) };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object on the last line." };
        var command = new Command("demo", "Run the whole flow on the embedded default: simulated apps -> gateway -> Kafka -> pipeline -> ClickHouse.")
        {
            events, users, data, seed, timeout, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(parse.GetValue(timeout));
            var options = new SimulationOptions { Events = parse.GetValue(events), Users = parse.GetValue(users), Seed = parse.GetValue(seed) };
            Summary summary;
            try
            {
                summary = await RunAsync(options, parse.GetValue(data)!, deadline.Token, stageTimeout: parse.GetValue(timeout) / 3);
            }
            catch (DemoStageException e)
            {
                await Console.Error.WriteLineAsync($"demo failed: {e.Message}");
                return 2;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"demo failed: the whole run did not finish within --timeout {parse.GetValue(timeout)}.");
                return 2;
            }

            Print(summary);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(summary);
            }

            return summary.ExactlyOnce && summary.LabelViolations == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>A stage of the demo did not finish in time; the message says which, what is missing and why.</summary>
    public sealed class DemoStageException(string message) : Exception(message);

    public static async Task<Summary> RunAsync(
        SimulationOptions simulation, string dataPath, CancellationToken cancellationToken, string database = ClickHouseOptions.DefaultDatabase, bool wipe = true, TimeSpan? stageTimeout = null)
    {
        var stageLimit = stageTimeout ?? TimeSpan.FromMinutes(3);
        var total = Stopwatch.StartNew();
        var fullPath = Path.GetFullPath(dataPath);
        if (wipe && Directory.Exists(fullPath))
        {
            Directory.Delete(fullPath, recursive: true);
        }

        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var settings = new Dictionary<string, string?>(FeedbackHost.Defaults)
        {
            ["Gateway:Urls"] = "http://127.0.0.1:0",
            ["Gateway:ApiKeys:0:Name"] = "demo",
            ["Gateway:ApiKeys:0:Sha256"] = ApiKeyRing.Hash(apiKey),
            ["ClickHouse:DataPath"] = fullPath,
            ["ClickHouse:Database"] = database,
            ["Kafka:TopicPartitions"] = "24",
            ["Mining:SettleWindow"] = DemoSettleWindow.ToString("c", CultureInfo.InvariantCulture),
            ["Labeling:Interval"] = "00:00:01",
            // The demo starts the first retraining itself (through the job); no schedule or label-count trigger.
            ["Models:Schedule"] = "off",
            ["Models:NewLabelsTrigger"] = "0",
            ["Logging:LogLevel:Default"] = "Error",
            ["Logging:LogLevel:FeedbackStream"] = "Warning",
        };
        for (var i = 0; i < simulation.Apps.Count; i++)
        {
            settings[$"Gateway:ApiKeys:0:Apps:{i}"] = simulation.Apps[i];
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        AnsiConsole.MarkupLine($"[grey]starting Kafka (mock cluster, 3 brokers), ClickHouse (chDB, data in {Markup.Escape(fullPath)}), gateway and pipeline[/]");
        await using var host = await FeedbackHost.StartAsync(configuration, HostRoles.All, cancellationToken);
        using var clickHouse = host.CreateClickHouseClient();

        var rejectedByReason = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        void OnRejected(FeedbackRejection rejection)
        {
            var reason = rejection.Errors.Count > 0 ? $"{rejection.Errors[0].Path}: {rejection.Errors[0].Reason}" : $"{rejection.Kind} {rejection.StatusCode}";
            rejectedByReason.AddOrUpdate(Shorten(reason), 1, (_, n) => n + 1);
        }

        var clients = simulation.Apps.ToDictionary(app => app, app => new FeedbackStreamClient(new FeedbackStreamClientOptions
        {
            Endpoint = host.GatewayAddress,
            ApiKey = apiKey,
            AppId = app,
            MaxBatchEvents = 1000,
            FlushInterval = TimeSpan.FromMilliseconds(100),
            MaxBufferedEvents = 200_000,
            BufferFullMode = BufferFullMode.Wait,
            OnRejected = OnRejected,
        }));
        using var raw = new HttpClient { BaseAddress = host.GatewayAddress };
        long sent = 0;
        long invalidSent = 0;
        long invalidRejected = 0;
        var ingest = Stopwatch.StartNew();
        try
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var sending = progress.AddTask("simulated apps sending", maxValue: simulation.Events);
                    var queryable = progress.AddTask("queryable in ClickHouse", maxValue: simulation.Events);
                    var invalidBatch = new List<SimulatedItem>();
                    var watchProgress = Task.Run(async () =>
                    {
                        while (!cancellationToken.IsCancellationRequested && queryable.Value < simulation.Events)
                        {
                            queryable.Value = host.Pipeline!.Written;
                            await Task.Delay(200, cancellationToken);
                        }
                    }, cancellationToken);

                    foreach (var item in TrafficSimulator.Generate(simulation, DateTimeOffset.UtcNow.AddMinutes(-15)))
                    {
                        if (item.Event is { } e)
                        {
                            await clients[e.AppId].EnqueueAsync(e, cancellationToken);
                            sent++;
                            if (!item.IsDuplicate)
                            {
                                sending.Increment(1);
                            }
                        }
                        else
                        {
                            invalidBatch.Add(item);
                            if (invalidBatch.Count == 50)
                            {
                                invalidRejected += await SendRawAsync(raw, apiKey, invalidBatch, rejectedByReason, cancellationToken);
                                invalidSent += invalidBatch.Count;
                                invalidBatch.Clear();
                            }
                        }
                    }

                    if (invalidBatch.Count > 0)
                    {
                        invalidRejected += await SendRawAsync(raw, apiKey, invalidBatch, rejectedByReason, cancellationToken);
                        invalidSent += invalidBatch.Count;
                    }

                    await Task.WhenAll(clients.Values.Select(c => c.FlushAsync(cancellationToken)));
                    ingest.Stop();
                    sending.Value = simulation.Events;

                    // Wait until every accepted event is in ClickHouse.
                    var accepted = clients.Values.Sum(c => c.Statistics.Accepted);
                    var storing = Stopwatch.StartNew();
                    while (true)
                    {
                        var distinct = (long)await ScalarAsync(clickHouse, "SELECT uniqExact(event_id) FROM events_raw", cancellationToken);
                        queryable.Value = distinct;
                        if (distinct >= accepted)
                        {
                            break;
                        }

                        if (storing.Elapsed > stageLimit)
                        {
                            var pipeline = host.Pipeline!;
                            throw new DemoStageException(
                                $"stage 'queryable in ClickHouse' stopped after {storing.Elapsed.TotalSeconds:F0} s: {distinct:N0} of {accepted:N0} accepted events are stored. " +
                                $"Pipeline: consumed {pipeline.Consumed:N0}, written {pipeline.Written:N0}, dead letters {pipeline.Rejected:N0}, paused {pipeline.Paused}, " +
                                $"last sink error: {pipeline.LastSinkError ?? "none"}.");
                        }

                        await Task.Delay(100, cancellationToken);
                    }

                    queryable.Value = simulation.Events;

                    // Wait until the labelling worker has labelled every served response.
                    var labelling = progress.AddTask("responses labelled, pairs mined", maxValue: 1);
                    var servedCount = (long)await ScalarAsync(clickHouse, "SELECT count() FROM events_raw FINAL WHERE type = 'response.served'", cancellationToken);
                    labelling.MaxValue = Math.Max(1, servedCount);
                    var labellingTime = Stopwatch.StartNew();
                    while (true)
                    {
                        var labelled = (long)await ScalarAsync(clickHouse, "SELECT count() FROM response_labels FINAL", cancellationToken);
                        labelling.Value = labelled;
                        if (labelled >= servedCount)
                        {
                            break;
                        }

                        if (labellingTime.Elapsed > stageLimit)
                        {
                            throw new DemoStageException(await UnlabelledReportAsync(host, clickHouse, labelled, servedCount, labellingTime.Elapsed, cancellationToken));
                        }

                        await Task.Delay(250, cancellationToken);
                    }

                    await watchProgress.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
                });
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                await client.DisposeAsync();
            }
        }

        var stats = clients.Values.Select(c => c.Statistics).ToList();
        var acceptedTotal = stats.Sum(s => s.Accepted);
        var rows = await ScalarAsync(clickHouse, "SELECT count() FROM events_raw FINAL", cancellationToken);
        var distinctIds = await ScalarAsync(clickHouse, "SELECT uniqExact(event_id) FROM events_raw", cancellationToken);
        var deadLetters = await ScalarAsync(clickHouse, "SELECT count() FROM events_rejected", cancellationToken);
        var freshness = (await clickHouse.RowsAsync<FreshnessRow>(
            "SELECT quantileExact(0.5)(d) AS p50, quantileExact(0.99)(d) AS p99 FROM (SELECT toFloat64(dateDiff('millisecond', received_at, ingested_at)) AS d FROM events_raw FINAL)",
            null, cancellationToken)).Single();
        var (p50, p99) = (freshness.P50, freshness.P99);
        var labelled = await ScalarAsync(clickHouse, "SELECT count() FROM response_labels FINAL", cancellationToken);
        var loved = await ScalarAsync(clickHouse, "SELECT countIf(love) FROM response_labels FINAL", cancellationToken);
        // The invariant at the settle horizon, with no grace: every response settled by now has its current label.
        var check = await new LabelInvariant(clickHouse).CheckAsync(new SettlePolicy(DemoSettleWindow, TimeSpan.Zero), DateTimeOffset.UtcNow, 5, cancellationToken);
        var pairsBySource = await CountsAsync(clickHouse, "SELECT source AS name, count() AS count FROM preference_pairs FINAL GROUP BY source ORDER BY count DESC", cancellationToken);
        var decisionsByRule = await CountsAsync(
            clickHouse, "SELECT concat(rule, ' ', action) AS name, count() AS count FROM signal_decisions FINAL WHERE rule != 'kept' GROUP BY rule, action ORDER BY count DESC", cancellationToken);
        var model = await TrainFirstModelAsync(host, apiKey, simulation.Apps[0], fullPath, cancellationToken);
        return new Summary(
            fullPath,
            host.Database,
            sent + invalidSent,
            acceptedTotal,
            stats.Sum(s => s.Duplicates),
            stats.Sum(s => s.Rejected) + invalidRejected,
            rejectedByReason.OrderByDescending(p => p.Value).Select(p => new Tally(p.Key, p.Value)).ToList(),
            rows,
            distinctIds,
            deadLetters,
            rows == (ulong)acceptedTotal && distinctIds == (ulong)acceptedTotal,
            Stats.Round(ingest.Elapsed.TotalSeconds),
            Math.Round((sent + invalidSent) / ingest.Elapsed.TotalSeconds),
            p50,
            p99,
            labelled,
            loved,
            check.Violations,
            pairsBySource,
            decisionsByRule,
            model,
            Stats.Round(total.Elapsed.TotalSeconds));
    }

    /// <summary>Which served responses are still unlabelled when the labelling stage timed out, and what the labeller says.</summary>
    private static async Task<string> UnlabelledReportAsync(FeedbackHost host, ClickHouse.Driver.ClickHouseClient clickHouse, long labelled, long served, TimeSpan waited, CancellationToken cancellationToken)
    {
        var missing = await new LabelInvariant(clickHouse).ViolationsAsync(DateTime.UtcNow - DemoSettleWindow, null, 5, cancellationToken);
        var status = host.Labeling;
        var examples = string.Join("; ", missing.Select(v => $"{v.Kind} {v.AppId}/{v.ConversationId}/{v.ResponseId} (partition {v.KafkaPartition}, last activity {v.LastActivity:O})"));
        return $"stage 'responses labelled, pairs mined' stopped after {waited.TotalSeconds:F0} s: {labelled:N0} of {served:N0} served responses are labelled. " +
               $"Settled but unlabelled, e.g.: {(examples.Length == 0 ? "none yet settled" : examples)}. " +
               (status is null
                   ? "No labeller runs in this process."
                   : $"Labeller: partitions [{string.Join(",", status.Partitions)}], records consumed {status.Records:N0}, pending conversations {status.Pending:N0}, " +
                     $"due but not yet stored by the pipeline {status.WaitingForPipeline:N0}, passes {status.Passes:N0}, last error: {status.LastError ?? "none"}.");
    }

    /// <summary>
    /// Submits the retraining job on the in-process bus (as the admin endpoint and the schedule do), waits for it, then
    /// asks POST /v1/score, which must answer with the promoted version (the scorer reloads on ModelPromoted).
    /// </summary>
    private static async Task<ModelSummary?> TrainFirstModelAsync(FeedbackHost host, string apiKey, string app, string dataPath, CancellationToken cancellationToken)
    {
        var jobs = host.Services.GetService<RetrainJobs>();
        if (jobs is null)
        {
            return null;
        }

        AnsiConsole.MarkupLine("[grey]training the first P[[Love]] model (retraining job on the in-process bus)[/]");
        var id = await jobs.SubmitAsync("demo", "demo", cancellationToken);
        RetrainJobStatus? status = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            status = await jobs.StatusAsync(id, cancellationToken);
            if (status is not null && RetrainJobState.IsTerminal(status.State))
            {
                break;
            }

            await Task.Delay(250, cancellationToken);
        }

        var result = jobs.Result(id);
        var report = result?.Report;
        string? reportPath = null;
        if (result?.ReportHtml is { } html)
        {
            reportPath = Path.Combine(dataPath, $"report-{result.Version}.html");
            await File.WriteAllTextAsync(reportPath, html, cancellationToken);
        }

        string? scoredWith = null;
        IReadOnlyList<double> sample = [];
        if (result?.Status == "promoted")
        {
            using var http = new HttpClient { BaseAddress = host.GatewayAddress };
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
            var request = new
            {
                items = new object[]
                {
                    new { context = "How do I reverse a list in Python?", response = "Use my_list.reverse() to reverse in place, or reversed(my_list) for an iterator. Happy to help!", app_id = app },
                    new { context = "How do I reverse a list in Python?", response = "No.", app_id = app },
                },
            };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                using var response = await http.PostAsJsonAsync("v1/score", request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    var scored = await response.Content.ReadFromJsonAsync<ScoreResponse>(cancellationToken);
                    scoredWith = scored?.ModelVersion;
                    sample = scored?.Scores.Select(s => s.PLove).ToList() ?? [];
                    if (scoredWith == result.Version)
                    {
                        break;
                    }
                }

                await Task.Delay(200, cancellationToken);
            }
        }

        return new ModelSummary(
            status?.State ?? "unknown", result?.Status, result?.Version, result?.Gate?.Reason ?? result?.Error,
            report?.Metrics.Auc ?? double.NaN, report?.Metrics.Ece ?? double.NaN, report?.Metrics.PearsonLength ?? double.NaN,
            report?.Metrics.PairwiseAccuracy ?? double.NaN, report?.PairwiseModelAccuracy ?? double.NaN,
            report?.Window.TrainRows ?? 0, report?.Window.TestRows ?? 0, Math.Round(result?.Seconds ?? 0, 2), scoredWith, sample, reportPath);
    }

    /// <summary>Sends invalid events as raw JSON (the SDK only builds valid ones) and counts the gateway's rejections by reason.</summary>
    private static async Task<long> SendRawAsync(HttpClient http, string apiKey, List<SimulatedItem> items, ConcurrentDictionary<string, long> byReason, CancellationToken cancellationToken)
    {
        var body = "[" + string.Join(",", items.Select(i => i.InvalidJson)) + "]";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        long rejected = 0;
        foreach (var result in document.RootElement.GetProperty("results").EnumerateArray())
        {
            if (result.GetProperty("status").GetString() != "rejected")
            {
                continue;
            }

            rejected++;
            var error = result.GetProperty("errors")[0];
            var path = error.GetProperty("path").GetString()!;
            var reason = $"$.{path[(path.IndexOf(']', StringComparison.Ordinal) + 2)..]}: {error.GetProperty("reason").GetString()}";
            byReason.AddOrUpdate(Shorten(reason), 1, (_, n) => n + 1);
        }

        return rejected;
    }

    /// <summary>Groups reasons by path and wording: the part of the reason before its first number (values differ per event).</summary>
    private static string Shorten(string reason)
    {
        var colon = reason.IndexOf(": ", StringComparison.Ordinal);
        var digit = colon < 0 ? -1 : reason.AsSpan(colon + 2).IndexOfAnyInRange('0', '9');
        var key = digit > 0 ? reason[..(colon + 2 + digit)].TrimEnd(' ', '(', '=') + " ..." : reason;
        return key.Length <= 90 ? key : key[..87] + "...";
    }

    private static async Task<List<Tally>> CountsAsync(ClickHouse.Driver.ClickHouseClient client, string sql, CancellationToken cancellationToken) =>
        [.. (await client.RowsAsync<TallyRow>(sql, null, cancellationToken)).Select(r => new Tally(r.Name, (long)r.Count))];

    private static async Task<ulong> ScalarAsync(ClickHouse.Driver.ClickHouseClient client, string sql, CancellationToken cancellationToken) =>
        await client.ValueAsync<ulong>(sql, null, cancellationToken);

    private static string F(double value) => double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "n/a";

    private static void Print(Summary s)
    {
        var table = new Table().Title("FeedbackStream demo").AddColumns("", "");
        table.AddRow("events sent (incl. retries and invalid)", $"{s.Sent:N0}");
        table.AddRow("accepted (Kafka-acknowledged)", $"{s.Accepted:N0}");
        table.AddRow("duplicates (retries recognised)", $"{s.Duplicates:N0}");
        table.AddRow("rejected", $"{s.Rejected:N0}");
        foreach (var (reason, count) in s.RejectedByReason)
        {
            table.AddRow($"  [grey]{Markup.Escape(reason)}[/]", $"{count:N0}");
        }

        table.AddRow("rows in ClickHouse (events_raw FINAL)", $"{s.ClickhouseRows:N0}");
        table.AddRow("distinct event ids in ClickHouse", $"{s.DistinctEventIds:N0}");
        table.AddRow("dead letters (events_rejected)", $"{s.DeadLetters:N0}");
        table.AddRow("every accepted event exactly once", s.ExactlyOnce ? "[green]yes[/]" : "[red]NO[/]");
        table.AddRow("ingest", $"{s.IngestEventsPerSec:N0} events/s over {s.IngestSeconds} s");
        table.AddRow("freshness (received -> queryable)", $"p50 {s.FreshnessP50Ms} ms, p99 {s.FreshnessP99Ms} ms");
        table.AddRow("responses labelled (response_labels)", $"{s.ResponsesLabelled:N0} ({s.LovedResponses:N0} loved)");
        table.AddRow("settled responses without a current label", s.LabelViolations == 0 ? "[green]0[/]" : $"[red]{s.LabelViolations:N0}[/]");
        foreach (var (source, count) in s.PairsBySource)
        {
            table.AddRow($"  [grey]pairs: {Markup.Escape(source)}[/]", $"{count:N0}");
        }

        foreach (var (rule, count) in s.DecisionsByRule)
        {
            table.AddRow($"  [grey]denoising: {Markup.Escape(rule)}[/]", $"{count:N0}");
        }

        if (s.Model is { } m)
        {
            table.AddRow(Markup.Escape("P[Love] model (retraining job)"), Markup.Escape($"{m.RunStatus ?? m.JobState}: {m.Version ?? "-"}"));
            table.AddRow("  [grey]AUC on the later slice / calibration error[/]", $"{F(m.Auc)} / {F(m.Ece)}");
            table.AddRow("  [grey]Pearson(score, length)[/]", F(m.PearsonLength));
            table.AddRow("  [grey]pairwise accuracy: P[[Love]] / pairwise model[/]", $"{F(m.PairwiseAccuracy)} / {F(m.PairwiseModelAccuracy)}");
            table.AddRow("  [grey]rows train / test, seconds[/]", $"{m.TrainRows:N0} / {m.TestRows:N0}, {m.TrainSeconds} s");
            table.AddRow("  [grey]POST /v1/score answered with[/]", Markup.Escape($"{m.ScoredWithVersion ?? "-"} ({string.Join(", ", m.SampleScores.Select(F))})"));
            table.AddRow("  [grey]report[/]", Markup.Escape(m.ReportPath ?? "-"));
        }

        table.AddRow("elapsed", $"{s.ElapsedSeconds} s");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Data stays in [bold]{Markup.Escape(s.DataPath)}[/] (database {s.Database}). Query it:");
        AnsiConsole.MarkupLine($"  ./feedbackstream sql --data {Markup.Escape(s.DataPath)} \"SELECT type, count() FROM {s.Database}.events_raw FINAL GROUP BY type\"");
    }
}
