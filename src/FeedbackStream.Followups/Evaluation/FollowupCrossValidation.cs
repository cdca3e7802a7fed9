using FeedbackStream.Followups.Eurtad;
using FeedbackStream.Followups.Lexicon;
using FeedbackStream.Followups.Model;
using FeedbackStream.Followups.Seed;
using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Evaluation;

/// <summary>One training-part item scored by a model that did not train on it.</summary>
/// <param name="Row">The labelled item (seed training part, or EURTAD training part).</param>
/// <param name="Fold">Its fold.</param>
/// <param name="Model">The n-gram + lexicon model's verdict.</param>
/// <param name="Lexicon">The lexicon's verdict (no training: the same in every fold).</param>
/// <param name="Encoder">The model with the sentence vector, when an encoder was given.</param>
public sealed record CrossValidatedItem(LabelledFollowup Row, int Fold, FollowupClassification Model, FollowupClassification Lexicon, FollowupClassification? Encoder);

/// <summary>A figure of one way of deciding on the cross-validated items.</summary>
/// <param name="Classifier">e.g. <c>model</c>, <c>lexicon</c>, <c>combined@0.60</c>, <c>blend@0.50</c>.</param>
/// <param name="SeedMacroF1">Polarity macro F1 (sat/dsat/neutral) on the seed training part.</param>
/// <param name="SeedDsatAuc">AUC of P(DSAT) on the seed training part.</param>
/// <param name="EurtadDsatPrecision">DSAT precision on the EURTAD training part (dsat vs non_dsat), or null without EURTAD.</param>
/// <param name="EurtadDsatRecall">DSAT recall on it.</param>
/// <param name="EurtadDsatF1">DSAT F1 on it.</param>
/// <param name="EurtadDsatAuc">AUC of P(DSAT) on it.</param>
/// <param name="SeedAccuracyWhereLexiconNeutral">Polarity accuracy on the seed items the lexicon calls neutral: where the rules are silent or unsure, the model's own reading is what counts.</param>
public sealed record CrossValidationFigure(
    string Classifier,
    double SeedMacroF1,
    double SeedDsatAuc,
    double? EurtadDsatPrecision,
    double? EurtadDsatRecall,
    double? EurtadDsatF1,
    double? EurtadDsatAuc,
    double SeedAccuracyWhereLexiconNeutral);

/// <summary>What <see cref="FollowupCrossValidation.Run"/> computed.</summary>
public sealed record CrossValidationReport(int Folds, int SeedItems, int EurtadDsatItems, int EurtadNonDsatItems, IReadOnlyList<CrossValidationFigure> Figures, IReadOnlyList<CrossValidatedItem> Items, double Seconds);

/// <summary>
/// K-fold cross-validation inside the training parts only (the seed training part and the EURTAD training parts; the
/// held-back seed part and the EURTAD held-out parts are never read): every training-part row is given a fold by a salted
/// stable hash of its normalized text, k models are trained each without one fold (on the same row recipe as
/// <see cref="FollowupEvaluation"/>), and each fold is scored by the model that did not see it. Choices of the
/// classifier (rules, how model and lexicon are combined, thresholds) are made on these figures, and the held-out
/// figures are read once, after.
/// The lexicon was written while reading the seed training part, so its figures here (and the model's, which stacks on
/// it) flatter it; the EURTAD training part is the less biased of the two.
/// </summary>
public static class FollowupCrossValidation
{
    public const string DefaultSalt = "followups-cv-v1";

    /// <summary>Confidence thresholds of <see cref="CombinedFollowupClassifier"/> reported.</summary>
    public static IReadOnlyList<double> Thresholds { get; } = [0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01];

    /// <summary>Model weights of the probability blends reported (w x model + (1 - w) x lexicon).</summary>
    public static IReadOnlyList<double> Blends { get; } = [0.25, 0.5, 0.75];

