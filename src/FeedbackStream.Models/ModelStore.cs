using System.Globalization;
using ClickHouse.Driver;
using FeedbackStream.Storage;
using FeedbackStream.Storage.Labels;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;
using FeedbackStream.Training;

namespace FeedbackStream.Models;

/// <summary>What a run read: the rows and the window they pin.</summary>
public sealed record TrainingSet(
    IReadOnlyList<LoveExample> Examples,
    IReadOnlyList<PairExample> Pairs,
    DateTime PinnedAt,
    DateTime SettleWatermark,
    DateTimeOffset CalibrationFrom,
    DateTimeOffset TestFrom,
    long LabelsInWindow,
    double NegativeSampleRate);

/// <summary>A registered model version (a row of <c>model_runs</c> joined with the registry's view of it).</summary>
public sealed record ModelVersionInfo(string Version, string Status, DateTime FinishedAt, string Trigger, double Auc, double Ece, double PearsonLength, string DataHash, string Sha256, bool IsChampion, string GateReason);

/// <summary>A promotion or rollback.</summary>
public sealed record RegistryEvent(string Action, string Version, string PreviousVersion, string Reason, string Actor, DateTime At);

/// <summary>One <c>model_runs</c> row as written.</summary>
public sealed record ModelRunRow(
    string RunId, string ModelName, string Version, string Trigger, string Status, DateTime StartedAt, DateTime FinishedAt,
    string Learner, string Denoising, DateTime PinnedAt, DateTime SettleWatermark,
    Training.Evaluation.TrainingReport? Report, bool GatePassed, string GateReason, string Error, string ArtifactSha256, string ReportJson, string ReportHtml);

/// <summary>
/// ClickHouse side of P[Love]: reads the training set (labels and pairs, pinned to an instant, the training part sampled
/// when large), writes runs, artifacts and registry events, and answers which version is the champion.
/// </summary>
public sealed class ModelStore(ClickHouseClient client, string modelName = ModelStore.DefaultModelName)
{
    public const string DefaultModelName = "plove";

    private static readonly string[] RunColumns =
    [
        "run_id", "model_name", "version", "trigger", "status", "started_at", "finished_at", "learner", "denoising", "pinned_at", "settle_watermark",
        "served_from", "served_to", "calibration_from", "test_from", "train_rows", "calibration_rows", "test_rows", "positives", "pairs", "data_hash",
        "auc", "log_loss", "ece", "pearson_length", "base_rate", "mean_prediction", "pairwise_accuracy", "pairwise_model_accuracy",
        "offline_online_correlation", "champion_version", "champion_auc", "champion_ece", "gate_passed", "gate_reason", "error", "artifact_sha256",
        "report_json", "report_html",
    ];

    public string ModelName => modelName;

