using System.Text.Json.Serialization;
using Microsoft.ML.Data;

namespace FeedbackStream.Training.Model;

/// <summary>
/// Turns a <see cref="LoveExample"/> into the model's sparse feature vector: counts of the response's and the context's
/// word 1–2-grams from a vocabulary chosen on the training rows (highest document frequency first, a minimum support),
/// one-hot app, surface and model version (values seen in training), and the numeric features length (characters),
/// words, turn index, latency and hour of day (UTC). Pure, deterministic and thread-safe once built; its vocabulary
/// is saved with the model so serving computes exactly the training features.
/// </summary>
public sealed class LoveFeaturizer
{
    public static readonly string[] NumericNames = ["length_chars", "words", "turn_index", "latency_ms", "hour_utc"];

    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _responseLookup;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _contextLookup;
    private readonly Dictionary<string, int> _apps;
    private readonly Dictionary<string, int> _surfaces;
    private readonly Dictionary<string, int> _versions;
    private readonly int _contextOffset;
    private readonly int _appOffset;
    private readonly int _surfaceOffset;
    private readonly int _versionOffset;
    private readonly int _numericOffset;

    [JsonConstructor]
    public LoveFeaturizer(IReadOnlyList<string> responseGrams, IReadOnlyList<string> contextGrams, IReadOnlyList<string> apps, IReadOnlyList<string> surfaces, IReadOnlyList<string> versions)
    {
        ResponseGrams = responseGrams;
        ContextGrams = contextGrams;
        Apps = apps;
        Surfaces = surfaces;
        Versions = versions;
        _responseLookup = Index(responseGrams).GetAlternateLookup<ReadOnlySpan<char>>();
        _contextLookup = Index(contextGrams).GetAlternateLookup<ReadOnlySpan<char>>();
        _apps = Index(apps);
        _surfaces = Index(surfaces);
        _versions = Index(versions);
        _contextOffset = responseGrams.Count;
        _appOffset = _contextOffset + contextGrams.Count;
        _surfaceOffset = _appOffset + apps.Count;
        _versionOffset = _surfaceOffset + surfaces.Count;
        _numericOffset = _versionOffset + versions.Count;
        Dimension = _numericOffset + NumericNames.Length;
    }

    public IReadOnlyList<string> ResponseGrams { get; }

    public IReadOnlyList<string> ContextGrams { get; }

    public IReadOnlyList<string> Apps { get; }

    public IReadOnlyList<string> Surfaces { get; }

    public IReadOnlyList<string> Versions { get; }

    [JsonIgnore]
    public int Dimension { get; }

    /// <summary>
    /// Chooses the vocabularies from <paramref name="rows"/>: the n-grams in the most documents (ties by text, at least
    /// <paramref name="minimumDocuments"/>), and the categories seen, most frequent first, capped. Reads an evenly spaced sample of at most
    /// <paramref name="maximumRows"/> rows.
    /// </summary>
    public static LoveFeaturizer Fit(IReadOnlyList<LoveExample> rows, int responseGrams = 4000, int contextGrams = 500, int minimumDocuments = 20, int maximumCategories = 64, int maximumRows = 100_000)
    {
        ArgumentNullException.ThrowIfNull(rows);
        // Vocabulary from an evenly spaced sample: document frequencies of the top grams are stable long before a million rows.
        rows = Sampling.Evenly(rows, maximumRows);

        return new LoveFeaturizer(
            TopGrams(rows, r => r.Response, responseGrams, minimumDocuments),
            TopGrams(rows, r => r.Context, contextGrams, minimumDocuments),
            Categories(rows.Select(r => r.AppId), maximumCategories),
            Categories(rows.Select(r => r.Surface), maximumCategories),
            Categories(rows.Select(r => r.ModelVersion), maximumCategories));
    }

    /// <summary>
    /// Document frequencies without a dictionary of every distinct gram (a long tail of bigrams runs into millions):
    /// pass one counts documents per hash bucket; only grams whose bucket reaches the count of the k-th fullest bucket
    /// can be in the top k, so pass two counts exactly just those.
    /// </summary>
    private static List<string> TopGrams(IReadOnlyList<LoveExample> rows, Func<LoveExample, string> text, int maximum, int minimumDocuments)
    {
        if (maximum <= 0 || rows.Count == 0)
        {
            return [];
        }

        const int Bits = 22;
        const int Mask = (1 << Bits) - 1;
        var buckets = new int[1 << Bits];
        var lastDocument = new int[1 << Bits];
        Array.Fill(lastDocument, -1);
        var buffer = new char[256];
        for (var i = 0; i < rows.Count; i++)
        {
            var document = i;
            VisitGrams(text(rows[i]), gram =>
            {
                var bucket = (int)(Fnv(gram) & Mask);
                if (lastDocument[bucket] != document)
                {
                    lastDocument[bucket] = document;
                    buckets[bucket]++;
                }
            }, ref buffer);
        }

        // The count of the k-th fullest bucket, from a histogram of bucket counts (no sort of four million buckets).
        var histogram = new int[rows.Count + 1];
        foreach (var count in buckets)
        {
            histogram[count]++;
        }

        var threshold = rows.Count + 1;
        for (int c = rows.Count, seen = 0; c >= Math.Max(1, minimumDocuments) && seen < maximum; c--)
        {
            seen += histogram[c];
            threshold = c;
        }

        if (threshold > rows.Count)
        {
            return [];
        }

        var exact = new Dictionary<string, (int Count, int Last)>(StringComparer.Ordinal);
        var lookup = exact.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var i = 0; i < rows.Count; i++)
        {
            var document = i;
            VisitGrams(text(rows[i]), gram =>
            {
                if (buckets[(int)(Fnv(gram) & Mask)] < threshold)
                {
                    return;
                }

                if (!lookup.TryGetValue(gram, out var entry))
                {
                    lookup[gram] = (1, document);
                }
                else if (entry.Last != document)
                {
                    lookup[gram] = (entry.Count + 1, document);
                }
            }, ref buffer);
        }

