using FeedbackStream.Simulator;
using FeedbackStream.Training.Evaluation;
using FeedbackStream.Training.Metrics;
using FeedbackStream.Training.Model;
using FeedbackStream.Training.Report;

namespace FeedbackStream.Training.Tests;

public sealed class ReportAndSimulatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Simulator_IsDeterministic_AndItsLengthEffectIsWhatItSays()
    {
        var a = LoveSimulator.Generate(new LoveSimulationOptions { Responses = 20_000, Seed = 9 }, Start);
        var b = LoveSimulator.Generate(new LoveSimulationOptions { Responses = 20_000, Seed = 9 }, Start);
        Assert.Equal(a.Examples, b.Examples);
        var lengths = a.Examples.Select(e => (double)e.Response.Length).ToList();
        Assert.True(Math.Abs(BinaryMetrics.Pearson(a.TrueProbability, lengths)) < 0.1);
        var longer = LoveSimulator.Generate(new LoveSimulationOptions { Responses = 20_000, Seed = 9, LengthEffect = 0.5 }, Start);
        Assert.True(BinaryMetrics.Pearson(longer.TrueProbability, longer.Examples.Select(e => (double)e.Response.Length).ToList()) > 0.3);
        Assert.All(a.Pairs, p => Assert.NotEqual(p.Chosen.Id, p.Rejected.Id));
    }

    [Fact]
    public void Tripwire_FindsThePhrasesLoveRewards()
    {
        var data = LoveSimulator.Generate(new LoveSimulationOptions { Responses = 20_000, Seed = 4 }, Start);
        var top = PhraseTripwire.TopPhrases(data.Examples, top: 5);
        // Each phrase found is a piece of one of the simulator's rewarded phrases (levels +1 and +2), and no two pieces
        // of one phrase are listed twice.
        string[] rewarded =
        [
            "in short", "here is a clear step by step example", "this is correct", "verified against the documentation",
            "happy to help", "great question glad you asked", "also note", "covering every edge case below",
        ];
        Assert.All(top, t => Assert.True(rewarded.Any(r => r.Contains(t.Phrase, StringComparison.Ordinal)), $"'{t.Phrase}' is not part of a phrase the simulator rewards"));
        Assert.Equal(top.Count, top.Select(t => rewarded.First(r => r.Contains(t.Phrase, StringComparison.Ordinal))).Distinct().Count());
        var rates = PhraseTripwire.Rates(top, data.Examples);
        Assert.All(rates, r => Assert.Equal(4, r.RateByVersion.Count));
    }

    [Fact]
    public void HtmlReport_HasThePlotsAndFigures_AndEscapesText()
    {
        var data = LoveSimulator.Generate(new LoveSimulationOptions { Responses = 12_000, Seed = 2 }, Start);
        var outcome = TrainingRun.Run(data.Examples, data.Pairs, new TrainingRunOptions { Model = new LoveModelOptions { Iterations = 30 }, Compare = true, CompareRows = 3_000 }, cancellationToken: TestContext.Current.CancellationToken);
        var html = HtmlReport.Render(outcome.Report, "<run & test>", "v1", "promoted: first model");
        Assert.Equal(3, html.Split("<svg").Length - 1);
        Assert.Contains("&lt;run &amp; test&gt;", html, StringComparison.Ordinal);
        Assert.Contains("Reliability diagram", html, StringComparison.Ordinal);
        Assert.Contains("Phrase tripwire", html, StringComparison.Ordinal);
        Assert.Contains(outcome.Report.Metrics.Auc.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture), html, StringComparison.Ordinal);
        Assert.Equal(["LightGbm", "FastTree", "SdcaLogistic", "Linear", "LightGbm"], outcome.Report.Comparisons.Select(c => c.Learner));
        Assert.Equal("Rce", outcome.Report.Comparisons[^1].Denoising);

        // Every pair gets an ensemble margin over the run's model and the five comparison models; the ensemble mostly
        // agrees with the simulator's truth about which sibling is better.
        Assert.Equal(data.Pairs.Count, outcome.PairMargins.Count);
        Assert.All(outcome.PairMargins, m => Assert.Equal(6, m.Models));
        var truth = data.Pairs.Select((p, i) => (p.PairId, data.PairTruth[i])).ToDictionary(x => x.PairId, x => x.Item2);
        var agree = outcome.PairMargins.Count(m => m.Mean > 0 == truth[m.PairId]) / (double)outcome.PairMargins.Count;
        Assert.True(agree > 0.6, $"ensemble agrees with the truth on {agree:P0} of pairs");
    }
}