    /// <summary>
    /// Reads labels computed at or before <paramref name="pinnedAt"/>. The newest (1 - <paramref name="calibrationFrom"/>)
    /// share of rows by served time (calibration and test slices) is read whole; the older training part is read whole
    /// when everything fits in <paramref name="maximumRows"/>, else with every Love and an id-hashed sample of the rest
    /// (weighted up by the inverse rate). Pairs whose both responses were read come along (newest first, capped).
    /// </summary>
    public async Task<TrainingSet> ReadTrainingSetAsync(DateTime pinnedAt, int maximumRows, int maximumPairs, double calibrationFrom, double testFrom, CancellationToken cancellationToken)
    {
        var slice = (await client.RowsAsync<SliceRecord>(
            """
            SELECT count() AS total, quantileExact({cal:Float64})(served_at) AS calibration_start, quantileExact({test:Float64})(served_at) AS test_start
            FROM response_labels FINAL WHERE computed_at <= parseDateTime64BestEffort({pinned:String}, 3, 'UTC')
            """, new { pinned = Text(pinnedAt), cal = calibrationFrom, test = testFrom }, cancellationToken)).Single();
        var (total, calibrationStart, testStart) = ((long)slice.Total, Utc(slice.CalibrationStart), Utc(slice.TestStart));
        var counts = (await client.RowsAsync<CountsRecord>(
            """
            SELECT countIf(served_at < parseDateTime64BestEffort({calfrom:String}, 3, 'UTC') AND love) AS train_positives,
                   countIf(served_at < parseDateTime64BestEffort({calfrom:String}, 3, 'UTC') AND NOT love) AS train_negatives,
                   countIf(served_at >= parseDateTime64BestEffort({calfrom:String}, 3, 'UTC')) AS later
            FROM response_labels FINAL WHERE computed_at <= parseDateTime64BestEffort({pinned:String}, 3, 'UTC')
            """, new { pinned = Text(pinnedAt), calfrom = Text(calibrationStart) }, cancellationToken)).Single();
        var (trainPositives, trainNegatives, later) = ((long)counts.TrainPositives, (long)counts.TrainNegatives, (long)counts.Later);

        var rate = total <= maximumRows || trainNegatives == 0 ? 1.0 : Math.Clamp((maximumRows - later - trainPositives) / (double)trainNegatives, 0.01, 1.0);
        var examples = new List<LoveExample>();
        var byResponse = new Dictionary<string, LoveExample>(StringComparer.Ordinal);
        var rows = await client.RowsAsync<ExampleRecord>(
            """
            SELECT label_id, response_id, app_id, user_id, model_version, surface, prompt_text, response_text, turn_index, latency_ms, served_at, love, love_weight,
                   served_at < parseDateTime64BestEffort({calfrom:String}, 3, 'UTC') AND NOT love AS sampled
            FROM response_labels FINAL
            WHERE computed_at <= parseDateTime64BestEffort({pinned:String}, 3, 'UTC')
              AND (love OR served_at >= parseDateTime64BestEffort({calfrom:String}, 3, 'UTC') OR cityHash64(label_id) % 1000000 < {rate:UInt64})
            """, new { pinned = Text(pinnedAt), calfrom = Text(calibrationStart), rate = (ulong)Math.Round(rate * 1_000_000) }, cancellationToken);
        foreach (var row in rows)
        {
            var weight = row.Love ? Math.Max(0.05, row.LoveWeight) : 1.0;
            if (row.Sampled)
            {
                weight /= rate;
            }

            var example = new LoveExample(
                row.LabelId, row.AppId, row.UserId, row.ModelVersion, row.Surface, row.PromptText, row.ResponseText, (int)row.TurnIndex, row.LatencyMs,
                new DateTimeOffset(Utc(row.ServedAt)), row.Love, weight);
            examples.Add(example);
            byResponse[row.ResponseId] = example;
        }

        var pairs = new List<PairExample>();
        var pairRows = await client.RowsAsync<PairRecord>(
            """
            SELECT pair_id, chosen_response_id, rejected_response_id, mined_at FROM preference_pairs FINAL
            WHERE mined_at <= parseDateTime64BestEffort({pinned:String}, 3, 'UTC') AND source != 'edit'
            ORDER BY mined_at DESC LIMIT {pairs:Int32}
            """, new { pinned = Text(pinnedAt), pairs = maximumPairs }, cancellationToken);
        foreach (var row in pairRows)
        {
            if (byResponse.TryGetValue(row.ChosenResponseId, out var chosen) && byResponse.TryGetValue(row.RejectedResponseId, out var rejected))
            {
                pairs.Add(new PairExample(row.PairId, chosen, rejected, new DateTimeOffset(Utc(row.MinedAt))));
            }
        }

        var watermark = await new LabelRepository(client).LabelledThroughAsync(cancellationToken);
        return new TrainingSet(
            examples, pairs, pinnedAt, watermark ?? DateTime.UnixEpoch,
            new DateTimeOffset(calibrationStart), new DateTimeOffset(testStart), total, rate);
    }

    /// <summary>Labels computed after <paramref name="since"/> (for the "enough new labels" trigger).</summary>
    public async Task<long> LabelsComputedSinceAsync(DateTime since, CancellationToken cancellationToken) =>
        (long)await client.ValueAsync<ulong>(
            "SELECT count() FROM response_labels FINAL WHERE computed_at > parseDateTime64BestEffort({since:String}, 3, 'UTC')", new { since = Text(since) }, cancellationToken);

