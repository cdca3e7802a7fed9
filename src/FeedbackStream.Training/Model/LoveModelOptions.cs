namespace FeedbackStream.Training.Model;

/// <summary>Which ML.NET binary learner sits on top of the features.</summary>
public enum LoveLearner
{
    /// <summary>
    /// The default: <see cref="Linear"/> below <see cref="LoveModelOptions.SmallDataRows"/> training rows, where trees over
    /// thousands of n-grams fit noise, and <see cref="LightGbm"/> from there on. The saved model names the learner used.
    /// </summary>
    Auto,

    /// <summary>LightGBM gradient-boosted trees (the learner <see cref="Auto"/> picks for large training sets).</summary>
    LightGbm,

    /// <summary>ML.NET's FastTree gradient-boosted trees.</summary>
    FastTree,

    /// <summary>SDCA logistic regression on min-max-normalised features.</summary>
    SdcaLogistic,

    /// <summary>
    /// L2-regularised logistic regression (L-BFGS) on the dense features only (length, words, turn index, latency, hour,
    /// app, surface and model version; no n-grams), each binned into quantiles: few parameters, for small training sets.
    /// </summary>
    Linear,
}

/// <summary>Training-time denoising of the labels (methods.md §3).</summary>
public enum TrainingDenoising
{
    /// <summary>Plain weighted cross-entropy.</summary>
    None,

    /// <summary>Reweighted cross-entropy: after a warm-up model, each positive is weighted by its predicted probability to the power beta.</summary>
    Rce,

    /// <summary>Truncated cross-entropy: after a warm-up model, the largest-loss share of positives is dropped.</summary>
    Tce,
}

/// <summary>Settings of one P[Love] model. Defaults train 1M rows in about a minute on two cores.</summary>
public sealed record LoveModelOptions
{
    public LoveLearner Learner { get; init; } = LoveLearner.Auto;

    /// <summary>With <see cref="LoveLearner.Auto"/>: below this many training rows the <see cref="LoveLearner.Linear"/> learner is used.</summary>
    public int SmallDataRows { get; init; } = 5_000;

    /// <summary>L2 regularisation of the <see cref="LoveLearner.Linear"/> learner.</summary>
    public double LinearL2 { get; init; } = 1.0;

    /// <summary>The learner these options train on <paramref name="trainingRows"/> rows (<see cref="LoveLearner.Auto"/> resolved).</summary>
    public LoveLearner LearnerFor(int trainingRows) =>
        Learner != LoveLearner.Auto ? Learner : trainingRows < SmallDataRows ? LoveLearner.Linear : LoveLearner.LightGbm;

    public int Seed { get; init; } = 7;

    /// <summary>Boosting rounds (trees) or SDCA passes.</summary>
    public int Iterations { get; init; } = 200;

    public int Leaves { get; init; } = 31;

    public double LearningRate { get; init; } = 0.1;

    public int MinimumExamplesPerLeaf { get; init; } = 100;

    /// <summary>Positives are upsampled (by example weight) until they make this share of the training weight; 0 turns upsampling off.</summary>
    public double TargetPositiveShare { get; init; } = 0.3;

    /// <summary>Vocabulary caps of the word 1–2-gram counts (n-grams with the highest document frequency in training).</summary>
    public int ResponseNgrams { get; init; } = 4_000;

    public int ContextNgrams { get; init; } = 500;

    /// <summary>An n-gram enters the vocabulary only if at least this many training responses contain it.</summary>
    public int MinimumNgramDocuments { get; init; } = 20;

    /// <summary>
    /// Above this many training rows, negatives are downsampled (deterministically by id; every positive kept) and the
    /// kept negatives weighted up by the inverse rate, so training time and memory stay bounded. 0: no limit.
    /// </summary>
    public int MaximumTrainingRows { get; init; } = 400_000;

    public TrainingDenoising Denoising { get; init; } = TrainingDenoising.None;

    /// <summary>R-CE exponent (methods.md: 0.2–0.3).</summary>
    public double RceBeta { get; init; } = 0.25;

    /// <summary>T-CE share of positives dropped (methods.md: 5–20%).</summary>
    public double TceDropRate { get; init; } = 0.1;

    /// <summary>Threads for the learners; 0 means all processors.</summary>
    public int Threads { get; init; }
}
