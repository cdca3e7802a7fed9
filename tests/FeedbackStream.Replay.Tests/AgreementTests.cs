using FeedbackStream.Mining;

namespace FeedbackStream.Replay.Tests;

public sealed class AgreementTests
{
    /// <summary>Says "sat" for thanks, neutral otherwise.</summary>
    private sealed class ThanksScorer : IFollowupScorer
    {
        public FollowupScore Score(string text) => text.Contains("thank", StringComparison.OrdinalIgnoreCase)
            ? new FollowupScore(0.9, 0.05, "sat", "gratitude")
            : new FollowupScore(0.1, 0.1, "neutral", "");
    }

    [Fact]
    public void Measure_CountsAgreeDisagreeTies_AgreementOverDecided_CoverageOverAll()
    {
        var pairs = new[]
        {
            new RankedPair("p", "a", "b"), new RankedPair("p", "a", "c"), new RankedPair("p", "b", "c"),
            new RankedPair("q", "d", "e"), new RankedPair("r", "f", "g"),
        };
        var score = new Dictionary<string, double> { ["a"] = 2, ["b"] = 1, ["c"] = 1, ["d"] = -1, ["e"] = 0, ["f"] = 3, ["g"] = 0 };
        var result = RankAgreement.Measure("hand", pairs, (x, y) => score[x] - score[y]);
        Assert.Equal((5, 3, 1, 1), (result.Pairs, result.Agree, result.Disagree, result.Ties));
        Assert.Equal(4, result.Decided);
        Assert.Equal(0.75, result.Agreement, 10);
        Assert.Equal(0.8, result.Coverage, 10);
        Assert.Equal(0, RankAgreement.Measure("none", [], (_, _) => 1).Agreement);
    }

    [Fact]
    public void Baseline_IsNetVotes()
    {
        // a2 (+3) against a1 (+1 -2): the baseline prefers a2, as the human rank does.
        var result = OasstEvaluation.Baseline(Fixtures.Corpus(Fixtures.Flat));
        Assert.Equal((1, 1, 0, 0), (result.Pairs, result.Agree, result.Disagree, result.Ties));
    }

    [Fact]
    public void Evaluation_RunsTheProductsMining_OnTheFixture()
    {
        var result = OasstEvaluation.Run(Fixtures.Corpus(Fixtures.Flat), new ThanksScorer(), new MiningOptions());
        Assert.Equal(4, result.Labels);
        Assert.Equal(result.Mapping.Responses, result.Labels);
        Assert.Contains(result.FollowupPolarity, t => t is { Name: "sat", Count: 1 });

        // a2: love 1 - report 1 = 0; a1: love 1 - dislike + follow-up SAT > 0: the label scores prefer a1, against the rank.
        Assert.Equal((1, 0, 1, 0), (result.LabelScores.Pairs, result.LabelScores.Agree, result.LabelScores.Disagree, result.LabelScores.Ties));
        Assert.Equal(1, result.MinedPairs.Ties);
        Assert.Equal(result.Baseline, OasstEvaluation.Baseline(Fixtures.Corpus(Fixtures.Flat)));
    }

    [Fact]
    public void RealFile_BaselineReproducesTheDataReadme()
    {
        var path = Fixtures.RealFile(out var reason);
        if (path is null)
        {
            Assert.Skip(reason);
        }

        var corpus = OasstCorpus.Load(path);
        Assert.Equal(2022, corpus.Messages.Count);
        Assert.Equal(191, corpus.Trees);
        var baseline = OasstEvaluation.Baseline(corpus);
        Assert.Equal((1026, 490, 289, 247), (baseline.Pairs, baseline.Agree, baseline.Disagree, baseline.Ties));
        Assert.Equal(0.629, baseline.Agreement, 3);
    }

    [Fact]
    public void Evaluation_ComparesTheJudgeAndNetVotes_OnTheSamePairs()
    {
        var result = OasstEvaluation.Run(Fixtures.Corpus(Fixtures.Flat), new ThanksScorer(), new MiningOptions(), coverage: new CoverageOptions { Resamples = 20 });
        Assert.Equal(result.Baseline.Pairs, result.Curves.Pairs);
        Assert.Equal(result.Baseline.Pairs, result.Judge.Pairs);
        Assert.Equal(OasstEvaluation.JudgeName, result.Curves.First.Judge);
        Assert.Equal(OasstEvaluation.BaselineName, result.Curves.Second.Judge);
    }

    [Fact]
    public void RealFile_ReviewersWithOneReactionEach_AreNeverReweighted_DenoisingOnEqualsOff()
    {
        var path = Fixtures.RealFile(out var reason);
        if (path is null)
        {
            Assert.Skip(reason);
        }

        var corpus = OasstCorpus.Load(path);
        var coverage = new CoverageOptions { Resamples = 0 };
        var on = OasstEvaluation.Run(corpus, new ThanksScorer(), new MiningOptions(), coverage: coverage);
        var off = OasstEvaluation.Run(corpus, new ThanksScorer(), new MiningOptions { Denoising = new DenoisingOptions { Enabled = false } }, coverage: coverage);
        Assert.Empty(on.ReweightedByRule);
        Assert.Equal(off.LabelScores, on.LabelScores with { Judge = off.LabelScores.Judge });
        Assert.Equal(off.Judge, on.Judge);
    }
}