        return exact.Where(kv => kv.Value.Count >= minimumDocuments)
            .OrderByDescending(kv => kv.Value.Count)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(maximum)
            .Select(kv => kv.Key)
            .ToList();
    }

    private static uint Fnv(ReadOnlySpan<char> text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash ^ (hash >> 15);
    }

    /// <summary>The feature vector of one example.</summary>
    public VBuffer<float> Vectorize(LoveExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var scratch = t_scratch ??= new Scratch();
        var slots = scratch.Slots;
        slots.Clear();
        var words = AddGrams(example.Response, _responseLookup, 0, slots, ref scratch.Buffer);
        AddGrams(example.Context, _contextLookup, _contextOffset, slots, ref scratch.Buffer);
        AddCategory(example.AppId, _apps, _appOffset, slots);
        AddCategory(example.Surface, _surfaces, _surfaceOffset, slots);
        AddCategory(example.ModelVersion, _versions, _versionOffset, slots);
        slots.Sort();
        var indices = new List<int>(slots.Count + NumericNames.Length);
        var values = new List<float>(slots.Count + NumericNames.Length);
        foreach (var slot in slots)
        {
            if (indices.Count > 0 && indices[^1] == slot)
            {
                values[^1]++;
            }
            else
            {
                indices.Add(slot);
                values.Add(1);
            }
        }

        float[] numeric = [example.Response.Length, words, example.TurnIndex, (float)example.LatencyMs, example.ServedAt.UtcDateTime.Hour];
        for (var i = 0; i < numeric.Length; i++)
        {
            if (numeric[i] != 0)
            {
                indices.Add(_numericOffset + i);
                values.Add(numeric[i]);
            }
        }

        return new VBuffer<float>(Dimension, indices.Count, values.ToArray(), indices.ToArray());
    }

    /// <summary>Vectorises many examples on all cores, in order.</summary>
    public VBuffer<float>[] VectorizeMany(IReadOnlyList<LoveExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var result = new VBuffer<float>[examples.Count];
        Parallel.For(0, examples.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => result[i] = Vectorize(examples[i]));
        return result;
    }

    /// <summary>The name of every slot (for reports and feature importances).</summary>
    public IEnumerable<string> SlotNames() =>
        ResponseGrams.Select(g => "response:" + g)
            .Concat(ContextGrams.Select(g => "context:" + g))
            .Concat(Apps.Select(a => "app=" + a))
            .Concat(Surfaces.Select(s => "surface=" + s))
            .Concat(Versions.Select(v => "model_version=" + v))
            .Concat(NumericNames);

    /// <summary>Receives each gram of a text: a word, or two adjacent words joined by one space.</summary>
    public delegate void GramVisitor(ReadOnlySpan<char> gram);

    /// <summary>
    /// Visits the lower-cased word unigrams and bigrams of <paramref name="text"/> (words are runs of letters or digits;
    /// everything else separates them; bigrams do not span . ! ? ; : or a line break) without allocating per gram;
    /// returns the number of words.
    /// </summary>
    public static int VisitGrams(string text, GramVisitor visit, ref char[] buffer)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(visit);
        var lower = text.ToLowerInvariant();
        int previousStart = -1, previousLength = 0, words = 0, i = 0;
        while (i < lower.Length)
        {
            while (i < lower.Length && !char.IsLetterOrDigit(lower[i]))
            {
                // A sentence ends here: no bigram spans it.
                if (lower[i] is '.' or '!' or '?' or ';' or ':' or '\n')
                {
                    previousStart = -1;
                }

                i++;
            }

            if (i >= lower.Length)
            {
                break;
            }

            var start = i;
            while (i < lower.Length && char.IsLetterOrDigit(lower[i]))
            {
                i++;
            }

            var length = i - start;
            words++;
            visit(lower.AsSpan(start, length));
            if (previousStart >= 0)
            {
                var need = previousLength + 1 + length;
                if (buffer.Length < need)
                {
                    buffer = new char[need * 2];
                }

                lower.AsSpan(previousStart, previousLength).CopyTo(buffer);
                buffer[previousLength] = ' ';
                lower.AsSpan(start, length).CopyTo(buffer.AsSpan(previousLength + 1));
                visit(buffer.AsSpan(0, need));
            }

            previousStart = start;
            previousLength = length;
        }

        return words;
    }

    private static int AddGrams(string text, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabulary, int offset, List<int> slots, ref char[] buffer) =>
        VisitGrams(text, gram =>
        {
            if (vocabulary.TryGetValue(gram, out var index))
            {
                slots.Add(offset + index);
            }
        }, ref buffer);

    private static void AddCategory(string value, Dictionary<string, int> vocabulary, int offset, List<int> slots)
    {
        if (vocabulary.TryGetValue(value, out var index))
        {
            slots.Add(offset + index);
        }
    }

    private sealed class Scratch
    {
        public List<int> Slots { get; } = new(256);

        public char[] Buffer = new char[256];
    }

    private static List<string> Categories(IEnumerable<string> values, int maximum) =>
        values.GroupBy(v => v, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(maximum)
            .Select(g => g.Key)
            .ToList();

    private static Dictionary<string, int> Index(IReadOnlyList<string> values)
    {
        var index = new Dictionary<string, int>(values.Count, StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++)
        {
            index.TryAdd(values[i], i);
        }

        return index;
    }
}
