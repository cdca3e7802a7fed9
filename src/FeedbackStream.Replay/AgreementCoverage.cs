namespace FeedbackStream.Replay;

/// <summary>
/// One ranked pair as a judge saw it: the cluster it belongs to for resampling (<see cref="Group"/>: the conversation
/// tree), how confident the judge is (<see cref="Confidence"/>, only its order matters) and the outcome against the
/// human rank: 1 agreed, 0 disagreed, 0.5 undecided (a judge that cannot tell is as good as a coin).
/// </summary>
public readonly record struct JudgedPair(string Group, double Confidence, double Outcome)
{
    public static JudgedPair From(string group, double preference, double confidence) =>
        new(group, preference == 0 ? 0 : Math.Abs(confidence), preference > 0 ? 1 : preference < 0 ? 0 : 0.5);
}

/// <summary>How a curve is computed and resampled.</summary>
public sealed class CoverageOptions
{
    /// <summary>Coverages (share of all pairs, most confident first) at which agreement is read.</summary>
    public IReadOnlyList<double> Coverages { get; init; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];

    /// <summary>Bootstrap resamples (clusters drawn with replacement); at most 20,000.</summary>
    public int Resamples { get; init; } = 1000;

    public int Seed { get; init; } = 20_231_029;

    public string? Validate() =>
        Coverages.Count < 2 ? "at least two coverages are needed for an area"
        : Coverages.Any(c => c is <= 0 or > 1) ? "coverages must be in (0, 1]"
        : Coverages.Zip(Coverages.Skip(1)).Any(p => p.Second <= p.First) ? "coverages must increase"
        : Resamples is < 0 or > 20_000 ? "resamples must be within 0..20000"
        : null;
}

/// <summary>A value with its bootstrap 95 % interval (percentiles 2.5 and 97.5).</summary>
public sealed record Estimate(double Value, double Low, double High);

/// <summary>Agreement at each coverage and the area under the curve between the first and the last coverage.</summary>
public sealed record CoverageCurve(string Judge, IReadOnlyList<double> Coverages, IReadOnlyList<Estimate> Agreement, Estimate Area)
{
    /// <summary>The area over the coverage span: the mean agreement over that span.</summary>
    public double MeanAgreement => Area.Value / (Coverages[^1] - Coverages[0]);
}

/// <summary>Two judges on the same pairs, with the difference of their areas (first minus second) and its interval.</summary>
public sealed record CurveComparison(CoverageCurve First, CoverageCurve Second, Estimate AreaDifference, IReadOnlyList<Estimate> AgreementDifference, int Pairs, int Groups, int Resamples, int Seed)
{
    /// <summary>The first judge's curve is at or above the second's at every coverage (point estimates).</summary>
    public bool FirstAtOrAboveEverywhere => First.Agreement.Zip(Second.Agreement).All(p => p.First.Value >= p.Second.Value - 1e-12);
}