    public Task WriteRunAsync(ModelRunRow run, CancellationToken cancellationToken)
    {
        var r = run.Report;
        var m = r?.Metrics;
        var w = r?.Window;
        object?[] row =
        [
            run.RunId, run.ModelName, run.Version, run.Trigger, run.Status, run.StartedAt, run.FinishedAt, run.Learner, run.Denoising, run.PinnedAt, run.SettleWatermark,
            w?.From.UtcDateTime ?? DateTime.UnixEpoch, w?.To.UtcDateTime ?? DateTime.UnixEpoch, w?.CalibrationFrom.UtcDateTime ?? DateTime.UnixEpoch, w?.TestFrom.UtcDateTime ?? DateTime.UnixEpoch,
            (uint)(w?.TrainRows ?? 0), (uint)(w?.CalibrationRows ?? 0), (uint)(w?.TestRows ?? 0), (uint)(w?.Positives ?? 0), (uint)(w?.Pairs ?? 0), w?.DataHash ?? "",
            Finite(m?.Auc), Finite(m?.LogLoss), Finite(m?.Ece), Finite(m?.PearsonLength), Finite(m?.BaseRate), Finite(m?.MeanPrediction), Finite(m?.PairwiseAccuracy),
            Finite(r?.PairwiseModelAccuracy), r?.OfflineOnlineCorrelation, r?.ChampionVersion ?? "", r?.Champion?.Auc, r?.Champion?.Ece,
            run.GatePassed, run.GateReason, run.Error, run.ArtifactSha256, run.ReportJson, run.ReportHtml,
        ];
        return client.InsertBinaryAsync("model_runs", RunColumns, [row!], null, cancellationToken);
    }

    public Task SaveArtifactAsync(string version, byte[] content, string sha256, CancellationToken cancellationToken) =>
        client.InsertBinaryAsync(
            "model_artifacts", ["version", "model_name", "sha256", "size_bytes", "created_at", "content"],
            [[version, modelName, sha256, (ulong)content.Length, DateTime.UtcNow, Convert.ToBase64String(content)]], null, cancellationToken);

    /// <summary>The artifact of <paramref name="version"/>, checked against its recorded SHA-256; null when absent.</summary>
    public async Task<byte[]?> LoadArtifactAsync(string version, CancellationToken cancellationToken)
    {
        var rows = await client.RowsAsync<ArtifactRecord>("SELECT sha256, content FROM model_artifacts FINAL WHERE version = {version:String}", new { version }, cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        var bytes = Convert.FromBase64String(rows[0].Content);
        var actual = Training.Model.LoveModel.Hash(bytes);
        return actual == rows[0].Sha256 ? bytes : throw new InvalidDataException($"Model {version}: content hash {actual} does not match the registered {rows[0].Sha256}.");
    }

    public Task RecordEventAsync(string action, string version, string previous, string reason, string actor, CancellationToken cancellationToken) =>
        client.InsertBinaryAsync(
            "model_registry_events", ["event_id", "model_name", "action", "version", "previous_version", "reason", "actor", "at"],
            [[Guid.NewGuid().ToString("N"), modelName, action, version, previous, reason, actor, DateTime.UtcNow]], null, cancellationToken);

    /// <summary>The champion: the version of the newest promotion or rollback; null before the first.</summary>
    public async Task<string?> ChampionAsync(CancellationToken cancellationToken) =>
        await client.ValueAsync<string>(
            "SELECT argMax(version, at) FROM model_registry_events FINAL WHERE model_name = {model:String} HAVING count() > 0", new { model = modelName }, cancellationToken) is { Length: > 0 } version
            ? version
            : null;

    public async Task<List<RegistryEvent>> HistoryAsync(CancellationToken cancellationToken) =>
        [.. (await client.RowsAsync<RegistryEventRecord>(
                "SELECT action, version, previous_version, reason, actor, at FROM model_registry_events FINAL WHERE model_name = {model:String} ORDER BY at",
                new { model = modelName }, cancellationToken))
            .Select(r => new RegistryEvent(r.Action, r.Version, r.PreviousVersion, r.Reason, r.Actor, Utc(r.At)))];

    /// <summary>Every run that produced a version, newest first, with the champion marked.</summary>
    public async Task<List<ModelVersionInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var champion = await ChampionAsync(cancellationToken);
        var rows = await client.RowsAsync<VersionRecord>(
            """
            SELECT version, status, finished_at, trigger, auc, ece, pearson_length, data_hash, artifact_sha256, gate_reason
            FROM model_runs FINAL WHERE model_name = {model:String} AND version != '' ORDER BY finished_at DESC
            """, new { model = modelName }, cancellationToken);
        return [.. rows.Select(r => new ModelVersionInfo(
            r.Version, r.Status, Utc(r.FinishedAt), r.Trigger, r.Auc, r.Ece, r.PearsonLength, r.DataHash, r.ArtifactSha256, r.Version == champion, r.GateReason))];
    }

