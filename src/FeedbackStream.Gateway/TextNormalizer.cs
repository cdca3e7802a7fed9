using System.Globalization;
using System.Text;

namespace FeedbackStream.Gateway;

/// <summary>
/// A view of a text made for matching personal data, with a map back to the original: Unicode NFKC per character
/// (full-width <c>＠</c> and letters become ASCII), format characters such as the zero-width space removed, decimal
/// digits of every script (Arabic-Indic, Devanagari, full-width ...) made ASCII, dashes and spaces unified.
/// </summary>
internal sealed class NormalizedText
{
    private readonly int[]? _start;
    private readonly int[]? _end;

    private NormalizedText(string text, int[]? start, int[]? end)
    {
        Text = text;
        _start = start;
        _end = end;
    }

    /// <summary>The text to match on.</summary>
    public string Text { get; }

    /// <summary>The original range <c>[start, end)</c> that the normalized range <c>[start, end)</c> came from.</summary>
    public (int Start, int End) ToOriginal(int start, int end) =>
        _start is null ? (start, end) : (_start[start], _end![end - 1]);

    public static NormalizedText Of(string original)
    {
        // Most texts are plain ASCII without look-alike characters: identity.
        if (!original.AsSpan().ContainsAnyExceptInRange('\u0000', '\u007f'))
        {
            return new NormalizedText(original, null, null);
        }

        var text = new StringBuilder(original.Length);
        var start = new List<int>(original.Length);
        var end = new List<int>(original.Length);
        var i = 0;
        while (i < original.Length)
        {
            var status = Rune.DecodeFromUtf16(original.AsSpan(i), out var rune, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                consumed = 1;
                rune = Rune.ReplacementChar;
            }

            var mapped = Map(rune);
            foreach (var c in mapped)
            {
                text.Append(c);
                start.Add(i);
                end.Add(i + consumed);
            }

            i += consumed;
        }

        return new NormalizedText(text.ToString(), [.. start], [.. end]);
    }

    /// <summary>
    /// The compatibility forms that can hide personal data, folded as NFKC folds them. <see cref="string.Normalize()"/>
    /// needs ICU: under InvariantGlobalization (this product's setting) it returns the text unchanged, so these are
    /// mapped here: full-width ASCII, small form variants (﹫), mathematical alphanumerics (𝐣𝐨𝐡𝐧), circled and
    /// parenthesized letters and numbers, superscript and subscript digits, the fi/fl ligatures.
    /// </summary>
    internal static string? Fold(int value) => value switch
    {
        >= 0xFF01 and <= 0xFF5E => ((char)(value - 0xFEE0)).ToString(),
        0x3000 => " ",
        >= 0xFE50 and <= 0xFE6B => SmallForms[value - 0xFE50] is var c and not '\0' ? c.ToString() : null,
        >= 0x1D400 and < 0x1D6A4 => ((value - 0x1D400) % 52) is var o && o < 26 ? ((char)('A' + o)).ToString() : ((char)('a' + o - 26)).ToString(),
        >= 0x1D7CE and <= 0x1D7FF => ((char)('0' + ((value - 0x1D7CE) % 10))).ToString(),
        >= 0x2460 and <= 0x2473 => (value - 0x2460 + 1).ToString(CultureInfo.InvariantCulture),
        >= 0x2474 and <= 0x2487 => $"({value - 0x2474 + 1})",
        >= 0x2488 and <= 0x249B => $"{value - 0x2488 + 1}.",
        >= 0x24B6 and <= 0x24CF => ((char)('A' + value - 0x24B6)).ToString(),
        >= 0x24D0 and <= 0x24E9 => ((char)('a' + value - 0x24D0)).ToString(),
        0x24EA => "0",
        >= 0x2776 and <= 0x277F => (value - 0x2776 + 1).ToString(CultureInfo.InvariantCulture),
        0x2070 => "0",
        0x00B9 => "1",
        0x00B2 => "2",
        0x00B3 => "3",
        >= 0x2074 and <= 0x2079 => ((char)('4' + value - 0x2074)).ToString(),
        >= 0x2080 and <= 0x2089 => ((char)('0' + value - 0x2080)).ToString(),
        0xFB01 => "fi",
        0xFB02 => "fl",
        _ => null,
    };

    private static readonly char[] SmallForms = ",、.\0;:?!-(){}〔〕#&*+-<>=\0\\$%@".ToCharArray();

    /// <summary>What one character of the original becomes (possibly nothing).</summary>
    private static string Map(Rune rune)
    {
        if (rune.IsAscii)
        {
            return rune.ToString();
        }

        var category = Rune.GetUnicodeCategory(rune);
        if (category == UnicodeCategory.Format)
        {
            // Zero-width space and joiners, soft hyphen, word joiner, BOM: invisible, so they hide nothing.
            return string.Empty;
        }

        if (category == UnicodeCategory.DecimalDigitNumber)
        {
            return ((char)('0' + (int)Rune.GetNumericValue(rune))).ToString();
        }

        if (category == UnicodeCategory.SpaceSeparator)
        {
            return " ";
        }

        if (category == UnicodeCategory.DashPunctuation || rune.Value == 0x2212)
        {
            return "-";
        }

        if (Fold(rune.Value) is { } folded)
        {
            return folded;
        }

        var text = rune.ToString();
        var normalized = text.IsNormalized(NormalizationForm.FormKC) ? text : text.Normalize(NormalizationForm.FormKC);
        if (normalized.Length == 0)
        {
            return normalized;
        }

        // NFKC can itself yield digits of other scripts or spaces (e.g. circled digits stay symbols; full-width digits become ASCII).
        var builder = new StringBuilder(normalized.Length);
        foreach (var c in normalized)
        {
            builder.Append(char.IsDigit(c) ? (char)('0' + CharUnicodeInfo.GetDecimalDigitValue(c)) : c);
        }

        return builder.ToString();
    }
}
