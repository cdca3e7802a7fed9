using FeedbackStream.Embeddings;

namespace FeedbackStream.Followups.Neighbours;

/// <summary>Settings of <see cref="NeighbourFollowupClassifier"/>, fixed in advance (not tuned on held-out data).</summary>
public sealed record NeighbourOptions
{
    /// <summary>Labelled neighbours that vote.</summary>
    public int K { get; init; } = 10;

    /// <summary>Vote weight exp(cosine / temperature): lower means the closest neighbours count more.</summary>
    public double Temperature { get; init; } = 0.05;

    /// <summary>
    /// In <see cref="NeighbourFollowupClassifier.Rescue"/>, the neighbours overrule a neutral verdict only when their
    /// polarity has at least this probability and the closest neighbour of that polarity is at least <see cref="MinSimilarity"/> alike.
    /// </summary>
    public double MinProbability { get; init; } = 0.6;

    /// <summary>See <see cref="MinProbability"/>.</summary>
    public double MinSimilarity { get; init; } = 0.6;
}

/// <summary>The neighbours' verdict and the cosine of the closest neighbour of the chosen polarity.</summary>
public sealed record NeighbourVerdict(FollowupClassification Classification, double ClosestSimilarity);

/// <summary>
/// Nearest neighbours of a follow-up among labelled follow-ups in sentence-vector space (all-MiniLM-L6-v2 cosine): the
/// polarity and kind of the most similar labelled utterances, weighted by exp(cosine / temperature) and by the rows'
/// example weights. It generalises where the lexicon has no phrase ("this is not what I asked for" reads like
/// "that's not what I meant"), which the n-gram model cannot, having seen too few rows. An approximation of an LLM judge
/// with a small encoder and a small labelled set. Thread-safe (immutable after construction).
/// </summary>
public sealed class NeighbourFollowupClassifier : IFollowupClassifier
{
    public const string NeighbourMethod = "neighbours";

    private readonly ITextEncoder _encoder;
    private readonly NeighbourOptions _options;
    private readonly float[][] _vectors;
    private readonly LabelledFollowup[] _rows;
    private readonly float[] _weights;

    public NeighbourFollowupClassifier(ITextEncoder encoder, IReadOnlyList<LabelledFollowup> rows, Func<LabelledFollowup, float>? weight = null, NeighbourOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("Neighbours need at least one labelled follow-up.", nameof(rows));
        }

        _encoder = encoder;
        _options = options ?? new NeighbourOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.K, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.Temperature);
        _rows = [.. rows];
        _weights = [.. rows.Select(r => weight?.Invoke(r) ?? 1f)];
        _vectors = [.. encoder.Encode(rows.Select(r => r.Text).ToList(), cancellationToken)];
    }

    public FollowupClassification Classify(string utterance) => ClassifyMany([utterance ?? string.Empty])[0].Classification;

    public IReadOnlyList<NeighbourVerdict> ClassifyMany(IReadOnlyList<string> utterances, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utterances);
        var vectors = _encoder.Encode(utterances, cancellationToken);
        return vectors.Select(Vote).ToList();
    }

    /// <summary>
    /// The verdict to keep: <paramref name="primary"/> unless it says neutral and the neighbours are sure of SAT or DSAT
    /// (probability and closest similarity both at their minimum), then the neighbours' verdict with both reasons.
    /// </summary>
    public FollowupClassification Rescue(FollowupClassification primary, NeighbourVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(verdict);
        var neighbours = verdict.Classification;
        if (primary.Polarity != Polarity.Neutral || neighbours.Polarity == Polarity.Neutral || neighbours.Confidence < _options.MinProbability
            || verdict.ClosestSimilarity < _options.MinSimilarity)
        {
            return primary;
        }

        return neighbours with { Evidence = [.. neighbours.Evidence, $"overrules {primary.Method}: {primary.Polarity.Name()} p={primary.Confidence:0.00}"] };
    }

    private NeighbourVerdict Vote(float[] query)
    {
        var k = Math.Min(_options.K, _vectors.Length);
        var best = new (double Similarity, int Index)[k];
        Array.Fill(best, (double.NegativeInfinity, -1));
        for (var i = 0; i < _vectors.Length; i++)
        {
            var similarity = Vectors.Dot(query, _vectors[i]);
            if (similarity <= best[k - 1].Similarity)
            {
                continue;
            }

            var j = k - 1;
            while (j > 0 && best[j - 1].Similarity < similarity)
            {
                best[j] = best[j - 1];
                j--;
            }

            best[j] = (similarity, i);
        }

        var top = best[0].Similarity;
        var byKind = new Dictionary<string, double>(StringComparer.Ordinal);
        double sat = 0, dsat = 0, neutral = 0;
        var closest = new Dictionary<Polarity, double>();
        foreach (var (similarity, index) in best.Where(b => b.Index >= 0))
        {
            var row = _rows[index];
            var w = Math.Exp((similarity - top) / _options.Temperature) * _weights[index];
            byKind[row.Kind] = byKind.GetValueOrDefault(row.Kind) + w;
            switch (row.Polarity)
            {
                case Polarity.Sat:
                    sat += w;
                    break;
                case Polarity.Dsat:
                    dsat += w;
                    break;
                default:
                    neutral += w;
                    break;
            }

            closest[row.Polarity] = Math.Max(closest.GetValueOrDefault(row.Polarity, double.NegativeInfinity), similarity);
        }

        var total = sat + dsat + neutral;
        if (total <= 0)
        {
            return new NeighbourVerdict(new FollowupClassification(Polarity.Neutral, FollowupKinds.Neutral, 0, 0, 1, NeighbourMethod, ["no neighbours"]), 0);
        }

        sat /= total;
        dsat /= total;
        neutral /= total;
        var polarity = sat > dsat && sat > neutral ? Polarity.Sat : dsat > neutral && dsat >= sat ? Polarity.Dsat : Polarity.Neutral;
        var kind = byKind.Where(p => FollowupKinds.PolarityOf(p.Key) == polarity).OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key).FirstOrDefault() ?? FollowupKinds.Neutral;
        var nearest = best.First(b => b.Index >= 0 && _rows[b.Index].Polarity == polarity);
        IReadOnlyList<string> evidence =
        [
            $"neighbours: p({polarity.Name()})={(polarity == Polarity.Sat ? sat : polarity == Polarity.Dsat ? dsat : neutral):0.00} over {k}; closest of it cos={nearest.Similarity:0.000} \"{Shorten(_rows[nearest.Index].Text)}\"",
        ];
        return new NeighbourVerdict(new FollowupClassification(polarity, kind, sat, dsat, neutral, NeighbourMethod, evidence), nearest.Similarity);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
