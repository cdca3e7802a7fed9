using FeedbackStream.Training.Evaluation;
using FeedbackStream.Training.Model;

namespace FeedbackStream.Training.Tests;

public sealed class RollingOriginTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Loved replies say "great detailed" and are long; others say "short reply". Row i is served i hours after T0.</summary>
    private static List<LoveExample> Corpus(int rows, Func<int, bool> love) => Enumerable.Range(0, rows).Select(i =>
    {
        var loved = love(i);
        var response = loved ? $"great detailed answer number {i} with steps and examples" : $"short reply {i}";
        return new LoveExample($"e{i:D4}", "app", $"u{i % 13}", "m1", "web", "question", response, 1, 0, T0.AddHours(i), loved);
    }).ToList();

    private static readonly RollingOriginOptions Small = new()
    {
        Cuts = [0.6, 0.8],
        Resamples = 50,
        Model = new LoveModelOptions { Learner = LoveLearner.SdcaLogistic, Iterations = 20 },
    };

    [Fact]
    public void Run_EachCut_TrainsOnEarlierRowsAndTestsOnTheBlockAfter()
    {
        var result = RollingOrigin.Run(Corpus(400, i => i % 3 == 0), Small, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Folds.Count);
        var first = result.Folds[0];
        Assert.Equal(200, first.TrainRows);
        Assert.Equal(40, first.CalibrationRows);
        Assert.Equal(40, first.TestRows);
        Assert.Equal(T0.AddHours(240), first.TestFrom);
        Assert.All(result.Folds, f => Assert.Equal([RollingOrigin.LengthOnly, RollingOrigin.NgramsOnly, RollingOrigin.Learner], f.Auc.Keys.Order(StringComparer.Ordinal)));

        // Length and n-grams separate the classes perfectly here; every interval holds its point.
        Assert.Equal(1.0, result.MeanAuc[RollingOrigin.LengthOnly].Auc);
        Assert.Equal(1.0, result.MeanAuc[RollingOrigin.NgramsOnly].Auc);
        Assert.All(result.MeanAuc.Values, e => Assert.InRange(e.Auc, e.Low, e.High));
    }

    [Fact]
    public void Run_SameSeed_SameIntervals()
    {
        var corpus = Corpus(300, i => i % 4 == 1 || i % 7 == 0);
        var token = TestContext.Current.CancellationToken;
        Assert.Equal(RollingOrigin.Run(corpus, Small, cancellationToken: token).LearnerGainOverLength, RollingOrigin.Run(corpus, Small, cancellationToken: token).LearnerGainOverLength);
    }

    [Fact]
    public void Run_ATestBlockWithoutPositives_FailsWithAMessageNamingTheCutAndSlice()
    {
        // Loves only in the first 110 rows: the test block after the first cut (rows 120-139) has none.
        var error = Assert.Throws<InsufficientDataException>(() => RollingOrigin.Run(Corpus(200, i => i < 110 && i % 2 == 0), Small, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("cut 60", error.Message, StringComparison.Ordinal);
        Assert.Contains("test slice has 0 loved of 20", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_OutOfRange_AreRefused()
    {
        Assert.NotNull(new RollingOriginOptions { Cuts = [0.8, 0.6] }.Validate());
        Assert.NotNull(new RollingOriginOptions { Cuts = [0.05] }.Validate());
        Assert.NotNull(new RollingOriginOptions { Resamples = 10_000 }.Validate());
        Assert.Null(new RollingOriginOptions().Validate());
    }

    [Fact]
    public void NaiveBayes_ScoresResponsesWithTheLovedWordsHigher()
    {
        var model = RollingOrigin.NaiveBayes.Fit(Corpus(60, i => i % 2 == 0));
        var scores = model.Score(Corpus(2, i => i == 0));

        Assert.True(scores[0] > scores[1]);
    }
}
