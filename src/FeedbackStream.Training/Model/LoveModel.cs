using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FeedbackStream.Training.Metrics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace FeedbackStream.Training.Model;

/// <summary>What a saved model says about itself.</summary>
public sealed record LoveModelManifest(string Learner, string Denoising, int Seed, double CalibrationA, double CalibrationB, int TrainingRows, int FormatVersion = 1);

/// <summary>A row the ML.NET learner reads: the featurizer's vector, the label and the example weight.</summary>
public sealed class LoveVector
{
    public VBuffer<float> Features { get; set; }

    public bool Label { get; set; }

    public float Weight { get; set; } = 1f;

    internal static SchemaDefinition Schema(int dimension)
    {
        var definition = SchemaDefinition.Create(typeof(LoveVector));
        definition[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        return definition;
    }
}

/// <summary>The learner's probability (before our calibration).</summary>
public sealed class LoveOutput
{
    public float Probability { get; set; }
}

/// <summary>
/// A trained P[Love] model: <see cref="LoveFeaturizer"/> → an ML.NET learner (LightGBM by default) → Platt calibration
/// fitted on a held-out later slice with the natural base rate (which undoes the upsampling of positives and the
/// downsampling of negatives). Scores in batch (<see cref="Score"/>) or through a pool of prediction engines
/// (<see cref="ScoreWithEngine"/>, thread-safe). Saved as one zip: the ML.NET model, the featurizer's vocabulary and a manifest.
/// </summary>
public sealed class LoveModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly ConcurrentBag<PredictionEngine<LoveVector, LoveOutput>> _engines = [];

    private LoveModel(MLContext ml, ITransformer transformer, LoveFeaturizer featurizer, PlattCalibrator calibrator, LoveModelManifest manifest)
    {
        _ml = ml;
        _transformer = transformer;
        Featurizer = featurizer;
        Calibrator = calibrator;
        Manifest = manifest;
    }

    public LoveFeaturizer Featurizer { get; }

    public PlattCalibrator Calibrator { get; }

    public LoveModelManifest Manifest { get; }

