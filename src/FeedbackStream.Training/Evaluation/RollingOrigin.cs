using FeedbackStream.Embeddings;
using FeedbackStream.Training.Embedding;
using FeedbackStream.Training.Metrics;
using FeedbackStream.Training.Model;

namespace FeedbackStream.Training.Evaluation;

/// <summary>Settings of a rolling-origin (chronological, several cut points) evaluation.</summary>
public sealed record RollingOriginOptions
{
    /// <summary>Cut points as shares of the rows in served-time order: each trains on what came before and tests on the block after.</summary>
    public IReadOnlyList<double> Cuts { get; init; } = [0.5, 0.6, 0.7, 0.8, 0.9];

    /// <summary>Share of all rows just before each cut that calibrates (Platt) instead of training.</summary>
    public double CalibrationShare { get; init; } = 0.1;

    /// <summary>Share of all rows after each cut that is tested (the block ends at the next cut or the end).</summary>
    public double TestShare { get; init; } = 0.1;

    public LoveModelOptions Model { get; init; } = new();

    /// <summary>Bootstrap resamples of each test block for the 95 % intervals (at most 5,000).</summary>
    public int Resamples { get; init; } = 500;

    public int Seed { get; init; } = 17;

    /// <summary>
    /// When set, the folds also score <see cref="RollingOrigin.Embedding"/> (logistic regression on sentence vectors of
    /// context and response, see <see cref="EmbeddingLoveScorer"/>); every text is embedded once, before the folds.
    /// </summary>
    public ITextEncoder? Encoder { get; init; }

    public EmbeddingLoveOptions EmbeddingModel { get; init; } = new();

    public string? Validate() =>
        Cuts.Count == 0 ? "at least one cut point is needed"
        : Cuts.Any(c => c <= CalibrationShare || c >= 1) ? $"cut points must lie in ({CalibrationShare}, 1)"
        : Cuts.Zip(Cuts.Skip(1)).Any(p => p.Second <= p.First) ? "cut points must increase"
        : CalibrationShare <= 0 || TestShare <= 0 ? "calibration and test shares must be positive"
        : Resamples is < 0 or > 5_000 ? "resamples must be within 0..5000"
        : null;
}

/// <summary>An AUC with its bootstrap 95 % interval.</summary>
public sealed record AucEstimate(double Auc, double Low, double High);

/// <summary>One cut point: the slices' sizes and each scorer's AUC on the block after the cut.</summary>
public sealed record RollingFold(
    double Cut, DateTimeOffset TestFrom, int TrainRows, int CalibrationRows, int TestRows, int TestLoved,
    IReadOnlyDictionary<string, AucEstimate> Auc);

/// <summary>The folds, each scorer's AUC averaged over them (interval: the folds' bootstrap draws averaged), and the learner's gain over length alone.</summary>
public sealed record RollingOriginResult(
    IReadOnlyList<RollingFold> Folds,
    IReadOnlyDictionary<string, AucEstimate> MeanAuc,
    AucEstimate LearnerGainOverLength,
    int Resamples,
    int Seed,
    AucEstimate? EmbeddingGainOverLength = null);

/// <summary>
/// Rolling-origin evaluation of P[Love] on a small real corpus: at each cut point (a share of the rows in served-time
/// order) the model trains on everything before the cut's calibration slice, is calibrated on that slice, and is
/// measured on the next block only, so every figure is about later data than the model saw. Beside the learner, two
/// baselines on the same blocks: response length alone (longer scores higher) and response n-grams alone (a
/// multinomial naive Bayes over word 1-2-grams fitted on the same training rows). Intervals: bootstrap over each test
/// block's rows (fixed seed, bounded resamples). A slice without both loved and not-loved rows is an
/// <see cref="InsufficientDataException"/> naming the cut and the slice.
/// </summary>
public static class RollingOrigin
{
    public const string Learner = "p_love";
    public const string LengthOnly = "length_only";
    public const string NgramsOnly = "ngrams_only";
    public const string Embedding = "embedding";

