namespace FeedbackStream.Replay.Tests;

public sealed class AgreementCoverageTests
{
    private static readonly double[] Tenths = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    /// <summary>Ten pairs, each its own tree, confidence 10..1; outcomes as given, most confident first.</summary>
    private static List<JudgedPair> Ranked(params double[] outcomes) =>
        outcomes.Select((o, i) => new JudgedPair($"t{i}", outcomes.Length - i, o)).ToList();

    private static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 12);
        }
    }

    [Fact]
    public void Curve_ReadsAgreementAmongTheMostConfidentShare()
    {
        var curve = AgreementCoverage.Curve(Ranked(1, 1, 0, 1, 0, 1, 0, 0, 1, 0), Tenths);
        Close([1, 1, 2 / 3.0, 0.75, 0.6, 4 / 6.0, 4 / 7.0, 0.5, 5 / 9.0, 0.5], curve);
    }

    [Fact]
    public void Curve_CountsPairsTiedAtTheCutInProportion()
    {
        // Four pairs of equal confidence, two agreeing: any share of them agrees half the time.
        var tied = new List<JudgedPair> { new("a", 5, 1), new("b", 1, 1), new("c", 1, 0), new("d", 1, 1), new("e", 1, 0) };
        var curve = AgreementCoverage.Curve(tied, [0.2, 0.4, 0.6, 1.0]);
        Close([1, 0.75, 2 / 3.0, 0.6], curve);
    }

    [Fact]
    public void JudgedPair_Undecided_IsACoinAtTheBottom()
    {
        Assert.Equal(new JudgedPair("t", 0, 0.5), JudgedPair.From("t", 0, 3));
        Assert.Equal(new JudgedPair("t", 2, 0), JudgedPair.From("t", -2, -2));
        Assert.Equal(new JudgedPair("t", 2, 1), JudgedPair.From("t", 1, 2));
    }

    [Fact]
    public void Area_IsTheTrapezoidIntegral()
    {
        Assert.Equal(0.6 * 0.8, AgreementCoverage.Area([0.1, 0.4, 0.7], [0.8, 0.8, 0.8]), 12);
        Assert.Equal((0.1 * (1 + 0.8) / 2) + (0.2 * (0.8 + 0.6) / 2), AgreementCoverage.Area([0.1, 0.2, 0.4], [1, 0.8, 0.6]), 12);
    }

    [Fact]
    public void Compare_SameSeed_SameIntervals_WhichHoldThePointEstimate()
    {
        var random = new Random(7);
        var first = Enumerable.Range(0, 200).Select(i => new JudgedPair($"tree{i / 4}", random.NextDouble(), random.NextDouble() < 0.7 ? 1 : 0)).ToList();
        var second = first.Select(p => p with { Confidence = random.NextDouble(), Outcome = random.NextDouble() < 0.6 ? 1 : 0 }).ToList();
        var options = new CoverageOptions { Resamples = 200, Seed = 3 };
        var once = AgreementCoverage.Compare("a", first, "b", second, options);
        var again = AgreementCoverage.Compare("a", first, "b", second, options);
        Assert.Equal(once.AreaDifference, again.AreaDifference);
        Assert.Equal(50, once.Groups);
        Assert.Equal(200, once.Resamples);
        Assert.InRange(once.AreaDifference.Value, once.AreaDifference.Low, once.AreaDifference.High);
        Assert.All(once.First.Agreement, e => Assert.InRange(e.Value, e.Low - 1e-9, e.High + 1e-9));
        Assert.Equal(once.First.Area.Value - once.Second.Area.Value, once.AreaDifference.Value, 12);
    }

    [Fact]
    public void Compare_PerfectJudgeAgainstACoin_IsAboveEverywhere_AndItsIntervalExcludesZero()
    {
        var perfect = Enumerable.Range(0, 100).Select(i => new JudgedPair($"t{i}", i, 1)).ToList();
        var coin = perfect.Select(p => p with { Confidence = 0, Outcome = 0.5 }).ToList();
        var c = AgreementCoverage.Compare("perfect", perfect, "coin", coin, new CoverageOptions { Resamples = 100 });
        Assert.True(c.FirstAtOrAboveEverywhere);
        Assert.Equal(0.6 * 0.5, c.AreaDifference.Value, 12);
        Assert.True(c.AreaDifference.Low > 0);
    }

    [Fact]
    public void Compare_DifferentPairs_IsRefused()
    {
        var a = new List<JudgedPair> { new("t1", 1, 1) };
        var b = new List<JudgedPair> { new("t2", 1, 1) };
        Assert.Throws<ArgumentException>(() => AgreementCoverage.Compare("a", a, "b", b));
        Assert.Throws<ArgumentException>(() => AgreementCoverage.Compare("a", a, "a", a, new CoverageOptions { Resamples = 50_000 }));
    }
}
