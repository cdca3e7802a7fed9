using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using FeedbackStream.Training.Metrics;
using FeedbackStream.Training.Model;

namespace FeedbackStream.Training.Evaluation;

/// <summary>Settings of a training run: the model, the chronological slices and what the report compares.</summary>
public sealed record TrainingRunOptions
{
    public LoveModelOptions Model { get; init; } = new();

    /// <summary>Share of the rows (oldest first) before the calibration slice starts.</summary>
    public double CalibrationFrom { get; init; } = 0.7;

    /// <summary>Share of the rows (oldest first) before the test slice starts; the newest rows are the test slice.</summary>
    public double TestFrom { get; init; } = 0.8;

    /// <summary>When set (with <see cref="TestFromTime"/>), the slices are cut at these served times instead of by row shares (the store does this when it sampled the training part).</summary>
    public DateTimeOffset? CalibrationFromTime { get; init; }

    public DateTimeOffset? TestFromTime { get; init; }

    /// <summary>Also train FastTree, SDCA logistic regression and a training-time-denoised LightGBM for the report.</summary>
    public bool Compare { get; init; } = true;

    /// <summary>The comparison models train on an evenly spaced sample of at most this many training rows (all of them on the same rows).</summary>
    public int CompareRows { get; init; } = 60_000;

    /// <summary>Rows the phrase tripwire reads to choose its phrases (training rows) and to measure their rates (all rows): evenly spaced samples.</summary>
    public int TripwireRows { get; init; } = 100_000;

    public int TripwirePhrases { get; init; } = 8;

    /// <summary>Share of the pairs (newest by mined time) held out to measure pairwise accuracy.</summary>
    public double PairTestShare { get; init; } = 0.2;

    public int ReliabilityBins { get; init; } = 10;

