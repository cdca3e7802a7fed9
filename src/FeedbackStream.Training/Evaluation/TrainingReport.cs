using FeedbackStream.Training.Metrics;

namespace FeedbackStream.Training.Evaluation;

/// <summary>The rows a run used: chronological slices and what they cover.</summary>
public sealed record DataWindow(
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset CalibrationFrom,
    DateTimeOffset TestFrom,
    int TrainRows,
    int CalibrationRows,
    int TestRows,
    int Positives,
    int Pairs,
    string DataHash);

/// <summary>Headline metrics of a model on the later (test) slice.</summary>
public sealed record ModelMetrics(double Auc, double LogLoss, double Ece, double PearsonLength, double BaseRate, double MeanPrediction, double PairwiseAccuracy);

/// <summary>One learner or training variant, trained on the same rows as the others, measured on the same test slice.</summary>
public sealed record LearnerComparison(string Learner, string Denoising, int TrainRows, double Auc, double LogLoss, double Ece, double Seconds);

/// <summary>A model version's responses in the test slice: observed love rate and mean predicted P[Love].</summary>
public sealed record VersionAgreement(string ModelVersion, int Responses, double ObservedLoveRate, double MeanScore);

/// <summary>An n-gram strongly associated with Love in training, and its rate (share of responses containing it) per model version.</summary>
public sealed record PhraseRate(string Phrase, double LogOdds, IReadOnlyDictionary<string, double> RateByVersion);

/// <summary>Counts of test responses per score bin, split by label (for the score histogram).</summary>
public sealed record ScoreHistogram(IReadOnlyList<double> Edges, IReadOnlyList<int> Loved, IReadOnlyList<int> NotLoved);

/// <summary>Everything one training run measured: the report's content and the <c>model_runs</c> row's metrics.</summary>
public sealed record TrainingReport(
    string Learner,
    string Denoising,
    DataWindow Window,
    ModelMetrics Metrics,
    IReadOnlyList<ReliabilityBin> Reliability,
    ScoreHistogram Histogram,
    IReadOnlyList<VersionAgreement> Versions,
    double? OfflineOnlineCorrelation,
    IReadOnlyList<PhraseRate> Tripwire,
    IReadOnlyList<LearnerComparison> Comparisons,
    double PairwiseModelAccuracy,
    int HeldOutPairs,
    double TrainSeconds,
    double EvaluateSeconds,
    ModelMetrics? Champion,
    string? ChampionVersion);