    /// <summary>Trains on <paramref name="train"/> and calibrates on <paramref name="calibration"/> (a later slice, natural base rate).</summary>
    public static LoveModel Train(IReadOnlyList<LoveExample> train, IReadOnlyList<LoveExample> calibration, LoveModelOptions? options = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(calibration);
        options ??= new LoveModelOptions();
        if (!train.Any(e => e.Love) || train.All(e => e.Love))
        {
            throw new ArgumentException($"Training needs both loved and not-loved responses ({train.Count(e => e.Love)} of {train.Count} loved).", nameof(train));
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (rows, baseWeights) = Bounded(train, options.MaximumTrainingRows, options.Seed);
        options = options with { Learner = options.LearnerFor(rows.Count) };
        var linear = options.Learner == LoveLearner.Linear;
        // Small training sets (a few thousand rows) get a proportionally lower n-gram support, so text still has features;
        // the linear learner reads no n-grams at all.
        var featurizer = LoveFeaturizer.Fit(
            rows, linear ? 0 : options.ResponseNgrams, linear ? 0 : options.ContextNgrams, Math.Min(options.MinimumNgramDocuments, Math.Max(3, rows.Count / 200)));
        var vectors = featurizer.VectorizeMany(rows);
        log?.Invoke($"{rows.Count:N0} of {train.Count:N0} training rows featurised ({featurizer.Dimension:N0} features) in {clock.Elapsed.TotalSeconds:F1} s");
        cancellationToken.ThrowIfCancellationRequested();
        var ml = new MLContext(options.Seed);
        var weights = UpsampledWeights(rows, baseWeights, options.TargetPositiveShare);
        var transformer = Fit(ml, featurizer.Dimension, vectors, rows, weights, options);
        log?.Invoke($"{options.Learner} fitted at {clock.Elapsed.TotalSeconds:F1} s");
        if (options.Denoising != TrainingDenoising.None)
        {
            // The plain fit above is the warm-up model; reweight or truncate the positives by its losses and refit.
            cancellationToken.ThrowIfCancellationRequested();
            var warm = Uncalibrated().PredictMany(rows, calibrate: false);
            weights = Denoised(rows, weights, warm, options);
            transformer = Fit(ml, featurizer.Dimension, vectors, rows, weights, options);
            log?.Invoke($"{options.Denoising} refit at {clock.Elapsed.TotalSeconds:F1} s");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var calibrator = PlattCalibrator.Fit(Uncalibrated().PredictMany(calibration, calibrate: false), calibration.Select(e => e.Love).ToList());
        log?.Invoke($"calibrated on {calibration.Count:N0} rows at {clock.Elapsed.TotalSeconds:F1} s");
        return With(calibrator);

        LoveModel With(PlattCalibrator c) =>
            new(ml, transformer, featurizer, c, new LoveModelManifest(options.Learner.ToString(), options.Denoising.ToString(), options.Seed, c.A, c.B, rows.Count));

        LoveModel Uncalibrated() => With(PlattCalibrator.Identity);
    }

    /// <summary>Calibrated P[Love] of each example, in order: chunks scored in parallel through the engine pool.</summary>
    public double[] Score(IReadOnlyList<LoveExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return PredictMany(examples, calibrate: true);
    }

    /// <summary>Scores examples with one prediction engine rented from the model's pool (the serving path). Thread-safe.</summary>
    public double[] ScoreWithEngine(IReadOnlyList<LoveExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return Predict(examples, calibrate: true);
    }

    private double[] PredictMany(IReadOnlyList<LoveExample> examples, bool calibrate)
    {
        const int Chunk = 2048;
        var result = new double[examples.Count];
        var chunks = (examples.Count + Chunk - 1) / Chunk;
        var rows = examples as LoveExample[] ?? [.. examples];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            var start = c * Chunk;
            var count = Math.Min(Chunk, examples.Count - start);
            var part = Predict(new ArraySegment<LoveExample>(rows, start, count), calibrate);
            part.CopyTo(result, start);
        });
        return result;
    }

    private double[] Predict(IReadOnlyList<LoveExample> examples, bool calibrate)
    {
        var engine = _engines.TryTake(out var pooled) ? pooled : _ml.Model.CreatePredictionEngine<LoveVector, LoveOutput>(_transformer, inputSchemaDefinition: LoveVector.Schema(Featurizer.Dimension));
        try
        {
            var result = new double[examples.Count];
            var input = new LoveVector();
            var output = new LoveOutput();
            // Trees read a dense vector by index; a sparse one costs a binary search per split. One dense buffer per
            // call, cleared slot by slot after each row, keeps that cheap.
            var dense = new float[Featurizer.Dimension];
            for (var i = 0; i < examples.Count; i++)
            {
                var sparse = Featurizer.Vectorize(examples[i]);
                var indices = sparse.GetIndices();
                var values = sparse.GetValues();
                for (var k = 0; k < indices.Length; k++)
                {
                    dense[indices[k]] = values[k];
                }

                input.Features = new VBuffer<float>(dense.Length, dense);
                engine.Predict(input, ref output);
                result[i] = calibrate ? Calibrator.Apply(output.Probability) : output.Probability;
                for (var k = 0; k < indices.Length; k++)
                {
                    dense[indices[k]] = 0;
                }
            }

            return result;
        }
        finally
        {
            if (_engines.Count < Environment.ProcessorCount * 4)
            {
                _engines.Add(engine);
            }
            else
            {
                engine.Dispose();
            }
        }
    }

    /// <summary>The model as one zip (ML.NET learner, featurizer vocabulary, manifest).</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var stream = zip.CreateEntry("mlnet.zip", CompressionLevel.NoCompression).Open())
            {
                var schema = _ml.Data.LoadFromEnumerable(Array.Empty<LoveVector>(), LoveVector.Schema(Featurizer.Dimension)).Schema;
                _ml.Model.Save(_transformer, schema, stream);
            }

