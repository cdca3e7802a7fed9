using System.Globalization;
using System.Text;

namespace FeedbackStream.Embeddings.MiniLm;

/// <summary>
/// BERT's uncased tokenizer (basic tokenization, then greedy longest-match WordPiece) over a fixed vocabulary. It reads
/// the text left to right and stops as soon as <c>maxTokens - 2</c> word pieces are out, so its cost is bounded by the
/// budget, not by the length of the input (a scan over whitespace or control characters is the only unbounded part, and it
/// is linear). Invalid UTF-16 (lone surrogates) reads as U+FFFD and is dropped, as BERT drops it; nothing here throws on
/// any string.
/// </summary>
internal sealed class WordPieceTokenizer
{
    public const string ClassToken = "[CLS]";
    public const string SeparatorToken = "[SEP]";
    public const string UnknownToken = "[UNK]";

    /// <summary>BERT maps a word longer than this to [UNK] without trying pieces.</summary>
    public const int MaxCharsPerWord = 100;

    // Latin letters U+00C0-U+024F whose canonical decomposition is one ASCII letter plus combining marks, and that letter.
    private const string AccentedLatin = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ";
    private const string UnaccentedLatin = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaÆæGgKkOoOoƷʒjGgNnAaÆæØøAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy";

    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public WordPieceTokenizer(IEnumerable<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in vocabulary)
        {
            _vocabulary.TryAdd(token, _vocabulary.Count);
        }

        _lookup = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        int Id(string token) => _vocabulary.TryGetValue(token, out var id) ? id : throw new ArgumentException($"The vocabulary lacks {token}.", nameof(vocabulary));
        ClassId = Id(ClassToken);
        SeparatorId = Id(SeparatorToken);
        UnknownId = Id(UnknownToken);
    }

    public int ClassId { get; }

    public int SeparatorId { get; }

    public int UnknownId { get; }

    public int VocabularySize => _vocabulary.Count;

    /// <summary>Ids of <c>[CLS] pieces… [SEP]</c>, at most <paramref name="maxTokens"/> in all.</summary>
    public int[] Encode(string text, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 3);
        var ids = new List<int>(Math.Min(maxTokens, 64)) { ClassId };
        var budget = maxTokens - 2;
        var word = new StringBuilder();
        foreach (var rune in (text ?? string.Empty).EnumerateRunes())
        {
            if (ids.Count - 1 >= budget)
            {
                break;
            }

            var value = rune.Value;
            if (value == 0 || value == Rune.ReplacementChar.Value || (IsControl(rune) && !Rune.IsWhiteSpace(rune)))
            {
                continue;
            }

            if (Rune.IsWhiteSpace(rune))
            {
                Flush(word, ids, budget);
                continue;
            }

            if (IsPunctuation(rune) || IsCjk(value))
            {
                Flush(word, ids, budget);
                word.Append(rune.ToString());
                Flush(word, ids, budget);
                continue;
            }

            // A word past BERT's limit becomes [UNK] anyway: stop growing it (keeps a huge unbroken string cheap).
            if (word.Length <= MaxCharsPerWord + 2)
            {
                word.Append(rune.ToString());
            }
        }

        Flush(word, ids, budget);
        ids.Add(SeparatorId);
        return [.. ids];
    }

    private void Flush(StringBuilder word, List<int> ids, int budget)
    {
        if (word.Length == 0)
        {
            return;
        }

        var normalized = Normalize(word.ToString());
        word.Clear();
        if (normalized.Length == 0)
        {
            return;
        }

        if (normalized.Length > MaxCharsPerWord)
        {
            Add(ids, UnknownId, budget);
            return;
        }

        var pieces = new List<int>();
        var start = 0;
        var buffer = new char[MaxCharsPerWord + 2];
        while (start < normalized.Length)
        {
            var found = -1;
            var end = normalized.Length;
            for (; end > start; end--)
            {
                var piece = normalized.AsSpan(start, end - start);
                ReadOnlySpan<char> key;
                if (start > 0)
                {
                    buffer[0] = '#';
                    buffer[1] = '#';
                    piece.CopyTo(buffer.AsSpan(2));
                    key = buffer.AsSpan(0, piece.Length + 2);
                }
                else
                {
                    key = piece;
                }

                if (_lookup.TryGetValue(key, out var id))
                {
                    found = id;
                    break;
                }
            }

            if (found < 0)
            {
                // BERT: a word with any piece missing from the vocabulary is one [UNK].
                Add(ids, UnknownId, budget);
                return;
            }

            pieces.Add(found);
            start = end;
        }

        foreach (var piece in pieces)
        {
            Add(ids, piece, budget);
        }
    }

    private static void Add(List<int> ids, int id, int budget)
    {
        if (ids.Count - 1 < budget)
        {
            ids.Add(id);
        }
    }

    /// <summary>Lower case, then accents stripped (canonical decomposition without combining marks), as BERT uncased does.</summary>
    private static string Normalize(string word)
    {
        var lower = word.ToLowerInvariant();
        string decomposed;
        try
        {
            decomposed = lower.Normalize(NormalizationForm.FormD);
        }
        catch (ArgumentException)
        {
            // Not normalizable (cannot happen after the rune filter, kept as a guard): use the text as it is.
            decomposed = lower;
        }

        var builder = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            // With invariant globalization the runtime may not decompose; the Latin letters are mapped by table instead.
            var index = rune.IsBmp ? AccentedLatin.IndexOf((char)rune.Value, StringComparison.Ordinal) : -1;
            if (index >= 0)
            {
                builder.Append(UnaccentedLatin[index]);
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }

        return builder.ToString();
    }

    private static bool IsControl(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.Control or UnicodeCategory.Format;
    }

    private static bool IsPunctuation(Rune rune)
    {
        var c = rune.Value;
        if (c is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126)
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsCjk(int c) =>
        c is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
