using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FeedbackStream.Hosting;
using FeedbackStream.Models;
using FeedbackStream.Storage;
using FeedbackStream.Training;
using FeedbackStream.Training.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace FeedbackStream.Cli;

/// <summary><c>feedbackstream train</c>, <c>models list|promote|rollback|report</c> and <c>score</c>: P[Love] from the command line.</summary>
internal static class ModelCommands
{
    public const string AdminKeyVariable = "FEEDBACKSTREAM_ADMIN_KEY";

    public sealed record TrainOutput(string RunId, string Status, string? Version, string? PreviousChampion, string? Gate, double? Auc, double? Ece, double? PearsonLength, double? ChampionAuc, int? TrainRows, int? TestRows, string? DataHash, string? Error, string? Report, double Seconds);

    public static Command CreateTrain()
    {
        var learner = new Option<LoveLearner?>("--learner") { Description = "Learner of the model (Models:Learner; default LightGbm)." };
        var denoising = new Option<TrainingDenoising?>("--denoising") { Description = "Training-time denoising: None, Rce, Tce (Models:Denoising; default None)." };
        var noCompare = new Option<bool>("--no-compare") { Description = "Skip the report's comparison learners (faster)." };
        var trigger = new Option<string>("--trigger") { Description = "Recorded as the run's trigger (e.g. cron, k8s).", DefaultValueFactory = _ => "cli" };
        var report = new Option<FileInfo?>("--report") { Description = "Also write the HTML report here." };
        var json = new Option<bool>("--json") { Description = "Print the outcome as one JSON object on the last line." };
        var command = new Command("train", "Train P[Love] once on the labels in ClickHouse, evaluate it on the later slice, and promote it if the gate passes (for cron or a Kubernetes CronJob).")
        {
            learner, denoising, noCompare, trigger, report, json,
        };
        var settings = DataSettings.AddTo(command);
        command.Description += " Reads the same configuration chain as serve (the Models section: gate, window, learner).";
        command.SetAction((parse, cancellationToken) => settings.RunAsync(parse, async (target, configuration) =>
        {
            var client = target.Client;
            var options = ModelsOptions.Read(configuration);
            options.Learner = parse.GetValue(learner) ?? options.Learner;
            options.Denoising = parse.GetValue(denoising) ?? options.Denoising;
            options.CompareLearners &= !parse.GetValue(noCompare);
            TrainingResult result;
            // Progress goes to standard error, and the logger is flushed before the outcome is printed: with --json the
            // last line of standard output must be the JSON object.
            using (var logging = LoggerFactory.Create(b => b
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddSimpleConsole(o => o.SingleLine = true)
                .SetMinimumLevel(LogLevel.Information)))
            {
                var service = new TrainingService(new ModelStore(client, options.ModelName), options, TimeProvider.System, logging.CreateLogger<TrainingService>());
                result = await service.RunAsync(parse.GetValue(trigger)!, cancellationToken);
            }

            if (parse.GetValue(report) is { } file && result.ReportHtml is not null)
            {
                await File.WriteAllTextAsync(file.FullName, result.ReportHtml, cancellationToken);
            }

            Print(result);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(ToOutput(result, parse.GetValue(report)?.FullName));
            }

            return result.Status == "failed" ? 3 : 0;
        }, cancellationToken));
        return command;
    }

    public static TrainOutput ToOutput(TrainingResult r, string? report) =>
        new(r.RunId, r.Status, r.Version, r.PreviousChampion, r.Gate?.Reason, r.Report?.Metrics.Auc, r.Report?.Metrics.Ece, r.Report?.Metrics.PearsonLength, r.Report?.Champion?.Auc,
            r.Report?.Window.TrainRows, r.Report?.Window.TestRows, r.Report?.Window.DataHash, r.Error, report, Math.Round(r.Seconds, 2));

    public static void Print(TrainingResult result)
    {
        var table = new Table().AddColumns("run", "value");
        table.AddRow("status", result.Status);
        table.AddRow("version", result.Version ?? "-");
        table.AddRow("gate", Markup.Escape(result.Gate?.Reason ?? result.Error ?? "-"));
        if (result.Report is { } r)
        {
            table.AddRow("AUC (later slice)", F(r.Metrics.Auc));
            table.AddRow("calibration error", F(r.Metrics.Ece));
            table.AddRow("Pearson(score, length)", F(r.Metrics.PearsonLength));
            table.AddRow("pairwise accuracy / pairwise model", $"{F(r.Metrics.PairwiseAccuracy)} / {F(r.PairwiseModelAccuracy)} on {r.HeldOutPairs:N0} pairs");
            table.AddRow("champion AUC on the same slice", r.Champion is { } c ? $"{F(c.Auc)} ({Markup.Escape(r.ChampionVersion ?? "")})" : "none");
            table.AddRow("rows train / calibration / test", $"{r.Window.TrainRows:N0} / {r.Window.CalibrationRows:N0} / {r.Window.TestRows:N0}");
        }

        table.AddRow("seconds", result.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
    }

    public static Command CreateModels()
    {
        var models = new Command("models", "The P[Love] model registry: list versions, promote one, roll back, write a run's report, ask a gateway to retrain.");
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };

        var list = new Command("list", "Model versions, newest first, with their metrics and the champion marked.") { json };
        var listSettings = DataSettings.AddTo(list);
        list.SetAction((parse, ct) => listSettings.RunAsync(parse, async (target, configuration) =>
        {
            var store = Store(target, configuration);
            var versions = await store.ListAsync(ct);
            var table = new Table().AddColumns("version", "status", "champion", "AUC", "ECE", "finished", "trigger");
            foreach (var v in versions)
            {
                table.AddRow(v.Version, v.Status, v.IsChampion ? "yes" : "", F(v.Auc), F(v.Ece), v.FinishedAt.ToString("u", CultureInfo.InvariantCulture), v.Trigger);
            }

            AnsiConsole.Write(table);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new { Champion = versions.FirstOrDefault(v => v.IsChampion)?.Version, Versions = versions });
            }

            return 0;
        }, ct));

        var version = new Argument<string>("version") { Description = "The model version." };
        var reason = new Option<string>("--reason") { Description = "Why (recorded with the event).", DefaultValueFactory = _ => "manual" };
        var promote = new Command("promote", "Make a registered version the champion (bypasses the gate; recorded with its reason).") { version, reason, json };
        var promoteSettings = DataSettings.AddTo(promote);
        promote.SetAction((parse, ct) => promoteSettings.RunAsync(parse, async (target, configuration) =>
        {
            var store = Store(target, configuration);
            var wanted = parse.GetValue(version)!;
            if (await store.LoadArtifactAsync(wanted, ct) is null)
            {
                await Console.Error.WriteLineAsync($"No model version '{wanted}' in model_artifacts (see: feedbackstream models list).");
                return 2;
            }

            var previous = await store.ChampionAsync(ct) ?? "";
            await store.RecordEventAsync("promote", wanted, previous, parse.GetValue(reason)!, Environment.UserName, ct);
            Console.WriteLine($"champion: {wanted} (was {(previous.Length == 0 ? "none" : previous)})");
            await AnnounceAsync(configuration, new ModelPromoted(store.ModelName, wanted, previous, "", "promote"), ct);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new { Champion = wanted, Previous = previous });
            }

            return 0;
        }, ct));

        var to = new Option<string?>("--to") { Description = "Version to roll back to (default: the champion before the current one)." };
        var rollback = new Command("rollback", "Make the previous champion (or --to) the champion again.") { to, reason, json };
        var rollbackSettings = DataSettings.AddTo(rollback);
        rollback.SetAction((parse, ct) => rollbackSettings.RunAsync(parse, async (target, configuration) =>
        {
            var store = Store(target, configuration);
            var current = await store.ChampionAsync(ct);
            var history = await store.HistoryAsync(ct);
            var wanted = parse.GetValue(to) ?? history.LastOrDefault(e => e.Version == current)?.PreviousVersion;
            if (string.IsNullOrEmpty(wanted))
            {
                await Console.Error.WriteLineAsync("Nothing to roll back to: there was no champion before the current one (use --to <version>).");
                return 2;
            }

            if (await store.LoadArtifactAsync(wanted, ct) is null)
            {
                await Console.Error.WriteLineAsync($"No model version '{wanted}' in model_artifacts.");
                return 2;
            }

            await store.RecordEventAsync("rollback", wanted, current ?? "", parse.GetValue(reason)!, Environment.UserName, ct);
            Console.WriteLine($"champion: {wanted} (rolled back from {current})");
            await AnnounceAsync(configuration, new ModelPromoted(store.ModelName, wanted, current ?? "", "", "rollback"), ct);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new { Champion = wanted, Previous = current });
            }

            return 0;
        }, ct));

        var output = new Option<FileInfo>("--out") { Description = "HTML file to write.", Required = true };
        var reportCommand = new Command("report", "Write the HTML report of the run that produced a version.") { version, output };
        var reportCommandSettings = DataSettings.AddTo(reportCommand);
        reportCommand.SetAction((parse, ct) => reportCommandSettings.RunAsync(parse, async (target, configuration) =>
        {
            var store = Store(target, configuration);
            var html = await store.ReportHtmlAsync(parse.GetValue(version)!, ct);
            if (html is null)
            {
                await Console.Error.WriteLineAsync($"No run produced version '{parse.GetValue(version)}'.");
                return 2;
            }

            await File.WriteAllTextAsync(parse.GetValue(output)!.FullName, html, ct);
            Console.WriteLine(parse.GetValue(output)!.FullName);

            return 0;
        }, ct));

        var gateway = new Option<string>("--gateway") { Description = "Base address of a running gateway process.", DefaultValueFactory = _ => "http://127.0.0.1:8080/" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the job finished and print its outcome." };
        var retrain = new Command("retrain", $"Ask a running gateway to retrain now (the retraining job, POST /v1/admin/retrain); the admin key comes from ${AdminKeyVariable}.") { gateway, wait, json };
        retrain.SetAction(async (parse, ct) =>
        {
            var key = Environment.GetEnvironmentVariable(AdminKeyVariable);
            if (string.IsNullOrEmpty(key))
            {
                await Console.Error.WriteLineAsync($"Set {AdminKeyVariable} to an admin key (Models:AdminKeys).");
                return 2;
            }

            if (!Uri.TryCreate(parse.GetValue(gateway), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            {
                await Console.Error.WriteLineAsync($"--gateway: '{parse.GetValue(gateway)}' is not an http(s) address.");
                return 2;
            }

            using var http = new HttpClient { BaseAddress = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/") };
            http.DefaultRequestHeaders.Add("X-Api-Key", key);
            using var submitted = await http.PostAsync("v1/admin/retrain", null, ct);
            var body = await submitted.Content.ReadAsStringAsync(ct);
            if (submitted.StatusCode != System.Net.HttpStatusCode.Accepted)
            {
                await Console.Error.WriteLineAsync($"{(int)submitted.StatusCode} {submitted.StatusCode}: {body}");
                return 1;
            }

            var job = JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString()!;
            Console.WriteLine($"job {job} submitted");
            var state = "submitted";
            JsonElement status = default;
            while (parse.GetValue(wait) && !ct.IsCancellationRequested)
            {
                await Task.Delay(1000, ct);
                status = JsonDocument.Parse(await http.GetStringAsync($"v1/admin/jobs/{job}", ct)).RootElement.Clone();
                state = status.GetProperty("state").GetString() ?? "unknown";
                if (RetrainJobState.IsTerminal(state))
                {
                    Console.WriteLine($"job {job}: {state} {status}");
                    break;
                }
            }

            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new { JobId = job, State = state, Status = status.ValueKind == JsonValueKind.Undefined ? null : (JsonElement?)status });
            }

            return state is RetrainJobState.Failed or RetrainJobState.Canceled ? 1 : 0;
        });

        models.Subcommands.Add(retrain);
        models.Subcommands.Add(list);
        models.Subcommands.Add(promote);
        models.Subcommands.Add(rollback);
        models.Subcommands.Add(reportCommand);
        return models;
    }

    public static Command CreateScore()
    {
        var input = new Option<FileInfo>("--input") { Description = "JSONL, one item per line: context, response, and optionally app_id, surface, model_version, turn_index, latency_ms, served_at.", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "JSONL to write (each input line plus p_love and model_version); default standard output." };
        var command = new Command("score", "Score a file of (context, response) items with the champion P[Love] model.") { input, output };
        var commandSettings = DataSettings.AddTo(command);
        command.SetAction((parse, ct) => commandSettings.RunAsync(parse, async (target, configuration) =>
        {
            var store = Store(target, configuration);
            var champion = await store.ChampionAsync(ct);
            if (champion is null || await store.LoadArtifactAsync(champion, ct) is not { } bytes)
            {
                await Console.Error.WriteLineAsync("No P[Love] model has been promoted yet (feedbackstream train).");
                return 2;
            }

            var model = LoveModel.FromBytes(bytes);
            await using var sink = parse.GetValue(output) is { } file ? file.Create() : Console.OpenStandardOutput();
            await using var writer = new StreamWriter(sink);
            var lineNumber = 0;
            var batch = new List<(JsonElement Line, LoveExample Example)>();
            foreach (var line in File.ReadLines(parse.GetValue(input)!.FullName))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                ScoreItem? item;
                JsonElement element;
                try
                {
                    element = JsonSerializer.Deserialize<JsonElement>(line);
                    item = element.Deserialize<ScoreItem>(JsonOutput.Options);
                }
                catch (JsonException e)
                {
                    await Console.Error.WriteLineAsync($"line {lineNumber}: not JSON ({e.Message}); skipped.");
                    continue;
                }

                if (item?.Response is not { Length: > 0 })
                {
                    await Console.Error.WriteLineAsync($"line {lineNumber}: $.response is required (a non-empty string); skipped.");
                    continue;
                }

                batch.Add((element, new LoveExample(string.Empty, item.AppId ?? "", "", item.ModelVersion ?? "", item.Surface ?? "", item.Context ?? "", item.Response, item.TurnIndex ?? 0, item.LatencyMs ?? 0, item.ServedAt ?? DateTimeOffset.UtcNow, false)));
                if (batch.Count == 10_000)
                {
                    await FlushAsync(writer, model, champion, batch);
                }
            }

            await FlushAsync(writer, model, champion, batch);

            return 0;
        }, ct));
        return command;
    }

    private static async Task FlushAsync(StreamWriter writer, LoveModel model, string version, List<(JsonElement Line, LoveExample Example)> batch)
    {
        var scores = model.Score(batch.Select(b => b.Example).ToList());
        for (var i = 0; i < batch.Count; i++)
        {
            var fields = batch[i].Line.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
            fields["p_love"] = Math.Round(scores[i], 6);
            fields["model_version"] = version;
            await writer.WriteLineAsync(JsonSerializer.Serialize(fields));
        }

        batch.Clear();
    }

    /// <summary>The model registry of the configured ClickHouse, under <c>Models:ModelName</c>.</summary>
    private static ModelStore Store(ClickHouseTarget target, IConfiguration configuration) =>
        new(target.Client, configuration[$"{ModelsOptions.SectionName}:{nameof(ModelsOptions.ModelName)}"] is { Length: > 0 } name ? name : ModelStore.DefaultModelName);

    private static string F(double value) => double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>
    /// Tells the scorers on the broker (the <c>Messaging</c> section of the same configuration chain as <c>serve</c>) that
    /// the champion changed; without a broker they find it by their registry poll.
    /// </summary>
    private static async Task AnnounceAsync(IConfiguration configuration, ModelPromoted promoted, CancellationToken cancellationToken)
    {
        var messaging = MessagingOptions.Read(configuration);
        if (await ControlPlane.AnnounceAsync(messaging, promoted, cancellationToken))
        {
            Console.WriteLine($"announced on the broker {messaging.RabbitMqHost}:{messaging.RabbitMqPort}: scorers reload now");
        }
    }
}
