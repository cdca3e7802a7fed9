using System.Diagnostics;
using FeedbackStream.Followups.Eurtad;
using FeedbackStream.Followups.Lexicon;
using FeedbackStream.Followups.Model;
using FeedbackStream.Followups.Neighbours;
using FeedbackStream.Followups.Seed;
using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Evaluation;

/// <summary>Settings of <see cref="FollowupEvaluation.Run"/>.</summary>
public sealed record FollowupEvaluationOptions
{
    /// <summary>The EURTAD folder; null or absent folder: seed-only training and no EURTAD figures.</summary>
    public string? EurtadDirectory { get; init; }

    public FollowupModelOptions Model { get; init; } = new();

    public double ConfidenceThreshold { get; init; } = CombinedFollowupClassifier.DefaultConfidenceThreshold;

    /// <summary>
    /// Threshold of <c>combined_encoder</c> (the encoder model when its polarity probability reaches it, else the lexicon).
    /// Chosen by cross-validation inside the training parts (<c>eval followups --cv 5</c>, with and without
    /// <c>--cv-reduced-lexicon</c>), not on held-out data: 0.4 keeps the encoder model's verdict where the lexicon is
    /// silent (seed macro F1 0.707 against 0.623 at 0.6 with the reduced lexicon) at nearly the same figures with the
    /// full lexicon.
    /// </summary>
    public double EncoderConfidenceThreshold { get; init; } = 0.4;

    /// <summary>At most this many EURTAD context follow-ups join training (chosen by a salted hash), so the seed set keeps its voice and training stays fast.</summary>
    public int MaxContextTrainingRows { get; init; } = 800;

    /// <summary>Example weight of the weakly labelled EURTAD context rows (seed and reaction rows weigh 1).</summary>
    public float ContextRowWeight { get; init; } = 0.5f;

    /// <summary>
    /// Exponent of the kind-balancing example weight (n_total / (kinds × n_kind))^x: 0 = no balancing, 1 = fully
    /// inverse-frequency, 0.5 = square root. Keeps the many neutral context rows from drowning the rarer kinds.
    /// </summary>
    public double KindBalanceExponent { get; init; } = 0.5;

    /// <summary>Also train and report a model on n-grams alone (no lexicon features), to show what the stacking adds.</summary>
    public bool IncludeNgramOnlyModel { get; init; } = true;

    /// <summary>
    /// When set, also train and report <c>model_encoder</c> (the model's features plus this encoder's sentence vector) and
    /// <c>combined_encoder</c> (it, with the lexicon below the confidence threshold), beside the n-gram models.
    /// </summary>
    public FeedbackStream.Embeddings.ITextEncoder? Encoder { get; init; }

    /// <summary>Settings of the nearest-neighbour classifier reported when <see cref="Encoder"/> is set.</summary>
    public NeighbourOptions Neighbours { get; init; } = new();
}

/// <summary>What the model was trained on.</summary>
public sealed record TrainingSummary(
    string Trainer,
    int Seed,
    int Rows,
    IReadOnlyDictionary<string, int> RowsBySource,
    int ContextRowsLabelledSat,
    int ContextRowsDroppedAsDsat,
    double Seconds);

/// <summary>Figures of one classifier on one evaluation set.</summary>
/// <param name="Classifier"><c>model</c>, <c>lexicon</c>, <c>combined</c> or <c>majority_baseline</c>.</param>
/// <param name="Polarity">Polarity-level report (sat/dsat/neutral on the seed set; dsat/non_dsat on EURTAD).</param>
/// <param name="Kind">Kind-level report, or null for the baseline.</param>
/// <param name="PolarityCalibrationError">Expected calibration error (10 bins) of the chosen polarity's probability.</param>
/// <param name="ModelShare">For <c>combined</c>: the share of items decided by the model.</param>
/// <param name="Breakdown">Polarity accuracy per hard-case tag (seed) or DSAT recall per EURTAD reaction type.</param>
/// <param name="DsatAuc">AUC of P(DSAT) for DSAT items against all others (threshold-free ranking quality), or null for the baseline.</param>
/// <param name="DsatF1Interval">Bootstrap 95 % interval of the DSAT class's F1 (items resampled with replacement).</param>
/// <param name="DsatAucInterval">Bootstrap 95 % interval of <paramref name="DsatAuc"/>.</param>
public sealed record ClassifierFigures(
    string Classifier,
    ClassificationReport Polarity,
    ClassificationReport? Kind,
    double? PolarityCalibrationError,
    double? ModelShare,
    IReadOnlyList<BreakdownFigure> Breakdown,
    double? DsatAuc = null,
    Interval? DsatF1Interval = null,
    Interval? DsatAucInterval = null);