    public static RollingOriginResult Run(IReadOnlyList<LoveExample> examples, RollingOriginOptions? options = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new RollingOriginOptions();
        if (options.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var ordered = examples.OrderBy(e => e.ServedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        var folds = new List<RollingFold>();
        var draws = new Dictionary<string, List<double[]>>(StringComparer.Ordinal) { [Learner] = [], [LengthOnly] = [], [NgramsOnly] = [] };
        IReadOnlyList<EmbeddedResponse>? embedded = null;
        if (options.Encoder is not null)
        {
            draws[Embedding] = [];
            embedded = EmbeddedResponse.Of(ordered, options.Encoder, cancellationToken);
            log?.Invoke($"embedded {ordered.Count} responses and contexts with {options.Encoder.ModelName}");
        }

        var gainDraws = new List<double[]>();
        var gainPoints = new List<double>();
        var embeddingGainDraws = new List<double[]>();
        var embeddingGainPoints = new List<double>();
        for (var f = 0; f < options.Cuts.Count; f++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var cut = options.Cuts[f];
            var testStart = (int)(ordered.Count * cut);
            var calibrationStart = (int)(ordered.Count * (cut - options.CalibrationShare));
            var nextCut = f + 1 < options.Cuts.Count ? (int)(ordered.Count * options.Cuts[f + 1]) : ordered.Count;
            var testEnd = Math.Min(nextCut, Math.Min(ordered.Count, testStart + Math.Max(1, (int)(ordered.Count * options.TestShare))));
            var train = ordered[..calibrationStart];
            var calibration = ordered[calibrationStart..testStart];
            var test = ordered[testStart..testEnd];
            foreach (var (name, slice) in new[] { ("training", train), ("calibration", calibration), ("test", test) })
            {
                if (!slice.Any(e => e.Love) || slice.All(e => e.Love))
                {
                    throw new InsufficientDataException(
                        $"At cut {cut:P0} the {name} slice has {slice.Count(e => e.Love)} loved of {slice.Count} responses; every slice needs both loved and not-loved responses (fewer or later cut points, or more data).");
                }
            }

            var labels = test.Select(e => e.Love).ToList();
            var model = LoveModel.Train(train, calibration, options.Model, null, cancellationToken);
            var scores = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal)
            {
                [Learner] = model.Score(test),
                [LengthOnly] = test.Select(e => (double)e.Response.Length).ToList(),
                [NgramsOnly] = NaiveBayes.Fit(train).Score(test),
            };
            if (embedded is not null)
            {
                // The same training rows as the learner (its calibration slice only rescales, so rankings compare fairly).
                var fitRows = embedded.Take(calibrationStart).ToList();
                var fitLabels = train.Select(e => e.Love).ToList();
                var scorer = EmbeddingLoveScorer.Fit(fitRows, fitLabels, options.EmbeddingModel, cancellationToken);
                scores[Embedding] = scorer.Score(embedded.Skip(testStart).Take(test.Count).ToList());
            }


            var random = new Random(options.Seed + f);
            var resampled = Enumerable.Range(0, options.Resamples).Select(_ => Enumerable.Range(0, test.Count).Select(_ => random.Next(test.Count)).ToArray()).ToList();
            var aucs = new Dictionary<string, AucEstimate>(StringComparer.Ordinal);
            var foldDraws = new Dictionary<string, double[]>(StringComparer.Ordinal);
            foreach (var (name, s) in scores)
            {
                var point = BinaryMetrics.Auc(s, labels);
                var sample = resampled.Select(idx => BinaryMetrics.Auc(idx.Select(i => s[i]).ToList(), idx.Select(i => labels[i]).ToList())).ToArray();
                foldDraws[name] = sample;
                draws[name].Add(sample);
                aucs[name] = Estimate(point, sample);
            }

            gainPoints.Add(aucs[Learner].Auc - aucs[LengthOnly].Auc);
            gainDraws.Add(foldDraws[Learner].Zip(foldDraws[LengthOnly], (a, b) => a - b).ToArray());
            if (foldDraws.TryGetValue(Embedding, out var embeddingDraws))
            {
                embeddingGainPoints.Add(aucs[Embedding].Auc - aucs[LengthOnly].Auc);
                embeddingGainDraws.Add(embeddingDraws.Zip(foldDraws[LengthOnly], (a, b) => a - b).ToArray());
            }

            folds.Add(new RollingFold(cut, test[0].ServedAt, train.Count, calibration.Count, test.Count, labels.Count(l => l), aucs));
            log?.Invoke($"cut {cut:P0}: {train.Count} train, {calibration.Count} calibration, {test.Count} test; AUC {string.Join(", ", aucs.Select(a => $"{a.Key} {a.Value.Auc:F3}"))}");
        }

        var mean = draws.Keys.ToDictionary(
            name => name,
            name => Estimate(folds.Average(fold => fold.Auc[name].Auc), MeanOverFolds(draws[name], options.Resamples)),
            StringComparer.Ordinal);
        var embeddingGain = embeddingGainPoints.Count == 0 ? null : Estimate(embeddingGainPoints.Average(), MeanOverFolds(embeddingGainDraws, options.Resamples));
        return new RollingOriginResult(folds, mean, Estimate(gainPoints.Average(), MeanOverFolds(gainDraws, options.Resamples)), options.Resamples, options.Seed, embeddingGain);
    }

    private static double[] MeanOverFolds(List<double[]> perFold, int resamples) =>
        Enumerable.Range(0, resamples).Select(r => perFold.Average(fold => fold[r])).ToArray();

    private static AucEstimate Estimate(double point, double[] sample)
    {
        var sorted = sample.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0
            ? new AucEstimate(Math.Round(point, 4), Math.Round(point, 4), Math.Round(point, 4))
            : new AucEstimate(Math.Round(point, 4), Math.Round(sorted[(int)(0.025 * (sorted.Length - 1))], 4), Math.Round(sorted[(int)Math.Ceiling(0.975 * (sorted.Length - 1))], 4));
    }

    /// <summary>Multinomial naive Bayes over a response's lower-cased word 1-2-grams (Laplace smoothing): the n-grams-only baseline.</summary>
    internal sealed class NaiveBayes
    {
        private readonly Dictionary<string, double> _logOdds;
        private readonly double _prior;
        private readonly double _unseen;

        private NaiveBayes(Dictionary<string, double> logOdds, double prior, double unseen) => (_logOdds, _prior, _unseen) = (logOdds, prior, unseen);

        public static NaiveBayes Fit(IReadOnlyList<LoveExample> train)
        {
            var loved = new Dictionary<string, int>(StringComparer.Ordinal);
            var other = new Dictionary<string, int>(StringComparer.Ordinal);
            long lovedTotal = 0, otherTotal = 0;
            foreach (var e in train)
            {
                var counts = e.Love ? loved : other;
                foreach (var gram in Grams(e.Response))
                {
                    counts[gram] = counts.GetValueOrDefault(gram) + 1;
                    if (e.Love)
                    {
                        lovedTotal++;
                    }
                    else
                    {
                        otherTotal++;
                    }
                }
            }

            var vocabulary = loved.Keys.Union(other.Keys).ToList();
            var v = Math.Max(1, vocabulary.Count);
            var logOdds = vocabulary.ToDictionary(
                g => g,
                g => Math.Log((loved.GetValueOrDefault(g) + 1.0) / (lovedTotal + v)) - Math.Log((other.GetValueOrDefault(g) + 1.0) / (otherTotal + v)),
                StringComparer.Ordinal);
            var positives = train.Count(e => e.Love);
            return new NaiveBayes(logOdds, Math.Log((positives + 1.0) / (train.Count - positives + 1.0)), Math.Log((lovedTotal + (double)v) / (otherTotal + v)) * -1);
        }

        public double[] Score(IReadOnlyList<LoveExample> examples) =>
            examples.Select(e => _prior + Grams(e.Response).Sum(g => _logOdds.TryGetValue(g, out var w) ? w : _unseen)).ToArray();

        internal static IEnumerable<string> Grams(string text)
        {
            string? previous = null;
            foreach (var word in text.ToLowerInvariant().Split((char[])[' ', '\n', '\t', '\r', '.', ',', '!', '?', ';', ':', '"', '(', ')', '[', ']', '*', '#', '`'], StringSplitOptions.RemoveEmptyEntries))
            {
                yield return word;
                if (previous is not null)
                {
                    yield return previous + " " + word;
                }

                previous = word;
            }
        }
    }
}