    /// <summary>Receives progress lines (phase and elapsed time); null for silence.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// A pair's preference strength under the run's ensemble of scorers (Secrets of RLHF II): the mean and the spread of
/// P[Love](chosen) - P[Love](rejected) over the models. A negative mean marks a pair the scorers disagree with.
/// </summary>
public sealed record PairMargin(string PairId, double Mean, double Spread, int Models);

/// <summary>A trained model with its report, the test slice it was measured on, and the ensemble margins of the pairs.</summary>
public sealed record TrainingOutcome(LoveModel Model, TrainingReport Report, IReadOnlyList<LoveExample> Test, double[] TestScores, IReadOnlyList<PairMargin> PairMargins);

/// <summary>
/// One honest training run: sort by served time, train on the oldest rows, calibrate on the next slice, measure on the
/// newest slice only; compare learners on the same rows; train and measure the pairwise model on pairs split by time;
/// measure the current champion (when given) on the same test slice so the gate compares like with like.
/// </summary>
public static class TrainingRun
{
    public static TrainingOutcome Run(
        IReadOnlyList<LoveExample> examples,
        IReadOnlyList<PairExample> pairs,
        TrainingRunOptions? options = null,
        LoveModel? champion = null,
        string? championVersion = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(pairs);
        options ??= new TrainingRunOptions();
        if (!(options.CalibrationFrom > 0 && options.CalibrationFrom < options.TestFrom && options.TestFrom < 1))
        {
            throw new ArgumentException($"Slices must satisfy 0 < calibration_from ({options.CalibrationFrom}) < test_from ({options.TestFrom}) < 1.", nameof(options));
        }

        var ordered = examples.OrderBy(e => e.ServedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        var calibrationStart = options.CalibrationFromTime is { } calibrationTime
            ? ordered.FindIndex(e => e.ServedAt >= calibrationTime) is var c and >= 0 ? c : ordered.Count
            : (int)(ordered.Count * options.CalibrationFrom);
        var testStart = options.TestFromTime is { } testTime
            ? ordered.FindIndex(e => e.ServedAt >= testTime) is var t and >= 0 ? t : ordered.Count
            : (int)(ordered.Count * options.TestFrom);
        var train = ordered[..calibrationStart];
        var calibration = ordered[calibrationStart..testStart];
        var test = ordered[testStart..];
        foreach (var (name, slice) in new[] { ("training", train), ("calibration", calibration), ("test", test) })
        {
            if (!slice.Any(e => e.Love) || slice.All(e => e.Love))
            {
                throw new InsufficientDataException($"The {name} slice has {slice.Count(e => e.Love)} loved of {slice.Count} responses; it needs both loved and not-loved responses.");
            }
        }

        var clock = Stopwatch.StartNew();
        var model = LoveModel.Train(train, calibration, options.Model, options.Log, cancellationToken);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var scores = model.Score(test);
        var orderedPairs = pairs.OrderBy(p => p.MinedAt).ThenBy(p => p.PairId, StringComparer.Ordinal).ToList();
        var pairTestStart = (int)(orderedPairs.Count * (1 - options.PairTestShare));
        var trainPairs = orderedPairs[..pairTestStart];
        var testPairs = orderedPairs[pairTestStart..];
        var metrics = Measure(model, test, scores, testPairs);
        var evaluateSeconds = clock.Elapsed.TotalSeconds;

        var labels = test.Select(e => e.Love).ToList();
        var versionRows = Enumerable.Range(0, test.Count)
            .GroupBy(i => test[i].ModelVersion, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new VersionAgreement(g.Key, g.Count(), Math.Round(g.Count(i => test[i].Love) / (double)g.Count(), 5), Math.Round(g.Average(i => scores[i]), 5)))
            .ToList();

        double? agreement = versionRows.Count >= 3
            ? Round(BinaryMetrics.Pearson(versionRows.Select(v => v.MeanScore).ToList(), versionRows.Select(v => v.ObservedLoveRate).ToList()))
            : null;

        options.Log?.Invoke($"measured at {clock.Elapsed.TotalSeconds:F1} s");
        cancellationToken.ThrowIfCancellationRequested();
        var tripwire = PhraseTripwire.Rates(PhraseTripwire.TopPhrases(Sampling.Evenly(train, options.TripwireRows), options.TripwirePhrases), Sampling.Evenly(ordered, options.TripwireRows));

        options.Log?.Invoke($"tripwire at {clock.Elapsed.TotalSeconds:F1} s");
        double pairwiseAccuracy = double.NaN;
        if (trainPairs.Count >= 20 && testPairs.Count > 0)
        {
            pairwiseAccuracy = Round(PairwiseModel.Train(trainPairs, model.Featurizer, options.Model).Accuracy(testPairs));
        }

        options.Log?.Invoke($"pairwise model at {clock.Elapsed.TotalSeconds:F1} s");
        cancellationToken.ThrowIfCancellationRequested();
        var (comparisons, ensemble) = options.Compare ? Compare(train, calibration, test, options, cancellationToken) : ([], []);
        var margins = Margins(pairs, [model, .. ensemble]);
        ModelMetrics? championMetrics = null;
        if (champion is not null)
        {
            championMetrics = Measure(champion, test, champion.Score(test), testPairs);
        }

        var window = new DataWindow(
            ordered[0].ServedAt, ordered[^1].ServedAt, calibration[0].ServedAt, test[0].ServedAt,
            train.Count, calibration.Count, test.Count, ordered.Count(e => e.Love), pairs.Count, DataHash(ordered));
        var report = new TrainingReport(
            model.Manifest.Learner, options.Model.Denoising.ToString(), window, metrics,
            BinaryMetrics.Reliability(scores, labels, options.ReliabilityBins), Histogram(scores, labels),
            versionRows, agreement, tripwire, comparisons, pairwiseAccuracy, testPairs.Count,
            Math.Round(trainSeconds, 2), Math.Round(evaluateSeconds, 2), championMetrics, championVersion);
        return new TrainingOutcome(model, report, test, scores, margins);
    }

    /// <summary>Ensemble margins of every pair: the run's model plus the comparison models (when trained).</summary>
    internal static List<PairMargin> Margins(IReadOnlyList<PairExample> pairs, IReadOnlyList<LoveModel> models)
    {
        if (pairs.Count == 0 || models.Count == 0)
        {
            return [];
        }

        var chosen = pairs.Select(p => p.Chosen).ToList();
        var rejected = pairs.Select(p => p.Rejected).ToList();
        var differences = models.Select(m => m.Score(chosen).Zip(m.Score(rejected), (c, r) => c - r).ToArray()).ToList();
        return Enumerable.Range(0, pairs.Count).Select(i =>
        {
            var values = differences.Select(d => d[i]).ToList();
            var mean = values.Average();
            var spread = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
            return new PairMargin(pairs[i].PairId, Math.Round(mean, 6), Math.Round(spread, 6), values.Count);
        }).ToList();
    }

    /// <summary>The headline metrics of <paramref name="model"/>'s <paramref name="scores"/> on <paramref name="test"/>.</summary>
    public static ModelMetrics Measure(LoveModel model, IReadOnlyList<LoveExample> test, double[] scores, IReadOnlyList<PairExample> testPairs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(testPairs);
        var labels = test.Select(e => e.Love).ToList();
        var pointwisePairs = double.NaN;
        if (testPairs.Count > 0)
        {
            var chosen = model.Score(testPairs.Select(p => p.Chosen).ToList());
            var rejected = model.Score(testPairs.Select(p => p.Rejected).ToList());
            pointwisePairs = BinaryMetrics.PairwiseAccuracy(chosen.Zip(rejected).ToList());
        }

        return new ModelMetrics(
            Round(BinaryMetrics.Auc(scores, labels)),
            Round(BinaryMetrics.LogLoss(scores, labels)),
            Round(BinaryMetrics.ExpectedCalibrationError(scores, labels)),
            Round(BinaryMetrics.Pearson(scores, test.Select(e => (double)e.Response.Length).ToList())),
            Round(labels.Count(l => l) / (double)labels.Count),
            Round(scores.Average()),
            Round(pointwisePairs));
    }

    private static (List<LearnerComparison> Rows, List<LoveModel> Models) Compare(List<LoveExample> train, List<LoveExample> calibration, List<LoveExample> test, TrainingRunOptions options, CancellationToken cancellationToken)
    {
        var sample = Sampling.Evenly(train, options.CompareRows);
        var labels = test.Select(e => e.Love).ToList();
        var denoising = options.Model.Denoising == TrainingDenoising.None ? TrainingDenoising.Rce : options.Model.Denoising;
        var variants = new[]
        {
            options.Model with { Learner = LoveLearner.LightGbm, Denoising = TrainingDenoising.None },
            options.Model with { Learner = LoveLearner.FastTree, Denoising = TrainingDenoising.None },
            options.Model with { Learner = LoveLearner.SdcaLogistic, Denoising = TrainingDenoising.None },
            options.Model with { Learner = LoveLearner.Linear, Denoising = TrainingDenoising.None },
            options.Model with { Learner = LoveLearner.LightGbm, Denoising = denoising },
        };
        var rows = new List<LearnerComparison>();
        var models = new List<LoveModel>();
        foreach (var variant in variants)
        {
            var clock = Stopwatch.StartNew();
            var model = LoveModel.Train(sample, calibration, variant, cancellationToken: cancellationToken);
            models.Add(model);
            var scores = model.Score(test);
            rows.Add(new LearnerComparison(
                variant.Learner.ToString(), variant.Denoising.ToString(), sample.Count,
                Round(BinaryMetrics.Auc(scores, labels)), Round(BinaryMetrics.LogLoss(scores, labels)),
                Round(BinaryMetrics.ExpectedCalibrationError(scores, labels)), Math.Round(clock.Elapsed.TotalSeconds, 2)));
        }

        return (rows, models);
    }

    private static ScoreHistogram Histogram(double[] scores, List<bool> labels)
    {
        const int Bins = 20;
        var top = Math.Max(0.05, Math.Ceiling(scores.DefaultIfEmpty(0).Max() * 20) / 20);
        var edges = Enumerable.Range(0, Bins + 1).Select(i => Math.Round(top * i / Bins, 4)).ToList();
        var loved = new int[Bins];
        var other = new int[Bins];
        for (var i = 0; i < scores.Length; i++)
        {
            var bin = Math.Min(Bins - 1, (int)(scores[i] / top * Bins));
            (labels[i] ? loved : other)[bin]++;
        }

        return new ScoreHistogram(edges, loved, other);
    }

    /// <summary>SHA-256 over every row's id, label and weight, in order: two runs on the same data window have the same hash.</summary>
    internal static string DataHash(IEnumerable<LoveExample> ordered)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var builder = new StringBuilder();
        foreach (var e in ordered)
        {
            builder.Clear().Append(e.Id).Append('\t').Append(e.Love ? '1' : '0').Append('\t').Append(e.Weight.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            hash.AppendData(Encoding.UTF8.GetBytes(builder.ToString()));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static double Round(double value) => double.IsNaN(value) ? double.NaN : Math.Round(value, 5);
}

/// <summary>The data cannot support a training run (e.g. a slice without any Love).</summary>
public sealed class InsufficientDataException(string message) : Exception(message);