/// <summary>A bootstrap 95 % interval (percentiles of the figure over resamples of the items, fixed seed).</summary>
public sealed record Interval(double Low, double High);

/// <summary>One figure on a subgroup of an evaluation set.</summary>
/// <param name="Group">The subgroup: a hard-case tag, or a EURTAD reaction type.</param>
/// <param name="Items">Items in the subgroup.</param>
/// <param name="Measure"><c>polarity_accuracy</c> or <c>dsat_recall</c>.</param>
/// <param name="Value">The figure.</param>
public sealed record BreakdownFigure(string Group, int Items, string Measure, double Value);

/// <summary>The figures on one evaluation set.</summary>
public sealed record DatasetFigures(string Name, string ComputedOn, int Items, IReadOnlyDictionary<string, int> ItemsByGroup, IReadOnlyList<ClassifierFigures> Classifiers);

/// <summary>Everything <c>feedbackstream eval followups</c> prints.</summary>
public sealed record FollowupEvaluationReport(
    IReadOnlyList<string> Protocol,
    TrainingSummary Training,
    DatasetFigures SeedHoldout,
    DatasetFigures? Eurtad,
    string? EurtadSkippedReason,
    double Seconds);

/// <summary>
/// Trains the follow-up model on the training parts and scores model, lexicon, combined classifier and a majority
/// baseline on (a) the held-back part of the seed set and (b) the EURTAD held-out parts (<see cref="EurtadProtocol"/>).
/// Bounded: training rows are capped and the trainer's iterations are bounded (seconds on two cores).
/// </summary>
public static class FollowupEvaluation
{
    public const string NonDsat = "non_dsat";
    public const string Dsat = "dsat";

    public static FollowupEvaluationReport Run(FollowupEvaluationOptions options, CancellationToken cancellationToken = default) =>
        RunAndKeepModel(options, cancellationToken).Report;