/// <summary>
/// Agreement-coverage curves (selective prediction): sort the pairs by the judge's confidence, most confident first,
/// and read the agreement with the human ranks among the top c share of all pairs. Pairs tied in confidence at the cut
/// count in proportion (the expected agreement of a random order among them), so a judge gains nothing from ties.
/// Intervals: a cluster bootstrap over conversation trees (pairs of one tree share prompts and reviewers), both judges
/// on the same resample. Pure and deterministic (fixed seed).
/// </summary>
public static class AgreementCoverage
{
    /// <summary>Agreement at each coverage over <paramref name="pairs"/> (NaN for an empty set).</summary>
    public static double[] Curve(IReadOnlyList<JudgedPair> pairs, IReadOnlyList<double> coverages)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(coverages);
        var order = Enumerable.Range(0, pairs.Count).ToArray();
        return CurveOf(pairs, order, coverages);
    }

    /// <summary>Trapezoid area under (coverage, agreement) between the first and the last coverage.</summary>
    public static double Area(IReadOnlyList<double> coverages, IReadOnlyList<double> agreement)
    {
        ArgumentNullException.ThrowIfNull(coverages);
        ArgumentNullException.ThrowIfNull(agreement);
        if (coverages.Count != agreement.Count)
        {
            throw new ArgumentException("one agreement per coverage", nameof(agreement));
        }

        double area = 0;
        for (var i = 1; i < coverages.Count; i++)
        {
            area += (coverages[i] - coverages[i - 1]) * (agreement[i] + agreement[i - 1]) / 2;
        }

        return area;
    }

    /// <summary>
    /// Compares two judges on the same pairs: <paramref name="first"/>[i] and <paramref name="second"/>[i] must be the
    /// same pair (same group).
    /// </summary>
    public static CurveComparison Compare(string firstName, IReadOnlyList<JudgedPair> first, string secondName, IReadOnlyList<JudgedPair> second, CoverageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        options ??= new CoverageOptions();
        if (options.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        if (first.Count != second.Count || first.Zip(second).Any(p => p.First.Group != p.Second.Group))
        {
            throw new ArgumentException("both judges must be given the same pairs in the same order", nameof(second));
        }

        var coverages = options.Coverages;
        var all = Enumerable.Range(0, first.Count).ToArray();
        var a = CurveOf(first, all, coverages);
        var b = CurveOf(second, all, coverages);

        var groups = first.Select((p, i) => (p.Group, i)).GroupBy(x => x.Group, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Select(x => x.i).ToArray()).ToArray();
        var random = new Random(options.Seed);
        var samplesA = new List<double[]>(options.Resamples);
        var samplesB = new List<double[]>(options.Resamples);
        var indices = new List<int>(first.Count * 2);
        for (var r = 0; r < options.Resamples && groups.Length > 0; r++)
        {
            indices.Clear();
            for (var g = 0; g < groups.Length; g++)
            {
                indices.AddRange(groups[random.Next(groups.Length)]);
            }

            var order = indices.ToArray();
            samplesA.Add(CurveOf(first, order, coverages));
            samplesB.Add(CurveOf(second, order, coverages));
        }

        CoverageCurve Build(string name, double[] point, List<double[]> samples) => new(
            name,
            coverages,
            point.Select((v, i) => Interval(v, samples.Select(s => s[i]))).ToList(),
            Interval(Area(coverages, point), samples.Select(s => Area(coverages, s))));

        return new CurveComparison(
            Build(firstName, a, samplesA),
            Build(secondName, b, samplesB),
            Interval(Area(coverages, a) - Area(coverages, b), samplesA.Zip(samplesB, (x, y) => Area(coverages, x) - Area(coverages, y))),
            coverages.Select((_, i) => Interval(a[i] - b[i], samplesA.Zip(samplesB, (x, y) => x[i] - y[i]))).ToList(),
            first.Count,
            groups.Length,
            samplesA.Count,
            options.Seed);
    }

    private static double[] CurveOf(IReadOnlyList<JudgedPair> pairs, int[] members, IReadOnlyList<double> coverages)
    {
        var sorted = members.OrderByDescending(i => pairs[i].Confidence).ToArray();
        var result = new double[coverages.Count];
        for (var c = 0; c < coverages.Count; c++)
        {
            var wanted = coverages[c] * sorted.Length;
            if (wanted <= 0)
            {
                result[c] = double.NaN;
                continue;
            }

            double taken = 0, agreed = 0;
            var i = 0;
            while (i < sorted.Length && taken < wanted)
            {
                // One block of equal confidence: all of it, or the share of it the coverage still needs.
                var j = i;
                double sum = 0;
                while (j < sorted.Length && pairs[sorted[j]].Confidence == pairs[sorted[i]].Confidence)
                {
                    sum += pairs[sorted[j]].Outcome;
                    j++;
                }

                var size = j - i;
                var share = Math.Min(1, (wanted - taken) / size);
                agreed += share * sum;
                taken += share * size;
                i = j;
            }

            result[c] = agreed / taken;
        }

        return result;
    }

    private static Estimate Interval(double value, IEnumerable<double> samples)
    {
        var sorted = samples.Where(s => !double.IsNaN(s)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Estimate(value, value, value);
        }

        return new Estimate(value, Percentile(sorted, 0.025), Percentile(sorted, 0.975));
    }

    private static double Percentile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = (int)Math.Ceiling(position);
        return sorted[low] + ((sorted[high] - sorted[low]) * (position - low));
    }
}
