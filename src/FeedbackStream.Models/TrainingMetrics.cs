using System.Diagnostics;
using System.Diagnostics.Metrics;
using FeedbackStream.Contracts.Telemetry;

namespace FeedbackStream.Models;

/// <summary>Retraining runs by status, their duration, and the promotion gate's decisions.</summary>
internal static class TrainingMetrics
{
    private static readonly Meter Meter = new(TelemetryNames.ModelsMeter);

    private static readonly Counter<long> Runs = Meter.CreateCounter<long>(TelemetryNames.TrainingRuns, "{run}", "Retraining runs by status (promoted, refused, failed, canceled).");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram(
        TelemetryNames.TrainingRunDuration,
        "s",
        "Duration of a retraining run, by status.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600] });

    private static readonly Counter<long> Gate = Meter.CreateCounter<long>(TelemetryNames.GateDecisions, "{decision}", "Promotion gate decisions by outcome (promote, refuse).");

    public static void RunFinished(string status, double seconds)
    {
        var tags = new TagList { { "status", status } };
        Runs.Add(1, tags);
        Duration.Record(seconds, tags);
    }

    public static void GateDecided(bool promote) => Gate.Add(1, new KeyValuePair<string, object?>("outcome", promote ? "promote" : "refuse"));
}