    /// <summary>As <see cref="Run"/>, and also returns the evaluated model (to save and ship it).</summary>
    public static (FollowupEvaluationReport Report, FollowupModel Model) RunAndKeepModel(FollowupEvaluationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var lexicon = LexiconClassifier.Default;
        var (seedTrain, seedHeld) = FollowupSeedSet.Split(FollowupSeedSet.Load());
        var protocol = new List<string>
        {
            $"seed_holdout: the project's seed set (Seed/followups.seed.tsv), {FollowupSeedSet.DefaultHeldOutFraction:P0} of every kind held back by a salted stable hash ('{FollowupSeedSet.DefaultSplitSalt}'); the rest trains. Polarity sat/dsat/neutral and all 19 kinds.",
        };

        EurtadSplit? eurtad = null;
        string? skipped = null;
        if (options.EurtadDirectory is null || !EurtadCorpus.IsPresent(options.EurtadDirectory))
        {
            skipped = $"EURTAD not found at '{options.EurtadDirectory ?? "(no candidate: no FeedbackStream.sln above the working directory and FEEDBACKSTREAM_DATA_DIR unset)"}'; trained on the seed set only.";
        }
        else
        {
            eurtad = EurtadProtocol.Build(EurtadCorpus.Load(options.EurtadDirectory));
            protocol.Add($"eurtad dsat: the {eurtad.TrainDsat.Count + eurtad.EvalDsat.Count} labelled reactions of erroneous_train.jsonl (dev/test have no reaction labels), reaction types mapped to DSAT kinds; {EurtadProtocol.HeldOutFraction:P0} held out by a salted hash of the normalized text ('{EurtadProtocol.DefaultSalt}'), identical texts together.");
            protocol.Add($"eurtad non_dsat: user turns that directly follow a system turn in the contexts of all four files ({eurtad.ContextTurnsSeen} turns, deduplicated by normalized text, {eurtad.ContextTurnsDroppedAsReactions} dropped because the text is also a labelled reaction), split by the same hash rule; assumed not DSAT. Test contexts share their dialogues with non_erroneous_train, so a split by file would leak.");
            protocol.Add("eurtad figures are binary (dsat vs non_dsat; sat and neutral predictions count as non_dsat) and, at kind level, the five mapped DSAT kinds plus non_dsat.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var (trainingRows, weakSat, droppedDsat) = TrainingRows(seedTrain, eurtad, options, lexicon);
        protocol.Add($"training: seed training part + eurtad training parts; context rows weakly labelled by the lexicon (sat kind when it says sat, dropped when it says dsat, else neutral), at most {options.MaxContextTrainingRows}, weight {options.ContextRowWeight}; eurtad reactions one row per distinct (text, kind); every row weighted by (n / (kinds x n_kind))^{options.KindBalanceExponent}.");
        protocol.Add("model: ML.NET FeaturizeText (word 1-2-grams, char 4-grams, TF-IDF, L2) + the lexicon's per-kind rule scores -> multiclass over the 19 kinds; polarity = sum of its kinds' probabilities. model_ngrams_only: the same without the lexicon scores.");
        protocol.Add($"combined: model when p(chosen polarity) >= {options.ConfidenceThreshold:0.00}, else lexicon (threshold fixed in advance and confirmed by cross-validation inside the training parts, not tuned on held-out data).");

        var trainWatch = Stopwatch.StartNew();
        var weights = options.ContextRowWeight;
        var weightOf = RowWeights(trainingRows, options);
        float Weight(LabelledFollowup r) => weightOf(r);
        var model = FollowupModel.Train(trainingRows, options.Model, Weight);
        trainWatch.Stop();
        cancellationToken.ThrowIfCancellationRequested();
        var ngramOnly = options.IncludeNgramOnlyModel ? FollowupModel.Train(trainingRows, options.Model with { UseLexiconFeatures = false }, Weight) : null;
        cancellationToken.ThrowIfCancellationRequested();
        var withEncoder = options.Encoder is null ? null : FollowupModel.Train(trainingRows, options.Model with { Encoder = options.Encoder }, Weight);
        var neighbours = options.Encoder is null ? null : new NeighbourFollowupClassifier(options.Encoder, trainingRows, Weight, options.Neighbours, cancellationToken);
        if (withEncoder is not null)
        {
            protocol.Add($"model_encoder: the model's features plus the sentence vector of {options.Encoder!.ModelName} (x{options.Model.EmbeddingScale}); combined_encoder: it, with the lexicon when its polarity probability is below {options.EncoderConfidenceThreshold:0.00} (chosen by cross-validation inside the training parts).");
            protocol.Add($"neighbours: the {options.Neighbours.K} most similar training rows by cosine of {options.Encoder.ModelName}, votes exp(cos/{options.Neighbours.Temperature}) x row weight; combined_neighbours: combined, except that a neutral verdict is overruled by the neighbours when they give sat or dsat p >= {options.Neighbours.MinProbability} with the closest such row at cos >= {options.Neighbours.MinSimilarity} (fixed in advance).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var training = new TrainingSummary(
            options.Model.Trainer.ToString().ToLowerInvariant(),
            options.Model.Seed,
            trainingRows.Count,
            trainingRows.GroupBy(r => r.Source).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            weakSat,
            droppedDsat,
            Math.Round(trainWatch.Elapsed.TotalSeconds, 2));

        var combined = new CombinedFollowupClassifier(model, lexicon, options.ConfidenceThreshold);
        var combinedEncoder = withEncoder is null ? null : new CombinedFollowupClassifier(withEncoder, lexicon, options.EncoderConfidenceThreshold);
        var majorityPolarity = trainingRows.GroupBy(r => r.Polarity).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        var seedFigures = EvaluateSeed(seedHeld, Outputs(seedHeld, model, ngramOnly, lexicon, combined, withEncoder, neighbours, combinedEncoder), majorityPolarity);
        cancellationToken.ThrowIfCancellationRequested();
        DatasetFigures? eurtadFigures = null;
        if (eurtad is not null)
        {
            var items = eurtad.EvalDsat.Concat(eurtad.EvalNonDsat).ToList();
            eurtadFigures = EvaluateEurtad(eurtad, items, Outputs(items, model, ngramOnly, lexicon, combined, withEncoder, neighbours, combinedEncoder));
        }
        return (new FollowupEvaluationReport(protocol, training, seedFigures, eurtadFigures, skipped, Math.Round(watch.Elapsed.TotalSeconds, 2)), model);
    }

    /// <summary>The model's training rows: seed training part, EURTAD reaction training part, capped weakly labelled context rows.</summary>
    internal static (List<LabelledFollowup> Rows, int WeakSat, int DroppedDsat) TrainingRows(
        IReadOnlyList<LabelledFollowup> seedTrain, EurtadSplit? eurtad, FollowupEvaluationOptions options, LexiconClassifier lexicon)
    {
        var rows = new List<LabelledFollowup>(seedTrain);
        if (eurtad is null)
        {
            return (rows, 0, 0);
        }

        // The same reaction text often recurs with the same type ("what are you talking about?"): keep one row per (text, kind).
        var seen = new HashSet<(string, string)>();
        rows.AddRange(eurtad.TrainDsat.Where(r => seen.Add((FollowupText.Normalize(r.Text), r.Kind))));
        int weakSat = 0, dropped = 0, taken = 0;
        foreach (var row in eurtad.TrainNonDsat.OrderBy(r => StableHash.Of("followups-context-cap", FollowupText.Normalize(r.Text))))
        {
            if (taken >= options.MaxContextTrainingRows)
            {
                break;
            }

            var verdict = lexicon.Classify(row.Text);
            if (verdict.Polarity == Polarity.Dsat)
            {
                dropped++;
                continue;
            }

            if (verdict.Polarity == Polarity.Sat)
            {
                weakSat++;
                rows.Add(row with { Polarity = Polarity.Sat, Kind = verdict.Kind });
            }
            else
            {
                rows.Add(row);
            }

            taken++;
        }

        return (rows, weakSat, dropped);
    }

    /// <summary>Each classifier's outputs on the items, in report order.</summary>
    private static List<(string Name, IReadOnlyList<FollowupClassification> Output)> Outputs(
        IReadOnlyList<LabelledFollowup> items, FollowupModel model, FollowupModel? ngramOnly, LexiconClassifier lexicon, CombinedFollowupClassifier combined, FollowupModel? withEncoder, NeighbourFollowupClassifier? neighbours, CombinedFollowupClassifier? combinedEncoder)
    {
        var texts = items.Select(r => r.Text).ToList();
        var modelOut = model.ClassifyMany(texts);
        var lexiconOut = texts.Select(lexicon.Classify).ToList();
        var outputs = new List<(string, IReadOnlyList<FollowupClassification>)>
        {
            ("model", modelOut),
            ("lexicon", lexiconOut),
            ("combined", modelOut.Zip(lexiconOut, combined.Combine).ToList()),
        };
        if (ngramOnly is not null)
        {
            outputs.Add(("model_ngrams_only", ngramOnly.ClassifyMany(texts)));
        }

        if (withEncoder is not null)
        {
            var encoderOut = withEncoder.ClassifyMany(texts);
            outputs.Add(("model_encoder", encoderOut));
            outputs.Add(("combined_encoder", encoderOut.Zip(lexiconOut, combinedEncoder!.Combine).ToList()));
        }

        if (neighbours is not null)
        {
            var verdicts = neighbours.ClassifyMany(texts);
            var combinedOut = outputs.Single(o => o.Item1 == "combined").Item2;
            outputs.Add(("neighbours", verdicts.Select(v => v.Classification).ToList()));
            outputs.Add(("combined_neighbours", combinedOut.Zip(verdicts, neighbours.Rescue).ToList()));
        }

        return outputs;
    }

    /// <summary>Example weights: context rows at <see cref="FollowupEvaluationOptions.ContextRowWeight"/>, times the kind-balancing factor.</summary>
    public static Func<LabelledFollowup, float> RowWeights(IReadOnlyList<LabelledFollowup> rows, FollowupEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        var source = rows.Select(r => (r.Kind, Weight: r.Source == LabelledFollowup.EurtadContextSource ? options.ContextRowWeight : 1f)).ToList();
        var total = source.Sum(r => r.Weight);
        var byKind = source.GroupBy(r => r.Kind, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(r => r.Weight), StringComparer.Ordinal);
        var factor = byKind.ToDictionary(p => p.Key, p => (float)Math.Pow(total / (byKind.Count * p.Value), options.KindBalanceExponent), StringComparer.Ordinal);
        return r => (r.Source == LabelledFollowup.EurtadContextSource ? options.ContextRowWeight : 1f) * factor[r.Kind];
    }

    private static DatasetFigures EvaluateSeed(
        IReadOnlyList<LabelledFollowup> held, List<(string Name, IReadOnlyList<FollowupClassification> Output)> outputs, Polarity majority)
    {
        var goldPolarity = held.Select(r => r.Polarity.Name()).ToList();
        var goldKind = held.Select(r => r.Kind).ToList();
        string[] polarityLabels = [Polarity.Sat.Name(), Polarity.Dsat.Name(), Polarity.Neutral.Name()];

        ClassifierFigures Figures(string name, IReadOnlyList<FollowupClassification> output, double? modelShare)
        {
            var predictedPolarity = output.Select(o => o.Polarity.Name()).ToList();
            var breakdown = new List<BreakdownFigure>();
            foreach (var tag in held.SelectMany(r => r.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var indices = Enumerable.Range(0, held.Count).Where(i => held[i].Tags.Contains(tag)).ToList();
                breakdown.Add(new BreakdownFigure(tag, indices.Count, "polarity_accuracy", Math.Round(indices.Count(i => predictedPolarity[i] == goldPolarity[i]) / (double)indices.Count, 4)));
            }

            return new ClassifierFigures(
                name,
                Rounded(ClassificationMetrics.Compute(goldPolarity, predictedPolarity, polarityLabels)),
                Rounded(ClassificationMetrics.Compute(goldKind, output.Select(o => o.Kind).ToList(), FollowupKinds.All)),
                Math.Round(ClassificationMetrics.ExpectedCalibrationError(output.Select(o => o.Confidence).ToList(), predictedPolarity.Select((p, i) => p == goldPolarity[i]).ToList()), 4),
                modelShare,
                breakdown,
                Math.Round(ClassificationMetrics.Auc(output.Select(o => o.PDsat).ToList(), held.Select(r => r.Polarity == Polarity.Dsat).ToList()), 4),
                DsatIntervals(held.Select(r => r.Polarity == Polarity.Dsat).ToList(), output).F1,
                DsatIntervals(held.Select(r => r.Polarity == Polarity.Dsat).ToList(), output).Auc);
        }

        var baseline = Enumerable.Repeat(majority.Name(), held.Count).ToList();
        return new DatasetFigures(
            "seed_holdout",
            $"held-back part of the project's seed set: {held.Count} utterances written by the project, never trained on",
            held.Count,
            held.GroupBy(r => r.Polarity.Name()).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            [
                .. outputs.Select(o => Figures(o.Name, o.Output, o.Name.StartsWith("combined", StringComparison.Ordinal) ? ModelShare(o.Output) : null)),
                new ClassifierFigures($"majority_baseline ({majority.Name()})", Rounded(ClassificationMetrics.Compute(goldPolarity, baseline, polarityLabels)), null, null, null, []),
            ]);
    }

    private static DatasetFigures EvaluateEurtad(
        EurtadSplit split, IReadOnlyList<LabelledFollowup> items, List<(string Name, IReadOnlyList<FollowupClassification> Output)> outputs)
    {
        var goldBinary = items.Select(r => r.Polarity == Polarity.Dsat ? Dsat : NonDsat).ToList();
        var goldKind = items.Select(r => r.Polarity == Polarity.Dsat ? r.Kind : NonDsat).ToList();
        var kindLabels = EurtadCorpus.ReactionKinds.Values.Distinct(StringComparer.Ordinal).Append(NonDsat).ToList();

        ClassifierFigures Figures(string name, IReadOnlyList<FollowupClassification> output, double? modelShare)
        {
            var predictedBinary = output.Select(o => o.Polarity == Polarity.Dsat ? Dsat : NonDsat).ToList();
            var predictedKind = output.Select(o => o.Polarity == Polarity.Dsat ? o.Kind : NonDsat).ToList();
            var breakdown = new List<BreakdownFigure>();
            foreach (var group in Enumerable.Range(0, items.Count).Where(i => items[i].Polarity == Polarity.Dsat).GroupBy(i => items[i].Note).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                breakdown.Add(new BreakdownFigure(group.Key, group.Count(), "dsat_recall", Math.Round(group.Count(i => predictedBinary[i] == Dsat) / (double)group.Count(), 4)));
            }

            var confidence = output.Select(o => Math.Max(o.PDsat, 1 - o.PDsat)).ToList();
            return new ClassifierFigures(
                name,
                Rounded(ClassificationMetrics.Compute(goldBinary, predictedBinary, [Dsat, NonDsat])),
                Rounded(ClassificationMetrics.Compute(goldKind, predictedKind, kindLabels)),
                Math.Round(ClassificationMetrics.ExpectedCalibrationError(confidence, predictedBinary.Select((p, i) => p == goldBinary[i]).ToList()), 4),
                modelShare,
                breakdown,
                Math.Round(ClassificationMetrics.Auc(output.Select(o => o.PDsat).ToList(), goldBinary.Select(g => g == Dsat).ToList()), 4),
                DsatIntervals(goldBinary.Select(g => g == Dsat).ToList(), output).F1,
                DsatIntervals(goldBinary.Select(g => g == Dsat).ToList(), output).Auc);
        }

        var baseline = Enumerable.Repeat(NonDsat, items.Count).ToList();
        return new DatasetFigures(
            "eurtad_holdout",
            $"EURTAD held out: {split.EvalDsat.Count} reactions to erroneous turns from erroneous_train.jsonl (dsat) + {split.EvalNonDsat.Count} unique user turns after system turns in the contexts of all four files (non_dsat); dev/test carry no reaction labels",
            items.Count,
            new Dictionary<string, int> { [Dsat] = split.EvalDsat.Count, [NonDsat] = split.EvalNonDsat.Count },
            [
                .. outputs.Select(o => Figures(o.Name, o.Output, o.Name.StartsWith("combined", StringComparison.Ordinal) ? ModelShare(o.Output) : null)),
                new ClassifierFigures($"majority_baseline ({NonDsat})", Rounded(ClassificationMetrics.Compute(goldBinary, baseline, [Dsat, NonDsat])), null, null, null, []),
            ]);
    }

    /// <summary>Resamples of the items for the bootstrap intervals (fixed seed: same data, same intervals).</summary>
    public const int BootstrapResamples = 500;

    /// <summary>Bootstrap 95 % intervals of the DSAT F1 and of the AUC of P(DSAT).</summary>
    internal static (Interval F1, Interval Auc) DsatIntervals(IReadOnlyList<bool> gold, IReadOnlyList<FollowupClassification> output)
    {
        var random = new Random(29);
        var f1 = new List<double>(BootstrapResamples);
        var auc = new List<double>(BootstrapResamples);
        var n = gold.Count;
        for (var r = 0; r < BootstrapResamples && n > 0; r++)
        {
            var index = new int[n];
            for (var i = 0; i < n; i++)
            {
                index[i] = random.Next(n);
            }

            int tp = 0, fp = 0, fn = 0;
            foreach (var i in index)
            {
                var predicted = output[i].Polarity == Polarity.Dsat;
                tp += predicted && gold[i] ? 1 : 0;
                fp += predicted && !gold[i] ? 1 : 0;
                fn += !predicted && gold[i] ? 1 : 0;
            }

            f1.Add(tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn));
            var a = ClassificationMetrics.Auc(index.Select(i => output[i].PDsat).ToList(), index.Select(i => gold[i]).ToList());
            if (!double.IsNaN(a))
            {
                auc.Add(a);
            }
        }

        return (Percentiles(f1), Percentiles(auc));
    }

    private static Interval Percentiles(List<double> values)
    {
        if (values.Count == 0)
        {
            return new Interval(double.NaN, double.NaN);
        }

        values.Sort();
        return new Interval(Math.Round(values[(int)(0.025 * (values.Count - 1))], 4), Math.Round(values[(int)Math.Ceiling(0.975 * (values.Count - 1))], 4));
    }

    private static ClassificationReport Rounded(ClassificationReport report) => report with
    {
        PerClass = report.PerClass.Select(c => c with { Precision = Math.Round(c.Precision, 4), Recall = Math.Round(c.Recall, 4), F1 = Math.Round(c.F1, 4) }).ToList(),
        MacroPrecision = Math.Round(report.MacroPrecision, 4),
        MacroRecall = Math.Round(report.MacroRecall, 4),
        MacroF1 = Math.Round(report.MacroF1, 4),
        Accuracy = Math.Round(report.Accuracy, 4),
    };

    private static double ModelShare(IReadOnlyList<FollowupClassification> output) =>
        output.Count == 0 ? 0 : Math.Round(output.Count(o => o.Method != FollowupClassification.LexiconMethod) / (double)output.Count, 4);
}
