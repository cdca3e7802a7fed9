using System.CommandLine;
using FeedbackStream.Embeddings;
using FeedbackStream.Embeddings.MiniLm;
using FeedbackStream.Followups;
using FeedbackStream.Followups.Eurtad;
using FeedbackStream.Followups.Evaluation;
using FeedbackStream.Followups.Model;
using FeedbackStream.Hosting;
using Spectre.Console;

namespace FeedbackStream.Evaluation;

/// <summary>
/// <c>feedbackstream eval followups</c>: trains the follow-up (SAT/DSAT) classifier on the training parts and prints
/// per-class precision, recall and F1 of the model, the lexicon and the combined classifier on the held-back seed part
/// and on EURTAD's held-out parts, saying what each figure is computed on.
/// </summary>
internal static class FollowupCommands
{
    public static Command CreateEval()
    {
        var eurtad = new Option<string?>("--eurtad")
        {
            Description = "EURTAD folder (JSONL). Default: $FEEDBACKSTREAM_DATA_DIR/eurtad, else ../shared/data/eurtad beside the repository root (the folder holding FeedbackStream.sln).",
        };
        var trainer = new Option<string>("--trainer") { Description = "Learner on top of the text features.", DefaultValueFactory = _ => "sdca" };
        trainer.AcceptOnlyFromAmong("sdca", "lbfgs", "lightgbm");
        var seed = new Option<int>("--seed") { Description = "Training seed (same seed, same predictions).", DefaultValueFactory = _ => new FollowupModelOptions().Seed };
        var saveModel = new Option<FileInfo?>("--save-model") { Description = "Also write the trained model (ML.NET zip) to this file." };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long.", DefaultValueFactory = _ => TimeSpan.FromMinutes(5) };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object on the last line." };
        var encoder = new Option<string>("--encoder")
        {
            Description = "minilm: also train and report model_encoder / combined_encoder (n-grams + lexicon + the all-MiniLM-L6-v2 sentence vector, on ONNX Runtime); none: the n-gram and lexicon classifiers only.",
            DefaultValueFactory = _ => "minilm",
        };
        encoder.AcceptOnlyFromAmong("minilm", "none");
        var embeddingScale = new Option<float>("--embedding-scale") { Description = "Multiplier of the unit sentence vector beside the L2-normalised n-grams.", DefaultValueFactory = _ => new FollowupModelOptions().EmbeddingScale };
        var dropout = new Option<bool>("--lexicon-dropout") { Description = "With an encoder, also train on every row with the lexicon scores zeroed.", DefaultValueFactory = _ => new FollowupModelOptions().LexiconDropout };
        var ngramDropout = new Option<bool>("--ngram-lexicon-dropout") { Description = "Also train the n-gram model (no encoder) on every row with the lexicon scores zeroed.", DefaultValueFactory = _ => new FollowupModelOptions().NgramLexiconDropout };
        var kindBalance = new Option<double>("--kind-balance") { Description = "Exponent of the kind-balancing row weight (0 none, 0.5 square root, 1 inverse frequency).", DefaultValueFactory = _ => new FollowupEvaluationOptions().KindBalanceExponent };
        var threshold = new Option<double>("--threshold") { Description = "Confidence threshold of the combined classifier.", DefaultValueFactory = _ => CombinedFollowupClassifier.DefaultConfidenceThreshold };
        var cv = new Option<int>("--cv")
        {
            Description = "Instead of the held-out figures: k-fold cross-validation inside the training parts only (seed training part and EURTAD training parts), for choosing rules and settings. 0: off.",
            DefaultValueFactory = _ => 0,
        };
        var cvReduced = new Option<bool>("--cv-reduced-lexicon") { Description = "With --cv: per fold, keep only the lexicon phrases that fire on training rows outside the fold (the lexicon was written on the seed training part, so otherwise its seed figures are in-sample)." };
        var cvErrors = new Option<bool>("--cv-errors") { Description = "With --cv: also list the training-part items the combined classifier gets wrong." };
        var command = new Command("followups", "Train the follow-up SAT/DSAT classifier and report precision/recall/F1 on held-out seed and EURTAD data.")
        {
            eurtad, trainer, seed, saveModel, timeout, json, encoder, embeddingScale, dropout, ngramDropout, kindBalance, threshold, cv, cvReduced, cvErrors,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var explicitDirectory = parse.GetValue(eurtad);
            var directory = explicitDirectory ?? FollowupDataLocator.FindEurtad();
            if (explicitDirectory is not null && !EurtadCorpus.IsPresent(explicitDirectory))
            {
                await Console.Error.WriteLineAsync($"--eurtad '{explicitDirectory}' does not hold {string.Join(", ", EurtadCorpus.Files)}.");
                return 2;
            }

            using var sentenceEncoder = parse.GetValue(encoder) == "minilm" ? new MiniLmTextEncoder(new TextEncoderOptions { MaxTokens = 128, CacheCapacity = 0 }) : null;
            var options = new FollowupEvaluationOptions
            {
                EurtadDirectory = directory,
                Model = new FollowupModelOptions { Seed = parse.GetValue(seed), Trainer = Enum.Parse<FollowupTrainer>(parse.GetValue(trainer)!, ignoreCase: true), EmbeddingScale = parse.GetValue(embeddingScale), LexiconDropout = parse.GetValue(dropout), NgramLexiconDropout = parse.GetValue(ngramDropout) },
                KindBalanceExponent = parse.GetValue(kindBalance),
                ConfidenceThreshold = parse.GetValue(threshold),
                Encoder = sentenceEncoder is null ? null : new CachingTextEncoder(sentenceEncoder, 50_000),
            };

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(parse.GetValue(timeout));
            var folds = parse.GetValue(cv);
            if (folds != 0)
            {
                if (folds < 2)
                {
                    await Console.Error.WriteLineAsync($"--cv {folds}: give at least 2 folds (or 0 for the held-out figures).");
                    return 2;
                }

                CrossValidationReport cvReport;
                try
                {
                    cvReport = await Task.Run(() => FollowupCrossValidation.Run(options, folds, reduceLexicon: parse.GetValue(cvReduced), cancellationToken: deadline.Token), deadline.Token).WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await Console.Error.WriteLineAsync($"eval followups --cv did not finish within {parse.GetValue(timeout)}.");
                    return 1;
                }

                PrintCrossValidation(cvReport, options.ConfidenceThreshold, parse.GetValue(cvErrors));
                if (parse.GetValue(json))
                {
                    JsonOutput.WriteLast(new { EurtadDirectory = directory, CrossValidation = cvReport with { Items = [] } });
                }

                return 0;
            }

            FollowupEvaluationReport report;
            FollowupModel model;
            try
            {
                (report, model) = await Task.Run(() => FollowupEvaluation.RunAndKeepModel(options, deadline.Token), deadline.Token).WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"eval followups did not finish within {parse.GetValue(timeout)}.");
                return 1;
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            console.Profile.Width = Math.Max(console.Profile.Width, 132);
            Print(console, report, directory);
            var modelFile = parse.GetValue(saveModel);
            if (modelFile is not null)
            {
                await using (var stream = modelFile.Create())
                {
                    model.Save(stream);
                }

                console.MarkupLine($"[grey]model written to {Markup.Escape(modelFile.FullName)}[/]");
            }

            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new { EurtadDirectory = directory, Report = report, SavedModel = modelFile?.FullName });
            }

            return 0;
        });
        return command;
    }

    private static void PrintCrossValidation(CrossValidationReport report, double threshold, bool errors)
    {
        Console.WriteLine($"cross-validation inside the training parts only ({report.Folds} folds by a salted hash of the normalized text; held-out parts not read): seed {report.SeedItems}, eurtad dsat {report.EurtadDsatItems}, eurtad non_dsat {report.EurtadNonDsatItems}; {report.Seconds} s");
        Console.WriteLine($"{"classifier",-28} {"seed macroF1",12} {"seed AUC",9} {"seed acc lex-neutral",21} {"eurtad dsat P",14} {"R",6} {"F1",6} {"AUC",6}");
        foreach (var f in report.Figures)
        {
            Console.WriteLine($"{f.Classifier,-28} {F(f.SeedMacroF1),12} {F(f.SeedDsatAuc),9} {F(f.SeedAccuracyWhereLexiconNeutral),21} {N(f.EurtadDsatPrecision),14} {N(f.EurtadDsatRecall),6} {N(f.EurtadDsatF1),6} {N(f.EurtadDsatAuc),6}");
        }

        if (!errors)
        {
            return;
        }

        var combined = new CombinedFollowupClassifier(null, confidenceThreshold: threshold);
        foreach (var item in report.Items)
        {
            var verdict = combined.Combine(item.Model, item.Lexicon);
            var gold = item.Row.Polarity;
            var wrong = item.Row.Source == LabelledFollowup.SeedSource
                ? verdict.Polarity != gold
                : (verdict.Polarity == Polarity.Dsat) != (gold == Polarity.Dsat);
            if (wrong)
            {
                Console.WriteLine($"ERR {item.Row.Source} gold={gold.Name()}/{item.Row.Kind} combined={verdict.Polarity.Name()}/{verdict.Kind} model={item.Model.Polarity.Name()} {F(item.Model.Confidence)} lexicon={item.Lexicon.Polarity.Name()} {F(item.Lexicon.Confidence)} | {item.Row.Text} | {string.Join("; ", item.Lexicon.Evidence)}");
            }
        }
    }

    private static string N(double? value) => value is { } v ? F(v) : "-";

    private static void Print(IAnsiConsole console, FollowupEvaluationReport report, string? directory)
    {
        console.MarkupLine("[bold]What each figure is computed on[/]");
        foreach (var line in report.Protocol)
        {
            console.MarkupLine($"  - {Markup.Escape(line)}");
        }

        if (report.EurtadSkippedReason is not null)
        {
            console.MarkupLine($"[yellow]  - {Markup.Escape(report.EurtadSkippedReason)}[/]");
        }

        var t = report.Training;
        console.MarkupLine(
            $"[grey]training: {t.Trainer} seed={t.Seed}, {t.Rows} rows ({Markup.Escape(string.Join(", ", t.RowsBySource.Select(p => $"{p.Key} {p.Value}")))}; " +
            $"{t.ContextRowsLabelledSat} context rows weak-labelled sat, {t.ContextRowsDroppedAsDsat} dropped as lexicon-dsat), {t.Seconds} s; data: {Markup.Escape(directory ?? "(none)")}[/]");

        PrintDataset(console, report.SeedHoldout);
        if (report.Eurtad is not null)
        {
            PrintDataset(console, report.Eurtad);
        }

        console.MarkupLine($"[grey]total {report.Seconds} s[/]");
    }

    private static void PrintDataset(IAnsiConsole console, DatasetFigures figures)
    {
        console.WriteLine();
        console.MarkupLine($"[bold]{Markup.Escape(figures.Name)}[/]: {Markup.Escape(figures.ComputedOn)} ({Markup.Escape(string.Join(", ", figures.ItemsByGroup.Select(p => $"{p.Key} {p.Value}")))})");

        var polarity = new Table().Title("polarity level").AddColumns("classifier", "class", "precision", "recall", "F1", "support", "predicted", "accuracy, calibration (ECE), AUC of P(DSAT), share decided by the model");
        foreach (var classifier in figures.Classifiers)
        {
            foreach (var c in classifier.Polarity.PerClass)
            {
                polarity.AddRow(Markup.Escape(classifier.Classifier), c.Label, F(c.Precision), F(c.Recall), F(c.F1), $"{c.Support}", $"{c.Predicted}", string.Empty);
            }

            var extra = classifier.PolarityCalibrationError is { } ece ? $", ECE {F(ece)}" : string.Empty;
            extra += classifier.DsatAuc is { } auc ? $", AUC of P(DSAT) {F(auc)}" + (classifier.DsatAucInterval is { } ai ? $" [{F(ai.Low)}, {F(ai.High)}]" : string.Empty) : string.Empty;
            extra += classifier.DsatF1Interval is { } fi ? $", DSAT F1 95 % [{F(fi.Low)}, {F(fi.High)}]" : string.Empty;
            extra += classifier.ModelShare is { } share ? $", model {share.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)}" : string.Empty;
            polarity.AddRow(
                $"[bold]{Markup.Escape(classifier.Classifier)}[/]",
                "[bold]macro[/]",
                $"[bold]{F(classifier.Polarity.MacroPrecision)}[/]",
                $"[bold]{F(classifier.Polarity.MacroRecall)}[/]",
                $"[bold]{F(classifier.Polarity.MacroF1)}[/]",
                $"{classifier.Polarity.Total}",
                string.Empty,
                // The intervals' brackets are text, not markup.
                Markup.Escape($"acc {F(classifier.Polarity.Accuracy)}{extra}"));
        }

        console.Write(polarity);

        var scored = figures.Classifiers.Where(c => c.Kind is not null).ToList();
        if (scored.Count > 0)
        {
            var kind = new Table().Title("kind level: precision / recall / F1 (support < 5: too few to read)").AddColumn("kind").AddColumn("support");
            foreach (var classifier in scored)
            {
                kind.AddColumn(Markup.Escape(classifier.Classifier));
            }

            var labels = scored[0].Kind!.PerClass;
            for (var i = 0; i < labels.Count; i++)
            {
                var support = labels[i].Support;
                var cells = new List<string> { support < 5 ? $"[grey]{labels[i].Label}[/]" : labels[i].Label, $"{support}" };
                cells.AddRange(scored.Select(c => c.Kind!.PerClass[i]).Select(c => $"{F(c.Precision)} / {F(c.Recall)} / {F(c.F1)}"));
                kind.AddRow(cells.ToArray());
            }

            var macro = new List<string> { "[bold]macro[/]", $"{scored[0].Kind!.Total}" };
            macro.AddRange(scored.Select(c => $"[bold]{F(c.Kind!.MacroPrecision)} / {F(c.Kind.MacroRecall)} / {F(c.Kind.MacroF1)}[/] acc {F(c.Kind.Accuracy)}"));
            kind.AddRow(macro.ToArray());
            console.Write(kind);

            var groups = scored[0].Breakdown;
            if (groups.Count > 0)
            {
                var breakdown = new Table().Title(groups[0].Measure == "dsat_recall" ? "DSAT recall by EURTAD reaction type" : "polarity accuracy on hard cases (seed tags)").AddColumn("group").AddColumn("items");
                foreach (var classifier in scored)
                {
                    breakdown.AddColumn(Markup.Escape(classifier.Classifier));
                }

                for (var i = 0; i < groups.Count; i++)
                {
                    var cells = new List<string> { Markup.Escape(groups[i].Group), $"{groups[i].Items}" };
                    cells.AddRange(scored.Select(c => F(c.Breakdown[i].Value)));
                    breakdown.AddRow(cells.ToArray());
                }

                console.Write(breakdown);
            }
        }
    }

    private static string F(double value) => value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
}
