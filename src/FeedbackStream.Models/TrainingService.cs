using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FeedbackStream.Training.Evaluation;
using FeedbackStream.Training.Model;
using FeedbackStream.Training.Report;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Models;

/// <summary>What one run did.</summary>
public sealed record TrainingResult(
    string RunId,
    string Status,
    string? Version,
    string? PreviousChampion,
    GateDecision? Gate,
    TrainingReport? Report,
    string? Error,
    string? ReportHtml,
    double Seconds);

/// <summary>
/// One retraining run end to end: pin the data window, read labels and pairs, train and measure (the champion on the
/// same test slice), gate, store the artifact, promote when the gate passes, and record everything in
/// <c>model_runs</c>. Used by the scheduled job, the admin endpoint and <c>feedbackstream train</c>.
/// </summary>
public sealed class TrainingService(ModelStore store, ModelsOptions options, TimeProvider time, ILogger<TrainingService> log)
{
    private static readonly JsonSerializerOptions ReportJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public ModelStore Store => store;

    public async Task<TrainingResult> RunAsync(string trigger, CancellationToken cancellationToken, DateTime? pinnedAt = null, string? runId = null)
    {
        runId ??= Guid.NewGuid().ToString("N");
        var started = time.GetUtcNow().UtcDateTime;
        var pinned = pinnedAt ?? started;
        var clock = Stopwatch.StartNew();
        var runOptions = options.ToRunOptions();
        await store.WriteRunAsync(Row(runId, "", trigger, "running", started, started, pinned, DateTime.UnixEpoch, null, false, "", "", "", "", ""), cancellationToken);
        TrainingSet? data = null;
        try
        {
            data = await store.ReadTrainingSetAsync(pinned, options.MaximumRows, options.MaximumPairs, options.CalibrationFrom, options.TestFrom, cancellationToken);
            Log.DataRead(log, runId, data.Examples.Count, data.Pairs.Count, pinned, Math.Round(data.NegativeSampleRate, 4));
            if (data.Examples.Count < options.MinimumLabels)
            {
                throw new InsufficientDataException($"{data.Examples.Count} labels computed by {pinned:o}; a run needs at least {options.MinimumLabels} (Models:MinimumLabels).");
            }

            var championVersion = await store.ChampionAsync(cancellationToken);
            LoveModel? champion = null;
            if (championVersion is not null && await store.LoadArtifactAsync(championVersion, cancellationToken) is { } bytes)
            {
                champion = LoveModel.FromBytes(bytes);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var timed = runOptions with
            {
                CalibrationFromTime = data.CalibrationFrom,
                TestFromTime = data.TestFrom,
                Log = line => Models.Log.Progress(log, runId, line),
            };
            var outcome = await Task.Run(() => TrainingRun.Run(data.Examples, data.Pairs, timed, champion, championVersion, cancellationToken), cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            var gate = PromotionGate.Decide(outcome.Report.Metrics, outcome.Report.Champion, options.ToGateOptions());
            TrainingMetrics.GateDecided(gate.Promote);
            var artifact = outcome.Model.ToBytes();
            var sha = LoveModel.Hash(artifact);
            var version = string.Create(CultureInfo.InvariantCulture, $"{store.ModelName}-{started:yyyyMMdd-HHmmss}-{sha[..8]}");
            await store.SaveArtifactAsync(version, artifact, sha, cancellationToken);
            await store.WritePairMarginsAsync(version, outcome.PairMargins, cancellationToken);
            var html = HtmlReport.Render(outcome.Report, $"{store.ModelName} run {runId}", version, gate.Reason);
            var json = JsonSerializer.Serialize(outcome.Report, ReportJson);
            // The run row first, then the promotion: whoever sees the new champion also finds the run that made it.
            var status = gate.Promote ? "promoted" : "refused";
            await store.WriteRunAsync(Row(runId, version, trigger, status, started, time.GetUtcNow().UtcDateTime, pinned, data.SettleWatermark, outcome.Report, gate.Promote, gate.Reason, "", sha, json, html), cancellationToken);
            if (gate.Promote)
            {
                await store.RecordEventAsync("promote", version, championVersion ?? "", gate.Reason, "gate:" + trigger, cancellationToken);
            }
            Log.Decided(log, runId, version, gate.Reason);
            TrainingMetrics.RunFinished(status, clock.Elapsed.TotalSeconds);
            return new TrainingResult(runId, status, version, championVersion, gate, outcome.Report, null, html, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e)
        {
            var status = e is OperationCanceledException && cancellationToken.IsCancellationRequested ? "canceled" : "failed";
            Log.RunFailed(log, e, runId, status, e.Message);
            TrainingMetrics.RunFinished(status, clock.Elapsed.TotalSeconds);
            await store.WriteRunAsync(Row(runId, "", trigger, status, started, time.GetUtcNow().UtcDateTime, pinned, data?.SettleWatermark ?? DateTime.UnixEpoch, null, false, "", e.Message, "", "", ""), CancellationToken.None);
            if (e is InsufficientDataException)
            {
                return new TrainingResult(runId, status, null, null, null, null, e.Message, null, clock.Elapsed.TotalSeconds);
            }

            throw;
        }
    }

    private ModelRunRow Row(string runId, string version, string trigger, string status, DateTime started, DateTime finished, DateTime pinned, DateTime watermark, TrainingReport? report, bool passed, string reason, string error, string sha, string json, string html) =>
        new(runId, store.ModelName, version, trigger, status, started, finished, report?.Learner ?? options.Learner.ToString(), options.Denoising.ToString(), pinned, watermark, report, passed, reason, error, sha, json, html);
}
