using FeedbackStream.Embeddings;
using FeedbackStream.Followups.Lexicon;
using FeedbackStream.Followups.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms.Text;

namespace FeedbackStream.Followups.Model;

/// <summary>Which ML.NET multiclass learner sits on top of the text features.</summary>
public enum FollowupTrainer
{
    /// <summary>SDCA maximum entropy (multinomial logistic regression), single-threaded for determinism.</summary>
    Sdca,

    /// <summary>L-BFGS maximum entropy, single-threaded.</summary>
    Lbfgs,

    /// <summary>LightGBM multiclass on the same sparse features, single-threaded with a fixed seed.</summary>
    LightGbm,
}

/// <summary>Training settings. Defaults train in a few seconds on ~1,500 rows on two cores.</summary>
public sealed record FollowupModelOptions
{
    public int Seed { get; init; } = 17;
    public FollowupTrainer Trainer { get; init; } = FollowupTrainer.Sdca;

    /// <summary>Word n-grams up to this length (all lengths from 1).</summary>
    public int WordNgramLength { get; init; } = 2;

    /// <summary>Character n-grams of exactly this length (ML.NET counts them across word boundaries).</summary>
    public int CharNgramLength { get; init; } = 4;

    /// <summary>L2 regularization of the maximum-entropy trainers.</summary>
    public float L2Regularization { get; init; } = 1e-3f;

    /// <summary>Also feed the lexicon's per-kind rule scores to the learner (stacking), besides the n-grams.</summary>
    public bool UseLexiconFeatures { get; init; } = true;

    /// <summary>Word n-gram weighting: TF-IDF when true, raw term frequency when false.</summary>
    public bool TfIdf { get; init; } = true;

    /// <summary>Upper bound on SDCA passes / L-BFGS iterations / LightGBM rounds: keeps training time bounded.</summary>
    public int MaximumIterations { get; init; } = 50;

    /// <summary>
    /// Sentence encoder whose vector of the utterance joins the features (null: n-grams and lexicon only, the fast path).
    /// The same encoder must be given when the model is loaded again.
    /// </summary>
    public ITextEncoder? Encoder { get; init; }

    /// <summary>
    /// With an encoder: every training row is also given once with the lexicon scores zeroed (both copies at half weight),
    /// so the learner cannot lean on the lexicon alone (it was written on the same seed rows, so on them it is nearly
    /// always right) and learns what the sentence vector says where the lexicon is silent.
    /// </summary>
    public bool LexiconDropout { get; init; } = true;

    /// <summary>
    /// Without an encoder: the same duplication as <see cref="LexiconDropout"/> for the n-gram model, so the n-grams learn
    /// the rows the lexicon covers too, and the model does not learn "lexicon silent, so neutral" from training rows the
    /// lexicon was written on.
    /// </summary>
    public bool NgramLexiconDropout { get; init; }

    /// <summary>The lexicon whose rule scores are stacked (null: <see cref="LexiconClassifier.Default"/>); cross-validation passes a reduced one.</summary>
    internal LexiconClassifier? Lexicon { get; init; }

    /// <summary>Multiplies the (unit-length) sentence vector before it joins the L2-normalised n-gram features.</summary>
    public float EmbeddingScale { get; init; } = 4f;
}

/// <summary>
/// An ML.NET multiclass model of follow-up kinds: normalized text → word 1–2-grams and character n-grams
/// (<c>FeaturizeText</c>) → a maximum-entropy (or LightGBM) classifier over the 19 kinds. Polarity probabilities are the
/// sums of their kinds' probabilities; the kind is the most probable one within the most probable polarity.
/// This approximates WildFeedback's LLM labeller with bag-of-n-grams features (methods.md: no language-model weights here).
/// Thread-safe: single predictions share one prediction engine under a lock; <see cref="ClassifyMany"/> scores in batch.
/// </summary>
public sealed class FollowupModel : IFollowupClassifier
{
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly string[] _slotKinds;
    private readonly PredictionEngine<ModelInput, ModelOutput> _engine;
    private readonly Lock _engineLock = new();
    private readonly ITextEncoder? _encoder;
    private readonly float _embeddingScale;
    private readonly LexiconClassifier _lexicon;