    /// <summary>
    /// The weighted mean of two verdicts' polarity probabilities; the kind and evidence of the one that agrees with the
    /// mean's polarity (the model when both or neither do; neither: the polarity's most generic kind).
    /// </summary>
    public static FollowupClassification Blend(FollowupClassification model, FollowupClassification lexicon, double modelWeight)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lexicon);
        var sat = (modelWeight * model.PSat) + ((1 - modelWeight) * lexicon.PSat);
        var dsat = (modelWeight * model.PDsat) + ((1 - modelWeight) * lexicon.PDsat);
        var neutral = (modelWeight * model.PNeutral) + ((1 - modelWeight) * lexicon.PNeutral);
        var polarity = sat > dsat && sat > neutral ? Polarity.Sat : dsat > neutral && dsat >= sat ? Polarity.Dsat : Polarity.Neutral;
        var source = model.Polarity == polarity || lexicon.Polarity != polarity ? model : lexicon;
        var kind = polarity == Polarity.Neutral ? FollowupKinds.Neutral
            : source.Polarity == polarity ? source.Kind
            : polarity == Polarity.Sat ? FollowupKinds.Acknowledgment : FollowupKinds.NegativeFeedback;
        return source with { Polarity = polarity, Kind = kind, PSat = sat, PDsat = dsat, PNeutral = neutral };
    }

    /// <param name="options">Training recipe (as in <see cref="FollowupEvaluation"/>).</param>
    /// <param name="folds">Number of folds.</param>
    /// <param name="salt">Salt of the fold hash.</param>
    /// <param name="reduceLexicon">
    /// Per fold, keep only the table phrases that fire on at least one training row outside the fold: the lexicon then
    /// knows the scored fold only through phrases other rows also use, as it knows the held-out parts. Without this the
    /// seed figures are in-sample for the lexicon (it was written on those rows).
    /// </param>
    /// <param name="cancellationToken">Stops between folds.</param>
    public static CrossValidationReport Run(FollowupEvaluationOptions options, int folds = 5, string salt = DefaultSalt, bool reduceLexicon = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var lexicon = LexiconClassifier.Default;
        var (seedTrain, _) = FollowupSeedSet.Split(FollowupSeedSet.Load());
        EurtadSplit? eurtad = options.EurtadDirectory is not null && EurtadCorpus.IsPresent(options.EurtadDirectory)
            ? EurtadProtocol.Build(EurtadCorpus.Load(options.EurtadDirectory))
            : null;

        int FoldOf(LabelledFollowup row) => (int)(StableHash.Of(salt, FollowupText.Normalize(row.Text)) % (ulong)folds);

        var items = new List<CrossValidatedItem>();
        for (var fold = 0; fold < folds; fold++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var seedIn = seedTrain.Where(r => FoldOf(r) != fold).ToList();
            var seedOut = seedTrain.Where(r => FoldOf(r) == fold).ToList();
            EurtadSplit? eurtadIn = null;
            var eurtadOut = new List<LabelledFollowup>();
            if (eurtad is not null)
            {
                eurtadIn = eurtad with
                {
                    TrainDsat = eurtad.TrainDsat.Where(r => FoldOf(r) != fold).ToList(),
                    TrainNonDsat = eurtad.TrainNonDsat.Where(r => FoldOf(r) != fold).ToList(),
                };
                eurtadOut.AddRange(eurtad.TrainDsat.Where(r => FoldOf(r) == fold));
                eurtadOut.AddRange(eurtad.TrainNonDsat.Where(r => FoldOf(r) == fold));
            }

            var foldLexicon = reduceLexicon ? ReducedLexicon(seedIn.Concat(eurtadIn?.TrainDsat ?? []).Concat(eurtadIn?.TrainNonDsat ?? [])) : lexicon;
            var (rows, _, _) = FollowupEvaluation.TrainingRows(seedIn, eurtadIn, options, foldLexicon);
            var weight = FollowupEvaluation.RowWeights(rows, options);
            var modelOptions = options.Model with { Lexicon = foldLexicon };
            var model = FollowupModel.Train(rows, modelOptions, weight);
            var withEncoder = options.Encoder is null ? null : FollowupModel.Train(rows, modelOptions with { Encoder = options.Encoder }, weight);
            var scored = seedOut.Concat(eurtadOut).ToList();
            var texts = scored.Select(r => r.Text).ToList();
            var modelOut = model.ClassifyMany(texts);
            var encoderOut = withEncoder?.ClassifyMany(texts);
            for (var i = 0; i < scored.Count; i++)
            {
                items.Add(new CrossValidatedItem(scored[i], fold, modelOut[i], foldLexicon.Classify(scored[i].Text), encoderOut?[i]));
            }
        }

        var figures = new List<CrossValidationFigure>
        {
            Figure("model", items, i => i.Model),
            Figure("lexicon", items, i => i.Lexicon),
        };
        foreach (var threshold in Thresholds)
        {
            var combined = new CombinedFollowupClassifier(null, null, Math.Min(threshold, 1.0));
            figures.Add(Figure($"combined@{threshold:0.00}", items, i => threshold > 1 ? i.Lexicon : combined.Combine(i.Model, i.Lexicon)));
        }

        foreach (var w in Blends)
        {
            figures.Add(Figure($"blend@{w:0.00}", items, i => Blend(i.Model, i.Lexicon, w)));
        }

        if (options.Encoder is not null)
        {
            figures.Add(Figure("model_encoder", items, i => i.Encoder!));
            foreach (var w in Blends)
            {
                figures.Add(Figure($"blend_encoder@{w:0.00}", items, i => Blend(i.Encoder!, i.Lexicon, w)));
            }

            foreach (var threshold in Thresholds)
            {
                var combined = new CombinedFollowupClassifier(null, null, Math.Min(threshold, 1.0));
                figures.Add(Figure($"combined_encoder@{threshold:0.00}", items, i => threshold > 1 ? i.Lexicon : combined.Combine(i.Encoder!, i.Lexicon)));
            }
        }

        return new CrossValidationReport(
            folds,
            items.Count(i => i.Row.Source == LabelledFollowup.SeedSource),
            items.Count(i => i.Row.Source == LabelledFollowup.EurtadReactionSource),
            items.Count(i => i.Row.Source == LabelledFollowup.EurtadContextSource),
            figures,
            items,
            Math.Round(watch.Elapsed.TotalSeconds, 2));
    }

    /// <summary>The lexicon restricted to the table phrases that fire (are counted) on at least one of <paramref name="rows"/>.</summary>
    internal static LexiconClassifier ReducedLexicon(IEnumerable<LabelledFollowup> rows)
    {
        var used = new HashSet<LexiconPhrase>(ReferenceEqualityComparer.Instance);
        foreach (var row in rows)
        {
            used.UnionWith(LexiconClassifier.Default.Analyze(row.Text).Matches.Select(m => m.Phrase));
        }

        return new LexiconClassifier(used.Contains);
    }

    /// <summary>The figures of one way of deciding, on the seed and EURTAD cross-validated items.</summary>
    public static CrossValidationFigure Figure(string name, IReadOnlyList<CrossValidatedItem> items, Func<CrossValidatedItem, FollowupClassification> decide)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(decide);
        var seed = items.Where(i => i.Row.Source == LabelledFollowup.SeedSource).ToList();
        var seedOut = seed.Select(decide).ToList();
        var seedReport = ClassificationMetrics.Compute(
            seed.Select(i => i.Row.Polarity.Name()).ToList(),
            seedOut.Select(o => o.Polarity.Name()).ToList(),
            [Polarity.Sat.Name(), Polarity.Dsat.Name(), Polarity.Neutral.Name()]);
        var seedAuc = ClassificationMetrics.Auc(seedOut.Select(o => o.PDsat).ToList(), seed.Select(i => i.Row.Polarity == Polarity.Dsat).ToList());
        var silent = Enumerable.Range(0, seed.Count).Where(i => seed[i].Lexicon.Polarity == Polarity.Neutral).ToList();
        var silentAccuracy = silent.Count == 0 ? 0 : Math.Round(silent.Count(i => seedOut[i].Polarity == seed[i].Row.Polarity) / (double)silent.Count, 4);

        var eurtad = items.Where(i => i.Row.Source != LabelledFollowup.SeedSource).ToList();
        if (eurtad.Count == 0)
        {
            return new CrossValidationFigure(name, Math.Round(seedReport.MacroF1, 4), Math.Round(seedAuc, 4), null, null, null, null, silentAccuracy);
        }

        var eurtadOut = eurtad.Select(decide).ToList();
        var gold = eurtad.Select(i => i.Row.Polarity == Polarity.Dsat).ToList();
        var report = ClassificationMetrics.Compute(
            gold.Select(g => g ? FollowupEvaluation.Dsat : FollowupEvaluation.NonDsat).ToList(),
            eurtadOut.Select(o => o.Polarity == Polarity.Dsat ? FollowupEvaluation.Dsat : FollowupEvaluation.NonDsat).ToList(),
            [FollowupEvaluation.Dsat, FollowupEvaluation.NonDsat]);
        var dsat = report.PerClass[0];
        return new CrossValidationFigure(
            name,
            Math.Round(seedReport.MacroF1, 4),
            Math.Round(seedAuc, 4),
            Math.Round(dsat.Precision, 4),
            Math.Round(dsat.Recall, 4),
            Math.Round(dsat.F1, 4),
            Math.Round(ClassificationMetrics.Auc(eurtadOut.Select(o => o.PDsat).ToList(), gold), 4),
            silentAccuracy);
    }
}
