using System.CommandLine;
using System.Globalization;
using FeedbackStream.Embeddings;
using FeedbackStream.Embeddings.MiniLm;
using FeedbackStream.Hosting;
using FeedbackStream.Simulator;
using FeedbackStream.Training.Evaluation;
using FeedbackStream.Training.Model;
using Spectre.Console;

namespace FeedbackStream.Evaluation;

/// <summary><c>feedbackstream eval plove</c>: trains and evaluates P[Love] on a simulation with known truth and prints the targets' figures.</summary>
internal static class PloveCommands
{
    public static Command CreateEval()
    {
        var responses = new Option<int>("--responses") { Description = "Labelled responses to simulate.", DefaultValueFactory = _ => 1_000_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the simulation.", DefaultValueFactory = _ => 11 };
        var noise = new Option<double>("--label-noise") { Description = "Share of users who Love most of what they see (label noise).", DefaultValueFactory = _ => 0 };
        var lengthEffect = new Option<double>("--length-effect") { Description = "True-logit change per 15 words (0: the truth has no length effect).", DefaultValueFactory = _ => 0 };
        var learner = new Option<LoveLearner>("--learner") { Description = "Learner of the main model.", DefaultValueFactory = _ => LoveLearner.Auto };
        var denoising = new Option<TrainingDenoising>("--denoising") { Description = "Training-time denoising of the main model.", DefaultValueFactory = _ => TrainingDenoising.None };
        var compare = new Option<bool>("--compare") { Description = "Also train FastTree, SDCA and a denoised LightGBM on a sample for the report's comparison." };
        var iterations = new Option<int>("--iterations") { Description = "Boosting rounds of the main model.", DefaultValueFactory = _ => new LoveModelOptions().Iterations };
        var responseNgrams = new Option<int>("--response-ngrams") { Description = "Vocabulary cap of the response's word 1-2-grams.", DefaultValueFactory = _ => new LoveModelOptions().ResponseNgrams };
        var contextNgrams = new Option<int>("--context-ngrams") { Description = "Vocabulary cap of the context's word 1-2-grams.", DefaultValueFactory = _ => new LoveModelOptions().ContextNgrams };
        var report = new Option<FileInfo?>("--report") { Description = "Write the HTML report here." };
        var oasst = new Option<FileInfo?>("--oasst") { Description = "Instead of the simulation: OpenAssistant assistant replies (flat or nested JSONL); predicts a +1 on the later time slice." };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line." };
        var encoder = new Option<string>("--encoder")
        {
            Description = "With --oasst: minilm also scores each rolling-origin fold with 'embedding' (all-MiniLM-L6-v2 vectors of context and response, logistic regression; every text embedded once); none: n-gram learner and baselines only.",
            DefaultValueFactory = _ => "minilm",
        };
        encoder.AcceptOnlyFromAmong("minilm", "none");
        var command = new Command("plove", "Train and evaluate P[Love] on simulated responses with known truth; print AUC against the Bayes-optimal AUC, calibration, length correlation and time.")
        {
            responses, seed, noise, lengthEffect, learner, denoising, iterations, responseNgrams, contextNgrams, compare, oasst, report, json, encoder,
        };
        command.SetAction(parse =>
        {
            var simulation = new LoveSimulationOptions
            {
                Responses = parse.GetValue(responses),
                Seed = parse.GetValue(seed),
                NoisyUserShare = parse.GetValue(noise),
                LengthEffect = parse.GetValue(lengthEffect),
            };
            var training = new TrainingRunOptions
            {
                Model = new LoveModelOptions
                {
                    Learner = parse.GetValue(learner),
                    Denoising = parse.GetValue(denoising),
                    Iterations = parse.GetValue(iterations),
                    ResponseNgrams = parse.GetValue(responseNgrams),
                    ContextNgrams = parse.GetValue(contextNgrams),
                },
                Compare = parse.GetValue(compare),
                Log = line => Console.Error.WriteLine(line),
            };
            if (parse.GetValue(oasst) is { } corpusFile)
            {
                using var sentenceEncoder = parse.GetValue(encoder) == "minilm" ? new MiniLmTextEncoder(new TextEncoderOptions { CacheCapacity = 0 }) : null;
                return RunOasst(corpusFile, training, parse.GetValue(report), parse.GetValue(json), sentenceEncoder is null ? null : new CachingTextEncoder(sentenceEncoder, 20_000));
            }

            var (score, _) = PloveEvaluation.Run(simulation, training, new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero));
            var m = score.Report.Metrics;
            var table = new Table().AddColumns("figure", "value", "target");
            table.AddRow("responses", $"{score.Responses:N0}", string.Empty);
            table.AddRow("AUC on the later slice", F(m.Auc), $">= {F(score.BayesAuc - 0.02)}");
            table.AddRow("Bayes-optimal AUC (truth)", F(score.BayesAuc), string.Empty);
            table.AddRow("gap", F(score.AucGap), "<= 0.02");
            table.AddRow("expected calibration error", F(m.Ece), "< 0.02");
            table.AddRow("Pearson(score, length)", F(m.PearsonLength), "|r| <= 0.10 without a length effect");
            table.AddRow("log loss", F(m.LogLoss), string.Empty);
            table.AddRow("base rate / mean prediction", $"{F(m.BaseRate)} / {F(m.MeanPrediction)}", string.Empty);
            table.AddRow(Markup.Escape("pairwise accuracy: P[Love] / pairwise model"), $"{F(m.PairwiseAccuracy)} / {F(score.Report.PairwiseModelAccuracy)}", string.Empty);
            table.AddRow("train + evaluate seconds", $"{score.SecondsToTrainAndEvaluate:F1}", "< 120 for 1M");
            AnsiConsole.Write(table);
            if (score.Report.Comparisons.Count > 0)
            {
                var comparison = new Table().AddColumns("learner", "denoising", "rows", "AUC", "log loss", "ECE", "seconds");
                foreach (var c in score.Report.Comparisons)
                {
                    comparison.AddRow(c.Learner, c.Denoising, $"{c.TrainRows:N0}", F(c.Auc), F(c.LogLoss), F(c.Ece), $"{c.Seconds:F1}");
                }

                AnsiConsole.Write(comparison);
            }

            if (parse.GetValue(report) is { } file)
            {
                File.WriteAllText(file.FullName, Training.Report.HtmlReport.Render(score.Report, "simulation"));
                Console.WriteLine($"report: {file.FullName}");
            }

            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(score);
            }

            return 0;
        });
        return command;
    }

    public sealed record OasstOutput(string File, int Replies, int Loved, int DuplicateMessages, int ConflictingDuplicates, double LengthOnlyAuc, TrainingReport Report, RollingOriginResult RollingOrigin, RollingTarget RollingTarget);

    /// <summary>The learner must beat response length alone by this much AUC, averaged over the cut points.</summary>
    public const double MinGainOverLength = 0.03;

    public sealed record RollingTarget(double MinGainOverLength, double Gain, bool Met);

    private static int RunOasst(FileInfo file, TrainingRunOptions training, FileInfo? report, bool json, ITextEncoder? encoder)
    {
        if (!file.Exists)
        {
            Console.Error.WriteLine($"No such file: {file.FullName}");
            return 2;
        }

        if (OasstCommands.Load(file.FullName) is not { } corpus)
        {
            return 2;
        }

        var examples = Replay.OasstLoveExamples.From(corpus);
        TrainingOutcome outcome;
        RollingOriginResult rolling;
        try
        {
            outcome = TrainingRun.Run(examples, [], training with { Compare = true });
            rolling = RollingOrigin.Run(examples, new RollingOriginOptions { Model = training.Model, Encoder = encoder }, training.Log);
        }
        catch (Exception e) when (e is InsufficientDataException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine(
                $"error: cannot train P[Love] on {file.FullName}: {examples.Count:N0} assistant replies, {examples.Count(x => x.Love):N0} with a +1 emoji. {e.Message}");
            return 1;
        }

        var lengthAuc = Training.Metrics.BinaryMetrics.Auc(outcome.Test.Select(e => (double)e.Response.Length).ToList(), outcome.Test.Select(e => e.Love).ToList());
        var m = outcome.Report.Metrics;
        var table = new Table().AddColumns("oasst: predicting a +1 on the later time slice", "value");
        table.AddRow("assistant replies (loved)", $"{examples.Count:N0} ({examples.Count(e => e.Love):N0})");
        table.AddRow("repeated messages in the file (differing copies)", $"{corpus.DuplicateMessages:N0} ({corpus.ConflictingDuplicates:N0})");
        table.AddRow("rows train / calibration / test", $"{outcome.Report.Window.TrainRows:N0} / {outcome.Report.Window.CalibrationRows:N0} / {outcome.Report.Window.TestRows:N0}");
        table.AddRow("test slice from", outcome.Report.Window.TestFrom.ToString("u", CultureInfo.InvariantCulture));
        table.AddRow(Markup.Escape("AUC (P[Love] model)"), F(m.Auc));
        table.AddRow("AUC (response length alone)", F(lengthAuc));
        table.AddRow("calibration error / base rate", $"{F(m.Ece)} / {F(m.BaseRate)}");
        table.AddRow("Pearson(score, length)", F(m.PearsonLength));
        AnsiConsole.Write(table);
        var comparison = new Table().AddColumns("learner", "denoising", "rows", "AUC", "log loss", "ECE");
        foreach (var c in outcome.Report.Comparisons)
        {
            comparison.AddRow(c.Learner, c.Denoising, $"{c.TrainRows:N0}", F(c.Auc), F(c.LogLoss), F(c.Ece));
        }

        AnsiConsole.Write(comparison);
        PrintRolling(rolling);
        var target = new RollingTarget(MinGainOverLength, rolling.LearnerGainOverLength.Auc, rolling.LearnerGainOverLength.Auc >= MinGainOverLength);
        AnsiConsole.MarkupLine(Markup.Escape(
            $"target: the {training.Model.Learner} learner ({outcome.Report.Learner} on {outcome.Report.Window.TrainRows:N0} training rows) beats response length alone by >= {MinGainOverLength:F2} AUC averaged over the cut points: gain {F(target.Gain)} [{F(rolling.LearnerGainOverLength.Low)}, {F(rolling.LearnerGainOverLength.High)}]: {(target.Met ? "met" : "not met")}"));
        if (report is not null)
        {
            File.WriteAllText(report.FullName, Training.Report.HtmlReport.Render(outcome.Report, "oasst " + file.Name));
        }

        if (json)
        {
            JsonOutput.WriteLast(new OasstOutput(file.FullName, examples.Count, examples.Count(e => e.Love), corpus.DuplicateMessages, corpus.ConflictingDuplicates, Math.Round(lengthAuc, 5), outcome.Report, rolling, target));
        }

        return 0;
    }

    private static void PrintRolling(RollingOriginResult r)
    {
        static string E(AucEstimate e) => Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{e.Auc:F3} [{e.Low:F3}, {e.High:F3}]"));
        var scorers = r.MeanAuc.Keys.ToList();
        var table = new Table().Title(Markup.Escape($"rolling origin: AUC on the block after each cut, 95 % intervals ({r.Resamples} bootstrap resamples, seed {r.Seed})"))
            .AddColumns(["cut", "test from", "train / calibration / test (loved)", .. scorers]);
        foreach (var f in r.Folds)
        {
            table.AddRow([
                f.Cut.ToString("P0", CultureInfo.InvariantCulture), f.TestFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                $"{f.TrainRows} / {f.CalibrationRows} / {f.TestRows} ({f.TestLoved})",
                .. scorers.Select(s => E(f.Auc[s])),
            ]);
        }

        table.AddRow(["mean", string.Empty, string.Empty, .. scorers.Select(s => E(r.MeanAuc[s]))]);
        AnsiConsole.Write(table);
        if (r.EmbeddingGainOverLength is { } gain)
        {
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{RollingOrigin.Embedding} (sentence vectors of context and response, logistic regression) minus length alone: {gain.Auc:+0.000;-0.000} [{gain.Low:+0.000;-0.000}, {gain.High:+0.000;-0.000}]")));
        }
    }

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
