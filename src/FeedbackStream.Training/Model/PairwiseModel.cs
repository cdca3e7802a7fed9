using FeedbackStream.Training.Metrics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace FeedbackStream.Training.Model;

/// <summary>A ranking row: one response of a pair (the group), relevance 1 when chosen and 0 when rejected.</summary>
public sealed class PairRankRow
{
    public VBuffer<float> Features { get; set; }

    public uint Group { get; set; }

    public float Relevance { get; set; }
}

/// <summary>The ranking learner's output.</summary>
public sealed class PairRankOutput
{
    public float Score { get; set; }
}

/// <summary>
/// A pairwise model over preference pairs: LightGBM with a ranking objective (LambdaRank) on groups of two, the chosen
/// response relevant and the rejected one not, over the P[Love] features. Scored by pairwise accuracy: the share of
/// held-out pairs whose chosen response scores higher.
/// </summary>
public sealed class PairwiseModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly LoveFeaturizer _featurizer;

    private PairwiseModel(MLContext ml, ITransformer transformer, LoveFeaturizer featurizer)
    {
        _ml = ml;
        _transformer = transformer;
        _featurizer = featurizer;
    }

    public static PairwiseModel Train(IReadOnlyList<PairExample> pairs, LoveFeaturizer featurizer, LoveModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(featurizer);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("The pairwise model needs at least one pair.", nameof(pairs));
        }

        options ??= new LoveModelOptions();
        var ml = new MLContext(options.Seed);
        var learner = ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            LabelColumnName = nameof(PairRankRow.Relevance),
            RowGroupColumnName = nameof(PairRankRow.Group),
            NumberOfIterations = Math.Min(options.Iterations, 200),
            NumberOfLeaves = Math.Min(options.Leaves, 15),
            LearningRate = options.LearningRate,
            MinimumExampleCountPerLeaf = Math.Max(5, Math.Min(options.MinimumExamplesPerLeaf, pairs.Count / 50)),
            NumberOfThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            Seed = options.Seed,
            Deterministic = true,
        });
        return new PairwiseModel(ml, learner.Fit(View(ml, featurizer, pairs)), featurizer);
    }

    /// <summary>Score of the chosen and of the rejected response of each pair, in order.</summary>
    public IReadOnlyList<(double Chosen, double Rejected)> Score(IReadOnlyList<PairExample> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var scored = _transformer.Transform(View(_ml, _featurizer, pairs));
        var scores = _ml.Data.CreateEnumerable<PairRankOutput>(scored, reuseRowObject: false).Select(o => (double)o.Score).ToList();
        return Enumerable.Range(0, pairs.Count).Select(i => (scores[2 * i], scores[(2 * i) + 1])).ToList();
    }

    public double Accuracy(IReadOnlyList<PairExample> pairs) => BinaryMetrics.PairwiseAccuracy(Score(pairs));

    private static IDataView View(MLContext ml, LoveFeaturizer featurizer, IReadOnlyList<PairExample> pairs)
    {
        var rows = new List<PairRankRow>(pairs.Count * 2);
        for (var i = 0; i < pairs.Count; i++)
        {
            rows.Add(new PairRankRow { Features = featurizer.Vectorize(pairs[i].Chosen), Group = (uint)(i + 1), Relevance = 1 });
            rows.Add(new PairRankRow { Features = featurizer.Vectorize(pairs[i].Rejected), Group = (uint)(i + 1), Relevance = 0 });
        }

        var definition = SchemaDefinition.Create(typeof(PairRankRow));
        definition[nameof(PairRankRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featurizer.Dimension);
        definition[nameof(PairRankRow.Group)].ColumnType = new KeyDataViewType(typeof(uint), pairs.Count + 1);
        return ml.Data.LoadFromEnumerable(rows, definition);
    }
}
