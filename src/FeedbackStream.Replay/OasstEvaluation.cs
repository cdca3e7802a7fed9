using FeedbackStream.Mining;

namespace FeedbackStream.Replay;

/// <summary>A name and a count, for tallies in results.</summary>
public sealed record Tally(string Name, long Count);

/// <summary>The figures of one <see cref="OasstEvaluation.Run"/>.</summary>
/// <param name="Mapping">What the mapping produced.</param>
/// <param name="Events">Events replayed.</param>
/// <param name="Labels">Responses labelled (all settled).</param>
/// <param name="LabelsWithSignal">Labelled responses with at least one counted signal (confidence above zero).</param>
/// <param name="FollowupPolarity">Labelled responses by follow-up polarity (sat, dsat, neutral; empty = no follow-up).</param>
/// <param name="PairsBySource">Pairs mined, by source.</param>
/// <param name="DroppedByRule">Signals dropped by denoising, by rule.</param>
/// <param name="Baseline">Net <c>+1</c> minus <c>-1</c> counts of the two siblings, straight from the file.</param>
/// <param name="MinedPairs">The pairs the product mined between the two siblings (either direction).</param>
/// <param name="LabelScores">The product's label scores of the two siblings (higher preferred; equal or unlabelled: tie).</param>
/// <param name="Judge">The product's <see cref="PreferenceJudge"/> on the two siblings' labels (unlabelled: tie).</param>
/// <param name="ReweightedByRule">Signals reweighted by denoising, by rule.</param>
/// <param name="Curves">Agreement-coverage curves of the product's judge and of the net-vote baseline on the same pairs.</param>
public sealed record OasstEvaluationResult(
    OasstMappingStats Mapping,
    int Events,
    int Labels,
    int LabelsWithSignal,
    IReadOnlyList<Tally> FollowupPolarity,
    IReadOnlyList<Tally> PairsBySource,
    IReadOnlyList<Tally> DroppedByRule,
    RankAgreement Baseline,
    RankAgreement MinedPairs,
    RankAgreement LabelScores,
    RankAgreement Judge,
    IReadOnlyList<Tally> ReweightedByRule,
    CurveComparison Curves);

/// <summary>
/// Replays an OASST corpus in memory through exactly the product's mining code (<see cref="UserProfiles"/>,
/// <see cref="SignalLabeler"/>, <see cref="SiblingMiner"/>, with the options given), every response settled, and measures
/// the outcome against the human ranks of sibling replies. The ranks are read only here, as the yardstick.
/// </summary>
public static class OasstEvaluation
{
    public const string BaselineName = "baseline: net +1 minus -1";
    public const string MinedPairsName = "mined pairs";
    public const string LabelScoresName = "label scores";
    public const string JudgeName = "preference judge";