    /// <summary>When the newest run that produced a model started reading (for "new labels since the last model").</summary>
    public async Task<DateTime?> LastPinnedAtAsync(CancellationToken cancellationToken) =>
        (await client.RowsAsync<DateTime>(
            "SELECT max(pinned_at) FROM model_runs FINAL WHERE model_name = {model:String} AND version != '' HAVING count() > 0", new { model = modelName }, cancellationToken))
        is [var at] ? Utc(at) : null;

    /// <summary>Writes the ensemble margins of a run's pairs (a later run replaces them).</summary>
    public async Task WritePairMarginsAsync(string version, IReadOnlyList<Training.Evaluation.PairMargin> margins, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        foreach (var chunk in margins.Chunk(50_000))
        {
            await client.InsertBinaryAsync(
                "pair_margins", ["pair_id", "model_version", "margin_mean", "margin_spread", "models", "computed_at"],
                chunk.Select(m => new object[] { m.PairId, version, m.Mean, m.Spread, (byte)m.Models, now }), null, cancellationToken);
        }
    }

    /// <summary>The HTML report of the run that produced <paramref name="version"/>, or null.</summary>
    public async Task<string?> ReportHtmlAsync(string version, CancellationToken cancellationToken) =>
        (await client.RowsAsync<string>("SELECT any(report_html) FROM model_runs FINAL WHERE version = {version:String} HAVING count() > 0", new { version }, cancellationToken))
        is [var html] ? html : null;

    private static double Finite(double? value) => value is { } v && double.IsFinite(v) ? v : double.NaN;

    private static string Text(DateTime at) => at.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private sealed class SliceRecord
    {
        public ulong Total { get; set; }

        public DateTime CalibrationStart { get; set; }

        public DateTime TestStart { get; set; }
    }

    private sealed class CountsRecord
    {
        public ulong TrainPositives { get; set; }

        public ulong TrainNegatives { get; set; }

        public ulong Later { get; set; }
    }

    private sealed class ExampleRecord
    {
        public string LabelId { get; set; } = "";

        public string ResponseId { get; set; } = "";

        public string AppId { get; set; } = "";

        public string UserId { get; set; } = "";

        public string ModelVersion { get; set; } = "";

        public string Surface { get; set; } = "";

        public string PromptText { get; set; } = "";

        public string ResponseText { get; set; } = "";

        public uint TurnIndex { get; set; }

        public double LatencyMs { get; set; }

        public DateTime ServedAt { get; set; }

        public bool Love { get; set; }

        public double LoveWeight { get; set; }

        public bool Sampled { get; set; }
    }

    private sealed class PairRecord
    {
        public string PairId { get; set; } = "";

        public string ChosenResponseId { get; set; } = "";

        public string RejectedResponseId { get; set; } = "";

        public DateTime MinedAt { get; set; }
    }

    private sealed class ArtifactRecord
    {
        public string Sha256 { get; set; } = "";

        public string Content { get; set; } = "";
    }

    private sealed class RegistryEventRecord
    {
        public string Action { get; set; } = "";

        public string Version { get; set; } = "";

        public string PreviousVersion { get; set; } = "";

        public string Reason { get; set; } = "";

        public string Actor { get; set; } = "";

        public DateTime At { get; set; }
    }

    private sealed class VersionRecord
    {
        public string Version { get; set; } = "";

        public string Status { get; set; } = "";

        public DateTime FinishedAt { get; set; }

        public string Trigger { get; set; } = "";

        public double Auc { get; set; }

        public double Ece { get; set; }

        public double PearsonLength { get; set; }

        public string DataHash { get; set; } = "";

        public string ArtifactSha256 { get; set; } = "";

        public string GateReason { get; set; } = "";
    }
}
