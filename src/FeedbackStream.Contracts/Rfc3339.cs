namespace FeedbackStream.Contracts;

/// <summary>
/// Strict parser for the schema's <c>timestamp</c>: <c>yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|+hh:mm|-hh:mm)</c>,
/// 'T'/'t' separator, 'Z'/'z' for UTC, years 1900..2999, real calendar days, no leap second, offsets within +-14:00.
/// Fractions beyond 7 digits (100 ns ticks) are truncated.
/// </summary>
internal static class Rfc3339
{
    // "2024-05-01T12:00:00.123456789+14:00"
    internal const int MaxLength = 35;
    private const int MinLength = 20; // "2024-05-01T12:00:00Z"

    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length is < MinLength or > MaxLength)
        {
            return false;
        }

        Span<byte> ascii = stackalloc byte[MaxLength];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 0x7F)
            {
                return false;
            }

            ascii[i] = (byte)text[i];
        }

        return TryParse(ascii[..text.Length], out value);
    }

    public static bool TryParse(ReadOnlySpan<byte> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length is < MinLength or > MaxLength
            || s[4] != '-' || s[7] != '-' || (s[10] | 0x20) != 't' || s[13] != ':' || s[16] != ':'
            || !TryDigits(s[..4], out var year)
            || !TryDigits(s.Slice(5, 2), out var month)
            || !TryDigits(s.Slice(8, 2), out var day)
            || !TryDigits(s.Slice(11, 2), out var hour)
            || !TryDigits(s.Slice(14, 2), out var minute)
            || !TryDigits(s.Slice(17, 2), out var second))
        {
            return false;
        }

        if (year is < SchemaLimits.MinTimestampYear or > SchemaLimits.MaxTimestampYear
            || month is < 1 or > 12
            || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var pos = 19;
        long fractionTicks = 0;
        if (s[pos] == '.')
        {
            pos++;
            var start = pos;
            while (pos < s.Length && IsDigit(s[pos]))
            {
                var digits = pos - start;
                if (digits < 7)
                {
                    fractionTicks = (fractionTicks * 10) + (s[pos] - '0');
                }

                pos++;
            }

            var count = pos - start;
            if (count is < 1 or > 9)
            {
                return false;
            }

            for (var i = count; i < 7; i++)
            {
                fractionTicks *= 10;
            }
        }

        var rest = s[pos..];
        int offsetMinutes;
        if (rest.Length == 1 && (rest[0] | 0x20) == 'z')
        {
            offsetMinutes = 0;
        }
        else if (rest.Length == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':'
            && TryDigits(rest.Slice(1, 2), out var offsetHours)
            && TryDigits(rest.Slice(4, 2), out var offsetMins)
            && offsetMins <= 59
            && (offsetHours <= 13 || (offsetHours == 14 && offsetMins == 0)))
        {
            offsetMinutes = (rest[0] == '-' ? -1 : 1) * ((offsetHours * 60) + offsetMins);
        }
        else
        {
            return false;
        }

        value = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.FromMinutes(offsetMinutes))
            .AddTicks(fractionTicks);
        return true;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var b in s)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }
}