            using (var stream = zip.CreateEntry("featurizer.json", CompressionLevel.Optimal).Open())
            {
                JsonSerializer.Serialize(stream, Featurizer);
            }

            using (var stream = zip.CreateEntry("manifest.json", CompressionLevel.Optimal).Open())
            {
                JsonSerializer.Serialize(stream, Manifest);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>SHA-256 of a model's bytes, lowercase hex (the registry's content hash).</summary>
    public static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Reads a model written by <see cref="ToBytes"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a P[Love] model.</exception>
    public static LoveModel FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var manifest = Read<LoveModelManifest>(zip, "manifest.json");
            var featurizer = Read<LoveFeaturizer>(zip, "featurizer.json");
            var modelEntry = zip.GetEntry("mlnet.zip") ?? throw new InvalidDataException("The model archive has no mlnet.zip.");
            using var model = new MemoryStream();
            using (var stream = modelEntry.Open())
            {
                stream.CopyTo(model);
            }

            model.Position = 0;
            var ml = new MLContext(manifest.Seed);
            var transformer = ml.Model.Load(model, out _);
            return new LoveModel(ml, transformer, featurizer, new PlattCalibrator(manifest.CalibrationA, manifest.CalibrationB), manifest);
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or IOException or ArgumentException)
        {
            throw new InvalidDataException($"Not a P[Love] model archive: {e.Message}", e);
        }
    }

    /// <summary>
    /// At most <paramref name="maximum"/> rows: every positive, and negatives kept with one rate decided by a hash of
    /// their id (so the same rows give the same sample); kept negatives carry weight 1/rate.
    /// </summary>
    internal static (IReadOnlyList<LoveExample> Rows, double[] Weights) Bounded(IReadOnlyList<LoveExample> train, int maximum, int seed)
    {
        var positives = train.Count(e => e.Love);
        var negatives = train.Count - positives;
        if (maximum <= 0 || train.Count <= maximum || negatives == 0)
        {
            return (train, train.Select(e => e.Weight).ToArray());
        }

        var rate = Math.Clamp((maximum - positives) / (double)negatives, 0.05, 1.0);
        var threshold = (ulong)(rate * ulong.MaxValue);
        var rows = new List<LoveExample>(maximum);
        var weights = new List<double>(maximum);
        foreach (var e in train)
        {
            if (e.Love)
            {
                rows.Add(e);
                weights.Add(e.Weight);
            }
            else if (SampleHash(e.Id, seed) <= threshold)
            {
                rows.Add(e);
                weights.Add(e.Weight / rate);
            }
        }

        return (rows, weights.ToArray());
    }

    /// <summary>FNV-1a (64-bit) of the id's UTF-8 bytes, seeded, then mixed (splitmix64 finaliser): a stable uniform draw per id.</summary>
    internal static ulong SampleHash(string id, int seed)
    {
        var hash = 14695981039346656037UL ^ (ulong)seed;
        foreach (var b in Encoding.UTF8.GetBytes(id))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        hash ^= hash >> 30;
        hash *= 0xbf58476d1ce4e5b9UL;
        hash ^= hash >> 27;
        hash *= 0x94d049bb133111ebUL;
        return hash ^ (hash >> 31);
    }

    internal static float[] UpsampledWeights(IReadOnlyList<LoveExample> rows, double[] weights, double targetShare)
    {
        double positive = 0, negative = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Love)
            {
                positive += weights[i];
            }
            else
            {
                negative += weights[i];
            }
        }

        var factor = targetShare <= 0 || positive <= 0 ? 1.0 : Math.Max(1.0, targetShare / (1 - targetShare) * negative / positive);
        return Enumerable.Range(0, rows.Count).Select(i => (float)(weights[i] * (rows[i].Love ? factor : 1.0))).ToArray();
    }

    internal static float[] Denoised(IReadOnlyList<LoveExample> rows, float[] weights, double[] warm, LoveModelOptions options)
    {
        var result = (float[])weights.Clone();
        var positives = Enumerable.Range(0, rows.Count).Where(i => rows[i].Love).ToList();
        if (positives.Count == 0)
        {
            return result;
        }

        if (options.Denoising == TrainingDenoising.Rce)
        {
            // R-CE: weight each positive by p^beta, rescaled so the positives keep their total weight.
            var before = positives.Sum(i => (double)result[i]);
            foreach (var i in positives)
            {
                result[i] = (float)(result[i] * Math.Pow(Math.Max(warm[i], 1e-6), options.RceBeta));
            }

            var after = positives.Sum(i => (double)result[i]);
            foreach (var i in positives)
            {
                result[i] = (float)(result[i] * before / after);
            }
        }
        else if (options.Denoising == TrainingDenoising.Tce)
        {
            // T-CE: drop the positives with the largest loss (lowest predicted probability).
            var drop = (int)Math.Round(positives.Count * options.TceDropRate);
            foreach (var i in positives.OrderBy(i => warm[i]).ThenBy(i => i).Take(drop))
            {
                result[i] = 0;
            }
        }

        return result;
    }

    private static ITransformer Fit(MLContext ml, int dimension, VBuffer<float>[] vectors, IReadOnlyList<LoveExample> rows, float[] weights, LoveModelOptions options)
    {
        var data = new LoveVector[rows.Count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = new LoveVector { Features = vectors[i], Label = rows[i].Love, Weight = weights[i] };
        }

        var view = ml.Data.LoadFromEnumerable(data, LoveVector.Schema(dimension));
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        return options.Learner switch
        {
            LoveLearner.LightGbm => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                ExampleWeightColumnName = nameof(LoveVector.Weight),
                NumberOfIterations = options.Iterations,
                NumberOfLeaves = options.Leaves,
                LearningRate = options.LearningRate,
                MinimumExampleCountPerLeaf = LeafMinimum(options, rows.Count),
                NumberOfThreads = threads,
                Seed = options.Seed,
                Deterministic = true,
            }).Fit(view),
            LoveLearner.FastTree => ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                ExampleWeightColumnName = nameof(LoveVector.Weight),
                NumberOfTrees = options.Iterations,
                NumberOfLeaves = options.Leaves,
                LearningRate = options.LearningRate,
                MinimumExampleCountPerLeaf = LeafMinimum(options, rows.Count),
                NumberOfThreads = threads,
                Seed = options.Seed,
            }).Fit(view),
            LoveLearner.SdcaLogistic => ml.Transforms.NormalizeMinMax("Features", fixZero: true)
                .AppendCacheCheckpoint(ml)
                .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options
                {
                    ExampleWeightColumnName = nameof(LoveVector.Weight),
                    MaximumNumberOfIterations = Math.Min(options.Iterations, 30),
                    L2Regularization = 1e-5f,
                    NumberOfThreads = 1,
                    Shuffle = false,
                })).Fit(view),
            LoveLearner.Linear => ml.Transforms.NormalizeBinning("Features", maximumBinCount: LinearBins, fixZero: false)
                .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
                {
                    ExampleWeightColumnName = nameof(LoveVector.Weight),
                    L2Regularization = (float)options.LinearL2,
                    L1Regularization = 0,
                    NumberOfThreads = 1,
                })).Fit(view),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Learner, "Unknown learner."),
        };
    }

    /// <summary>Quantile bins of each dense feature for the linear learner (monotone, robust to the long tail of lengths).</summary>
    private const int LinearBins = 16;

    /// <summary>The configured leaf size, lowered for small training sets (at least 50 leaves' worth of rows per tree).</summary>
    private static int LeafMinimum(LoveModelOptions options, int rows) => Math.Max(5, Math.Min(options.MinimumExamplesPerLeaf, rows / 50));

    private static T Read<T>(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"The model archive has no {name}.");
        using var stream = entry.Open();
        return JsonSerializer.Deserialize<T>(stream) ?? throw new InvalidDataException($"{name} is empty.");
    }
}