    public static OasstEvaluationResult Run(OasstCorpus corpus, IFollowupScorer followups, MiningOptions mining, OasstMappingOptions? mapping = null, CoverageOptions? coverage = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(mining);
        var mapped = OasstEventMapper.Map(corpus, mapping);
        var events = mapped.Events;
        var now = (events.Count == 0 ? DateTimeOffset.UnixEpoch : events[^1].OccurredAt) + mining.SettleWindow + TimeSpan.FromSeconds(1);

        // Stored when they happened: a live product would have had them on time.
        var stored = events.Select(e => new StoredEvent(e, e.OccurredAt)).ToList();
        var (profiles, population) = UserProfiles.Build(events);
        var batch = new SignalLabeler(mining, followups).Label(stored, profiles, population, now);
        var pairs = batch.Pairs.Concat(SiblingMiner.Mine(batch.Labels, mining)).ToList();

        var ranked = corpus.RankedSiblingPairs();
        var baseline = RankAgreement.Measure(BaselineName, ranked, (a, b) => NetVotes(corpus.Find(a)) - NetVotes(corpus.Find(b)));

        var preferred = new Dictionary<(string, string), int>();
        foreach (var pair in pairs)
        {
            preferred[(pair.ChosenResponseId, pair.RejectedResponseId)] = 1;
            preferred.TryAdd((pair.RejectedResponseId, pair.ChosenResponseId), -1);
        }

        var minedJudge = RankAgreement.Measure(MinedPairsName, ranked, (a, b) =>
            preferred.GetValueOrDefault((OasstEventMapper.Token(a), OasstEventMapper.Token(b))));

        var scores = batch.Labels.ToDictionary(l => l.ResponseId, l => l.Score, StringComparer.Ordinal);
        var scoreJudge = RankAgreement.Measure(LabelScoresName, ranked, (a, b) =>
            scores.TryGetValue(OasstEventMapper.Token(a), out var sa) && scores.TryGetValue(OasstEventMapper.Token(b), out var sb) && Math.Abs(sa - sb) > 1e-9 ? sa - sb : 0);

        // The same pairs for both judges, most confident first: the product's judge by |z|, net votes by |difference|.
        var prior = ApprovalPrior.From(batch.Labels);
        var labels = batch.Labels.ToDictionary(l => l.ResponseId, StringComparer.Ordinal);
        Judgment Judge(string a, string b) =>
            labels.TryGetValue(OasstEventMapper.Token(a), out var la) && labels.TryGetValue(OasstEventMapper.Token(b), out var lb)
                ? PreferenceJudge.Compare(la, lb, prior) : new Judgment(0);
        var judge = RankAgreement.Measure(JudgeName, ranked, (a, b) => Judge(a, b).Z);
        var tree = ranked.Select(p => corpus.Find(p.Better)?.MessageTreeId ?? p.ParentId).ToList();
        var productPairs = ranked.Select((p, i) => { var z = Judge(p.Better, p.Worse).Z; return JudgedPair.From(tree[i], z, z); }).ToList();
        var baselinePairs = ranked.Select((p, i) =>
        {
            double net = NetVotes(corpus.Find(p.Better)) - NetVotes(corpus.Find(p.Worse));
            return JudgedPair.From(tree[i], net, net);
        }).ToList();
        var curves = AgreementCoverage.Compare(JudgeName, productPairs, BaselineName, baselinePairs, coverage);

        return new OasstEvaluationResult(
            mapped.Stats,
            events.Count,
            batch.Labels.Count,
            batch.Labels.Count(l => l.Confidence > 0),
            Tallies(batch.Labels.Where(l => l.FollowupPolarity.Length > 0).Select(l => l.FollowupPolarity)),
            Tallies(pairs.Select(p => p.Source)),
            Tallies(batch.Decisions.Where(d => d.Action == DecisionAction.Dropped).Select(d => d.Rule)),
            baseline,
            minedJudge,
            scoreJudge,
            judge,
            Tallies(batch.Decisions.Where(d => d.Action == DecisionAction.Reweighted).Select(d => d.Rule)),
            curves);
    }

    /// <summary>The plain baseline's vote: <c>+1</c> count minus <c>-1</c> count (0 for an unknown message).</summary>
    public static int NetVotes(OasstMessage? message) =>
        message is null ? 0 : message.EmojiCount(OasstEventMapper.Love) - message.EmojiCount(OasstEventMapper.Dislike);

    /// <summary>The plain baseline alone, without mining: what the data README quotes.</summary>
    public static RankAgreement Baseline(OasstCorpus corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return RankAgreement.Measure(BaselineName, corpus.RankedSiblingPairs(), (a, b) => NetVotes(corpus.Find(a)) - NetVotes(corpus.Find(b)));
    }

    private static List<Tally> Tallies(IEnumerable<string> names) =>
        names.GroupBy(n => n, StringComparer.Ordinal).Select(g => new Tally(g.Key, g.LongCount()))
            .OrderByDescending(t => t.Count).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
}
