namespace FeedbackStream.Mining.Tests;

public sealed class PreferenceJudgeTests
{
    private static readonly ApprovalPrior Prior = new(0.7, 2);

    private static ResponseLabel Label(double positive, double negative, double score = double.NaN) => new(
        "l", "app", "r", "c", "u", "m", "p", "prompt", "response", 0, "", 0, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
        positive > 0, positive > 0 ? 1 : 0, negative > 0, negative > 0 ? 1 : 0, [], "", "", 0, 0, [],
        double.IsNaN(score) ? positive - negative : score, 1, 1, 0, 0, [], [], PositiveEvidence: positive, NegativeEvidence: negative);

    [Fact]
    public void Compare_ReadsRatesNotCounts_ThreeLovesBeatNineLovesAndSixDislikes()
    {
        // Net votes say the opposite: 3 against 9 - 6 = 3 is a tie, 4 against 3 prefers the second.
        Assert.True(PreferenceJudge.Compare(Label(3, 0), Label(9, 6), Prior).Z > 0);
        Assert.True(PreferenceJudge.Compare(Label(4, 0), Label(10, 7), Prior).Z > 0);
    }

    [Fact]
    public void Compare_OneSignal_IsWeakerThanTheSameShareOverMany()
    {
        var one = PreferenceJudge.Compare(Label(1, 0), Label(0, 1), Prior);
        var many = PreferenceJudge.Compare(Label(8, 0), Label(0, 8), Prior);
        Assert.True(one.Z > 0);
        Assert.True(many.Z > one.Z);
        Assert.InRange(one.Probability, 0.5, many.Probability);
    }

    [Fact]
    public void Compare_NoEvidenceOnEitherSide_IsATie_AndIsAntisymmetric()
    {
        Assert.Equal(0, PreferenceJudge.Compare(Label(0, 0), Label(0, 0), Prior).Preference);
        var ab = PreferenceJudge.Compare(Label(2, 1), Label(1, 2), Prior);
        var ba = PreferenceJudge.Compare(Label(1, 2), Label(2, 1), Prior);
        Assert.Equal(ab.Z, -ba.Z, 12);
    }

    [Fact]
    public void Evidence_OfARowWithoutTheColumns_FallsBackToTheScore()
    {
        Assert.Equal((0.8, 0.0), PreferenceJudge.Evidence(Label(0, 0, score: 0.8)));
        Assert.Equal((0.0, 0.5), PreferenceJudge.Evidence(Label(0, 0, score: -0.5)));
    }

    [Fact]
    public void Prior_IsTheApprovalShareOfAllSignals_Clamped()
    {
        Assert.Equal(0.75, ApprovalPrior.From([Label(3, 0), Label(0, 1)]).Mean, 12);
        Assert.Equal(0.5, ApprovalPrior.From([]).Mean);
        Assert.Equal(0.95, ApprovalPrior.From([Label(5, 0)]).Mean);
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(1.959964, 0.975)]
    [InlineData(-1.959964, 0.025)]
    [InlineData(3, 0.998650)]
    public void NormalCdf_MatchesTheTable(double z, double expected) => Assert.Equal(expected, PreferenceJudge.NormalCdf(z), 5);
}
