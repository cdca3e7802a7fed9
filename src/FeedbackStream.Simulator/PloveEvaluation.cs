using System.Diagnostics;
using FeedbackStream.Training.Evaluation;
using FeedbackStream.Training.Metrics;

namespace FeedbackStream.Simulator;

/// <summary>
/// P[Love] measured against a simulation with known truth. <see cref="BayesAuc"/> is the AUC of the simulator's own
/// probabilities on the same test rows and labels: no model can beat it in expectation. <see cref="CleanAuc"/> is the
/// model's AUC against the labels before noisy users overwrote them (equal to <see cref="TrainingReport.Metrics"/>' AUC
/// without label noise).
/// </summary>
public sealed record PloveScore(
    int Responses,
    double BayesAuc,
    double AucGap,
    double CleanAuc,
    double TruePairAccuracy,
    double SecondsToGenerate,
    double SecondsToTrainAndEvaluate,
    TrainingReport Report);

public static class PloveEvaluation
{
    public static (PloveScore Score, TrainingOutcome Outcome) Run(LoveSimulationOptions simulation, TrainingRunOptions training, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentNullException.ThrowIfNull(training);
        var clock = Stopwatch.StartNew();
        var data = LoveSimulator.Generate(simulation, start);
        var generated = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var outcome = TrainingRun.Run(data.Examples, data.Pairs, training);
        var seconds = clock.Elapsed.TotalSeconds;
        var index = new Dictionary<string, int>(data.Examples.Count, StringComparer.Ordinal);
        for (var i = 0; i < data.Examples.Count; i++)
        {
            index[data.Examples[i].Id] = i;
        }

        var rows = outcome.Test.Select(e => index[e.Id]).ToList();
        var labels = outcome.Test.Select(e => e.Love).ToList();
        var bayes = BinaryMetrics.Auc(rows.Select(i => data.TrueProbability[i]).ToList(), labels);
        var clean = BinaryMetrics.Auc(outcome.TestScores, rows.Select(i => data.CleanLove[i]).ToList());
        var truePairs = data.Pairs.Count == 0 ? double.NaN : data.PairTruth.Count(t => t) / (double)data.Pairs.Count;
        var score = new PloveScore(
            data.Examples.Count, Math.Round(bayes, 5), Math.Round(bayes - outcome.Report.Metrics.Auc, 5), Math.Round(clean, 5),
            Math.Round(truePairs, 5), Math.Round(generated, 2), Math.Round(seconds, 2), outcome.Report);
        return (score, outcome);
    }
}