    private FollowupModel(MLContext ml, ITransformer transformer, string description, ITextEncoder? encoder, float embeddingScale, LexiconClassifier? lexicon = null)
    {
        _lexicon = lexicon ?? LexiconClassifier.Default;
        _ml = ml;
        _transformer = transformer;
        _encoder = encoder;
        _embeddingScale = embeddingScale;
        Description = description;
        var schema = transformer.GetOutputSchema(InputSchema(ml, EmbeddingLength));
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        schema["Score"].GetSlotNames(ref slotNames);
        _slotKinds = slotNames.DenseValues().Select(s => s.ToString()).ToArray();
        if (_slotKinds.Any(k => !FollowupKinds.IsKnown(k)))
        {
            throw new InvalidDataException($"The model's classes [{string.Join(", ", _slotKinds)}] are not all follow-up kinds.");
        }

        _engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(transformer, inputSchemaDefinition: SchemaDefinition(EmbeddingLength));
    }

    /// <summary>The sentence encoder the model reads, or null when it reads n-grams and lexicon only.</summary>
    public ITextEncoder? Encoder => _encoder;

    private int EmbeddingLength => _encoder?.Dimensions ?? 1;

    /// <summary>What was trained, e.g. <c>sdca seed=17</c>.</summary>
    public string Description { get; }

    /// <summary>The kinds the model can predict (those present in its training data).</summary>
    public IReadOnlyList<string> Kinds => _slotKinds;

