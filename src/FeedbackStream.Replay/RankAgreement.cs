namespace FeedbackStream.Replay;

/// <summary>
/// How a preference judge agrees with human ranks over ranked sibling pairs. <see cref="Agreement"/> is
/// agree / decided; <see cref="Coverage"/> is decided / all pairs; a tie (no preference) is undecided.
/// </summary>
public sealed record RankAgreement(string Judge, int Pairs, int Agree, int Disagree, int Ties)
{
    public int Decided => Agree + Disagree;

    public double Agreement => Decided == 0 ? 0 : Agree / (double)Decided;

    public double Coverage => Pairs == 0 ? 0 : Decided / (double)Pairs;

    /// <summary>
    /// Scores <paramref name="judge"/> on <paramref name="pairs"/>: it returns a positive number when it prefers the
    /// first response over the second, a negative one for the opposite, zero when it cannot tell.
    /// </summary>
    public static RankAgreement Measure(string name, IEnumerable<RankedPair> pairs, Func<string, string, double> judge)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(judge);
        int total = 0, agree = 0, disagree = 0, ties = 0;
        foreach (var pair in pairs)
        {
            total++;
            var preference = judge(pair.Better, pair.Worse);
            if (preference > 0)
            {
                agree++;
            }
            else if (preference < 0)
            {
                disagree++;
            }
            else
            {
                ties++;
            }
        }

        return new RankAgreement(name, total, agree, disagree, ties);
    }
}
