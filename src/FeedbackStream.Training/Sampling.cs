namespace FeedbackStream.Training;

/// <summary>Deterministic down-sampling shared by training, the featurizer and the report.</summary>
public static class Sampling
{
    /// <summary>At most <paramref name="maximum"/> rows, evenly spaced over <paramref name="rows"/> (all of them when fewer).</summary>
    public static IReadOnlyList<T> Evenly<T>(IReadOnlyList<T> rows, int maximum)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count <= maximum)
        {
            return rows;
        }

        var step = rows.Count / (double)maximum;
        return Enumerable.Range(0, maximum).Select(i => rows[(int)(i * step)]).ToList();
    }
}