    /// <summary>Trains on labelled follow-ups (kind labels). Same rows, same order and same options give the same model.</summary>
    /// <param name="rows">Training rows; each row's weight is 1 unless <paramref name="weight"/> says otherwise.</param>
    /// <param name="options">Settings; <see cref="FollowupModelOptions"/> defaults when null.</param>
    /// <param name="weight">Optional per-row example weight (e.g. lower for weakly labelled rows).</param>
    public static FollowupModel Train(IEnumerable<LabelledFollowup> rows, FollowupModelOptions? options = null, Func<LabelledFollowup, float>? weight = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new FollowupModelOptions();
        var list = rows.ToList();
        var embeddings = Embed(options.Encoder, options.EmbeddingScale, list.Select(r => r.Text).ToList());
        var lexicon = options.Lexicon ?? LexiconClassifier.Default;
        var data = list.Select((r, i) => Input(lexicon, r.Text, r.Kind, weight?.Invoke(r) ?? 1f, embeddings[i])).ToList();
        if (options.UseLexiconFeatures && ((options.Encoder is not null && options.LexiconDropout) || (options.Encoder is null && options.NgramLexiconDropout)))
        {
            var silent = data.Select(d => new ModelInput { Text = d.Text, Label = d.Label, Embedding = d.Embedding, Lexicon = new float[d.Lexicon.Length], Weight = d.Weight / 2 }).ToList();
            data.ForEach(d => d.Weight /= 2);
            data.AddRange(silent);
        }
        if (data.Select(d => d.Label).Distinct(StringComparer.Ordinal).Count() < 2)
        {
            throw new ArgumentException("Training needs at least two different kinds.", nameof(rows));
        }

        var ml = new MLContext(options.Seed);
        var weighting = options.TfIdf ? NgramExtractingEstimator.WeightingCriteria.TfIdf : NgramExtractingEstimator.WeightingCriteria.Tf;
        var embeddingLength = options.Encoder?.Dimensions ?? 1;
        var view = ml.Data.LoadFromEnumerable(data, SchemaDefinition(embeddingLength));
        var featurize = ml.Transforms.Conversion.MapValueToKey("LabelKey", nameof(ModelInput.Label))
            .Append(ml.Transforms.Text.FeaturizeText("TextFeatures", new TextFeaturizingEstimator.Options
            {
                CaseMode = TextNormalizingEstimator.CaseMode.Lower,
                KeepPunctuations = true,
                KeepNumbers = true,
                KeepDiacritics = false,
                WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = options.WordNgramLength, UseAllLengths = true, Weighting = weighting },
                CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = options.CharNgramLength, UseAllLengths = false, Weighting = weighting },
                Norm = TextFeaturizingEstimator.NormFunction.L2,
            }, nameof(ModelInput.Text)))
            .Append(ml.Transforms.Concatenate("Features", [
                "TextFeatures",
                .. options.UseLexiconFeatures ? [nameof(ModelInput.Lexicon)] : Array.Empty<string>(),
                .. options.Encoder is not null ? [nameof(ModelInput.Embedding)] : Array.Empty<string>(),
            ]));

        IEstimator<ITransformer> trainer = options.Trainer switch
        {
            FollowupTrainer.Sdca => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = "LabelKey",
                FeatureColumnName = "Features",
                ExampleWeightColumnName = nameof(ModelInput.Weight),
                L2Regularization = options.L2Regularization,
                MaximumNumberOfIterations = options.MaximumIterations,
                NumberOfThreads = 1,
                Shuffle = false,
            }),
            FollowupTrainer.Lbfgs => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
            {
                LabelColumnName = "LabelKey",
                FeatureColumnName = "Features",
                ExampleWeightColumnName = nameof(ModelInput.Weight),
                L2Regularization = options.L2Regularization,
                MaximumNumberOfIterations = options.MaximumIterations,
                NumberOfThreads = 1,
            }),
            FollowupTrainer.LightGbm => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = "LabelKey",
                FeatureColumnName = "Features",
                ExampleWeightColumnName = nameof(ModelInput.Weight),
                NumberOfIterations = options.MaximumIterations,
                NumberOfLeaves = 16,
                MinimumExampleCountPerLeaf = 3,
                LearningRate = 0.1,
                NumberOfThreads = 1,
                Seed = options.Seed,
                Deterministic = true,
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Trainer, "Unknown trainer."),
        };

        var pipeline = featurize
            .Append(trainer)
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedKind", "PredictedLabel"));
        var transformer = pipeline.Fit(view);
        var description = $"{options.Trainer.ToString().ToLowerInvariant()} seed={options.Seed}" + (options.Encoder is null ? string.Empty : $" encoder={options.Encoder.ModelName}");
        return new FollowupModel(ml, transformer, description, options.Encoder, options.EmbeddingScale, options.Lexicon);
    }

    /// <summary>Writes the trained pipeline as an ML.NET model zip.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _ml.Model.Save(_transformer, InputSchema(_ml, EmbeddingLength), stream);
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The stream is not a follow-up model, or it reads sentence vectors and no encoder of that length is given.</exception>
    public static FollowupModel Load(Stream stream, int seed = 17, ITextEncoder? encoder = null, float embeddingScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Stream seekable = stream;
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            seekable = copy;
        }

        try
        {
            var ml = new MLContext(seed);
            var transformer = ml.Model.Load(seekable, out var inputSchema);
            var stored = inputSchema?.GetColumnOrNull(nameof(ModelInput.Embedding))?.Type is VectorDataViewType vector ? vector.Size : 1;
            if (stored != (encoder?.Dimensions ?? 1))
            {
                throw new InvalidDataException(
                    $"The model reads {(stored > 1 ? $"{stored}-dimensional sentence vectors" : "no sentence vectors")} but was loaded {(encoder is null ? "without an encoder" : $"with encoder {encoder.ModelName} ({encoder.Dimensions} dimensions)")}.");
            }

            return new FollowupModel(ml, transformer, encoder is null ? "loaded" : $"loaded encoder={encoder.ModelName}", encoder, embeddingScale);
        }
        finally
        {
            if (!ReferenceEquals(seekable, stream))
            {
                seekable.Dispose();
            }
        }
    }

    public FollowupClassification Classify(string utterance)
    {
        ArgumentNullException.ThrowIfNull(utterance);
        ModelOutput output;
        lock (_engineLock)
        {
            output = _engine.Predict(Input(_lexicon, utterance, string.Empty, 1f, Embed(_encoder, _embeddingScale, [utterance])[0]));
        }

        return ToClassification(output.Score);
    }

    /// <summary>Scores many utterances in one pass (faster than repeated <see cref="Classify"/>).</summary>
    public IReadOnlyList<FollowupClassification> ClassifyMany(IReadOnlyList<string> utterances)
    {
        ArgumentNullException.ThrowIfNull(utterances);
        var embeddings = Embed(_encoder, _embeddingScale, utterances);
        var input = _ml.Data.LoadFromEnumerable(utterances.Select((u, i) => Input(_lexicon, u, string.Empty, 1f, embeddings[i])).ToList(), SchemaDefinition(EmbeddingLength));
        var scored = _transformer.Transform(input);
        return _ml.Data.CreateEnumerable<ModelOutput>(scored, reuseRowObject: false).Select(o => ToClassification(o.Score)).ToList();
    }

    /// <summary>The probability of each kind, in <see cref="Kinds"/> order.</summary>
    internal IReadOnlyList<double> KindProbabilities(string utterance)
    {
        ModelOutput output;
        lock (_engineLock)
        {
            output = _engine.Predict(Input(_lexicon, utterance, string.Empty, 1f, Embed(_encoder, _embeddingScale, [utterance])[0]));
        }

        return output.Score.Select(s => (double)s).ToList();
    }

    private FollowupClassification ToClassification(float[] score)
    {
        double sat = 0, dsat = 0, neutral = 0;
        for (var i = 0; i < score.Length; i++)
        {
            switch (FollowupKinds.PolarityOf(_slotKinds[i]))
            {
                case Polarity.Sat:
                    sat += score[i];
                    break;
                case Polarity.Dsat:
                    dsat += score[i];
                    break;
                default:
                    neutral += score[i];
                    break;
            }
        }

        var total = sat + dsat + neutral;
        if (total > 0)
        {
            sat /= total;
            dsat /= total;
            neutral /= total;
        }

        var polarity = sat > dsat && sat > neutral ? Polarity.Sat : dsat > neutral && dsat >= sat ? Polarity.Dsat : Polarity.Neutral;
        var kind = FollowupKinds.Neutral;
        var best = -1.0;
        for (var i = 0; i < score.Length; i++)
        {
            if (FollowupKinds.PolarityOf(_slotKinds[i]) == polarity && score[i] > best)
            {
                best = score[i];
                kind = _slotKinds[i];
            }
        }

        var confidence = polarity switch { Polarity.Sat => sat, Polarity.Dsat => dsat, _ => neutral };
        IReadOnlyList<string> evidence = [$"model {Description}: p({polarity.Name()})={confidence:0.00}, p({kind})={best:0.00}"];
        return new FollowupClassification(polarity, kind, sat, dsat, neutral, FollowupClassification.ModelMethod, evidence);
    }

    private static ModelInput Input(LexiconClassifier lexicon, string text, string label, float weight, float[] embedding) => new()
    {
        Text = FollowupText.Normalize(text),
        Lexicon = lexicon.Features(text),
        Embedding = embedding,
        Label = label,
        Weight = weight,
    };

    /// <summary>The scaled sentence vector of each text, or a single zero when there is no encoder.</summary>
    private static float[][] Embed(ITextEncoder? encoder, float scale, IReadOnlyList<string> texts)
    {
        if (encoder is null)
        {
            return texts.Select(_ => new float[1]).ToArray();
        }

        // The raw text: the encoder has its own tokenizer and reads apostrophes and case-folded words as it was trained.
        var vectors = encoder.Encode(texts);
        return vectors.Select(v => v.Select(x => x * scale).ToArray()).ToArray();
    }

    private static SchemaDefinition SchemaDefinition(int embeddingLength)
    {
        var definition = Microsoft.ML.Data.SchemaDefinition.Create(typeof(ModelInput));
        definition[nameof(ModelInput.Lexicon)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, LexiconClassifier.FeatureCount);
        definition[nameof(ModelInput.Embedding)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, embeddingLength);
        return definition;
    }

    private static DataViewSchema InputSchema(MLContext ml, int embeddingLength) => ml.Data.LoadFromEnumerable(Array.Empty<ModelInput>(), SchemaDefinition(embeddingLength)).Schema;
}

/// <summary>A row the ML.NET pipeline reads (public members for ML.NET's reflection; internal to this assembly).</summary>
internal sealed class ModelInput
{
    public string Text { get; set; } = string.Empty;

    public string Label { get; set; } = string.Empty;

    /// <summary>The lexicon's rule scores (<see cref="LexiconClassifier.Features"/>).</summary>
    public float[] Lexicon { get; set; } = [];

    /// <summary>The sentence vector (scaled), or one zero when the model reads no sentence vectors.</summary>
    public float[] Embedding { get; set; } = [];

    public float Weight { get; set; } = 1f;
}

/// <summary>The pipeline's per-kind probabilities.</summary>
internal sealed class ModelOutput
{
    [ColumnName("Score")]
    public float[] Score { get; set; } = [];
}
