using System.Globalization;
using System.Text;

namespace FeedbackStream.Storage;

/// <summary>
/// ClickHouse string literals for id lists that travel in the request body (a URL parameter per id would exceed a
/// server's URL limit: HTTP 414). Escapes backslash, quote and every control character, so any string, hostile or
/// not, stays one literal.
/// </summary>
public static class SqlLiteral
{
    /// <summary>Most literal text one query carries; ClickHouse's <c>max_query_size</c> defaults to 256 KiB.</summary>
    public const int MaxListChars = 128 * 1024;

    public static string String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 2);
        Append(builder, value);
        return builder.ToString();
    }

    /// <summary>A parenthesised list <c>('a', 'b')</c>; an empty list gives <c>(NULL)</c>, which matches nothing.</summary>
    public static string List(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var builder = new StringBuilder("(");
        var first = true;
        foreach (var value in values)
        {
            if (!first)
            {
                builder.Append(", ");
            }

            Append(builder, value);
            first = false;
        }

        return first ? "(NULL)" : builder.Append(')').ToString();
    }

    /// <summary>Splits <paramref name="values"/> into chunks whose literal lists stay under <see cref="MaxListChars"/> (and at most <paramref name="maxCount"/> items).</summary>
    public static IEnumerable<List<T>> Chunks<T>(IEnumerable<T> values, Func<T, int> literalLength, int maxCount = int.MaxValue, int maxChars = MaxListChars)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(literalLength);
        var chunk = new List<T>();
        var chars = 0;
        foreach (var value in values)
        {
            var length = literalLength(value) + 4;
            if (chunk.Count > 0 && (chars + length > maxChars || chunk.Count >= maxCount))
            {
                yield return chunk;
                chunk = [];
                chars = 0;
            }

            chunk.Add(value);
            chars += length;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    private static void Append(StringBuilder builder, string value)
    {
        builder.Append('\'');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\'':
                    builder.Append("\\'");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case < ' ' or '\u007f':
                    builder.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        builder.Append('\'');
    }
}
