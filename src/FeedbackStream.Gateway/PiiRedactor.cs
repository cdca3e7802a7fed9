using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace FeedbackStream.Gateway;

/// <summary>Which personal data the gateway removes from free text before it leaves the gateway.</summary>
public sealed class RedactionOptions
{
    public bool Enabled { get; set; } = true;

    public bool Emails { get; set; } = true;

    public bool PaymentCards { get; set; } = true;

    public bool PhoneNumbers { get; set; } = true;

    public bool IpAddresses { get; set; } = true;

    /// <summary>Extra patterns: name to .NET regular expression, replaced by <c>[name]</c>.</summary>
    public Dictionary<string, string> CustomPatterns { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Longest a single pattern may run on one text, by the wall clock; a text on which a pattern runs out of it twice is
    /// not forwarded (fail closed). Once is forgiven: a pause of the whole process (a garbage collection, a busy core) is
    /// not the text's fault, and a valid event was refused for it under load; a text that makes a pattern backtrack
    /// runs out of the budget every time.
    /// </summary>
    public TimeSpan MatchTimeout { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>Redacted text and how many spans each rule replaced.</summary>
public sealed record RedactionResult(string Text, IReadOnlyDictionary<string, int> Replacements)
{
    public int Total => Replacements.Values.Sum();
}

/// <summary>Raised when a text cannot be redacted with certainty; the event carrying it must not be forwarded.</summary>
public sealed class RedactionFailedException : Exception
{
    public RedactionFailedException()
    {
    }

    public RedactionFailedException(string message)
        : base(message)
    {
    }

    public RedactionFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Replaces personal data in free text with placeholders: e-mail addresses (<c>[email]</c>), payment card numbers
/// (<c>[card]</c>), phone numbers (<c>[phone]</c>), IPv4 and IPv6 addresses (<c>[ip]</c>), and configured custom
/// patterns (applied first, on the text as sent). The built-in rules match on a normalized view of the text
/// (<see cref="NormalizedText"/>: NFKC, zero-width characters removed, digits of every script made ASCII), so
/// <c>ｊｏｈｎ＠example.com</c>, <c>john.doe (at) example (dot) com</c>, a card in Arabic-Indic digits or a phone
/// number with a zero-width space inside are found; the replacement is applied to the original text, which is
/// otherwise left exactly as sent. Pure and thread-safe. It fails closed: a pattern that times out raises
/// <see cref="RedactionFailedException"/> instead of letting the text through.
/// </summary>
/// <remarks>
/// What counts as a card: 13 to 19 digits, optionally grouped by spaces, dashes, dots or slashes, that pass the Luhn
/// check. A phone: 8 to 15 digits (an optional + or 00 first) grouped by spaces, dots, dashes, slashes or parentheses,
/// or 7 digits written 3-4 with a dash or space (<c>555-0100</c>); dates, ISBNs, version numbers and numbers grouped in thousands are not
/// phones. Bare runs of 8 to 15 digits count as phones (fail closed: an order number may be redacted).
/// <c>feedbackstream eval redaction</c> measures recall and false positives on a corpus (<see cref="RedactionCorpus"/>).
/// </remarks>
public sealed partial class PiiRedactor
{
    private const string Letter = @"\p{L}\p{M}\p{N}";

    // Local part: letters of any script, digits and . _ % + - ' ; dots may be written " . " (spaces on both sides), or as (dot)/[dot].
    private const string LocalChars = "[" + Letter + @"_%+'\-]";
    private const string Dot = @"(?:\.|\s\.\s|\s+\.\s+|\s*[\(\[\{<]\s*dot\s*[\)\]\}>]\s*)";
    private const string At = @"(?:\s*@\s*|\s*[\(\[\{<]\s*at\s*[\)\]\}>]\s*)";
    private const string Label = "[" + Letter + @"](?:[" + Letter + @"\-]{0,62}[" + Letter + "])?";
    private const string Tld = @"(?:\p{L}[\p{L}\p{M}]{1,62}|xn--[a-z0-9\-]{2,59})";

    private static readonly string EmailPattern =
        "(?<![" + Letter + @"_%+'\-.@])(?:""[^""\r\n]{1,64}""|" + LocalChars + "+(?:" + Dot + LocalChars + "+)*)" + At +
        "(?:" + Label + Dot + ")+" + Tld + "(?![" + Letter + "])";

    // "john dot doe at example dot com": the spelled-out form, only with a common top-level domain so prose is not touched.
    private const string WordEmailPattern =
        @"(?<![\p{L}\p{N}'+.%_\-])[\p{L}\p{N}'+.%_\-]+(?:\s+dot\s+[\p{L}\p{N}'+.%_\-]+)*\s+at\s+[\p{L}\p{N}\-]+(?:\s+dot\s+[\p{L}\p{N}\-]+)*\s+dot\s+(?:com|org|net|edu|gov|io|co|de|fr|uk|es|it|nl|ru|cn|jp|in|br|info|biz|me)(?![\p{L}\p{N}])";

    private const string CardPattern = @"(?<![\d.,/\-])\d(?:(?:[ \-/.]|\s[\-/.]\s)?\d){12,18}(?![\d]|[.,/\-]\d)";

    private const string PhonePattern = @"(?<![\w+.,/\-])(?:\+\s?|00)?(?:\((?=\d{1,5}\)))?\d(?:(?:[ .\-/]|\s?[()]\s?|\s[\-.]\s){0,1}\d){6,15}(?![\w]|[.,/\-]\d)";

    private readonly RedactionOptions _options;
    private readonly List<(string Name, Regex Pattern, Func<Match, bool> Accept)> _custom = [];
    private readonly List<(string Name, Regex Pattern, Func<Match, bool> Accept, Func<string, bool> MayMatch)> _rules = [];

    public PiiRedactor(RedactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var timeout = options.MatchTimeout;
        const RegexOptions flags = RegexOptions.CultureInvariant | RegexOptions.Compiled;

        // Configured patterns first, on the text as sent: they are the operator's more specific intent (an id format
        // that would otherwise look like a phone number, say).
        foreach (var (name, pattern) in options.CustomPatterns)
        {
            _custom.Add((name, new Regex(pattern, flags, timeout), _ => true));
        }

        if (options.Emails)
        {
            _rules.Add(("email", new Regex(EmailPattern, flags | RegexOptions.IgnoreCase, timeout), _ => true, MayHoldEmail));
            _rules.Add(("email", new Regex(WordEmailPattern, flags | RegexOptions.IgnoreCase, timeout), _ => true, t => t.Contains(" dot ", StringComparison.OrdinalIgnoreCase)));
        }

        if (options.PaymentCards)
        {
            _rules.Add(("card", new Regex(CardPattern, flags, timeout), m => IsCardNumber(m.Value), HasDigits));
        }

        if (options.IpAddresses)
        {
            _rules.Add(("ip", new Regex(@"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d]|\.\d)", flags, timeout), _ => true, t => t.Contains('.') && HasDigits(t)));
            _rules.Add(("ip", new Regex(@"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])", flags, timeout), m => IsIpv6(m.Value), t => t.AsSpan().Count(':') >= 2));
        }

        if (options.PhoneNumbers)
        {
            _rules.Add(("phone", new Regex(PhonePattern, flags, timeout), m => IsPhoneNumber(m.Value), HasDigits));
        }

        // Compiled patterns are turned into code on their first match; do it here, not inside a request's time-out.
        foreach (var (_, pattern, _, _) in _rules)
        {
            try
            {
                _ = pattern.IsMatch("warm up: a.b (at) c (dot) de, x@y.io, 4111 1111 1111 1111, +1 (415) 555-0100, 10.0.0.1, ::1");
            }
            catch (RegexMatchTimeoutException)
            {
                // A slow first match here changes nothing: requests still run with the time-out.
            }
        }
    }

    public RedactionResult Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!_options.Enabled || text.Length == 0)
        {
            return new RedactionResult(text, counts);
        }

        var current = text;
        foreach (var (name, pattern, accept) in _custom)
        {
            current = Replace(current, name, pattern, accept, counts);
        }

        var normalized = NormalizedText.Of(current);
        var spans = new List<(int Start, int End, string Name)>();
        foreach (var (name, pattern, accept, mayMatch) in _rules)
        {
            // Cheap necessary conditions first: most texts hold no '@', few digits, fewer colons.
            if (!mayMatch(normalized.Text))
            {
                continue;
            }

            // Static, with its inputs passed in: no closure or list per rule and text unless something matched.
            var found = WithinBudget(name, (pattern, accept, normalized), static state =>
            {
                List<(int Start, int End)>? matches = null;
                for (var match = state.pattern.Match(state.normalized.Text); match.Success; match = match.NextMatch())
                {
                    if (state.accept(match))
                    {
                        (matches ??= []).Add(state.normalized.ToOriginal(match.Index, match.Index + match.Length));
                    }
                }

                return matches;
            });
            foreach (var (start, end) in found ?? [])
            {
                if (!spans.Exists(s => s.Start < end && start < s.End))
                {
                    spans.Add((start, end, name));
                }
            }
        }

        if (spans.Count == 0)
        {
            return new RedactionResult(current, counts);
        }

        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        var builder = new System.Text.StringBuilder(current.Length);
        var at = 0;
        foreach (var (start, end, name) in spans)
        {
            builder.Append(current, at, start - at).Append('[').Append(name).Append(']');
            counts[name] = counts.GetValueOrDefault(name) + 1;
            at = end;
        }

        builder.Append(current, at, current.Length - at);
        return new RedactionResult(builder.ToString(), counts);
    }

    private string Replace(string text, string name, Regex pattern, Func<Match, bool> accept, Dictionary<string, int> counts)
    {
        var (result, replaced) = WithinBudget(name, (text, name, pattern, accept), static state =>
        {
            var replaced = 0;
            var result = state.pattern.Replace(state.text, match =>
            {
                if (!state.accept(match))
                {
                    return match.Value;
                }

                replaced++;
                return $"[{state.name}]";
            });
            return (result, replaced);
        });
        if (replaced > 0)
        {
            counts[name] = counts.GetValueOrDefault(name) + replaced;
        }

        return result;
    }

    /// <summary>Runs one rule over one text; a second time if the first ran out of its budget (see <see cref="RedactionOptions.MatchTimeout"/>).</summary>
    private TResult WithinBudget<TState, TResult>(string name, TState state, Func<TState, TResult> run)
    {
        try
        {
            return run(state);
        }
        catch (RegexMatchTimeoutException)
        {
            try
            {
                return run(state);
            }
            catch (RegexMatchTimeoutException e)
            {
                throw new RedactionFailedException($"The {name} redaction rule did not finish within {_options.MatchTimeout.TotalMilliseconds} ms, twice.", e);
            }
        }
    }

    private static bool MayHoldEmail(string text) =>
        text.Contains('@') || (text.Contains("at", StringComparison.OrdinalIgnoreCase) && text.AsSpan().IndexOfAny("([{<") >= 0);

    /// <summary>
    /// Why an identifier (user_id, response_id) must not be stored because it is personal data, or null: a payment card
    /// number (with or without separators), or a phone number written with separators (415-555-0100). Plain digit runs
    /// that are no card are allowed: numeric ids are common.
    /// </summary>
    public static string? PersonalDataInIdentifier(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var digits = 0;
        var separators = 0;
        foreach (var c in identifier)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (c is '-' or '.' or '_' or ':')
            {
                separators++;
            }
            else
            {
                return null;
            }
        }

        if (digits is >= 13 and <= 19 && IsCardNumber(identifier))
        {
            return "looks like a payment card number; identifiers must not carry personal data (use an opaque id)";
        }

        return separators > 0 && digits is >= 7 and <= 15 && IsPhoneNumber(identifier)
            ? "looks like a phone number; identifiers must not carry personal data (use an opaque id)"
            : null;
    }

    /// <summary>13 to 19 digits that pass the Luhn check (and are not an ISBN-13).</summary>
    public static bool IsCardNumber(string candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var digits = Digits(candidate);
        return digits.Length is >= 13 and <= 19 && PassesLuhn(digits) && !IsIsbn13(digits);
    }

    /// <summary>Whether a matched run of digits and separators is written like a phone number (not a date, ISBN, version or amount).</summary>
    public static bool IsPhoneNumber(string candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var digits = Digits(candidate);
        var international = candidate.StartsWith('+') || candidate.StartsWith("00", StringComparison.Ordinal);
        var groups = Groups(candidate);
        if (digits.Length == 7)
        {
            // Local numbers: 555-0100, 555 0100 (not 555.0100: a decimal such as 126.7846 is far more common).
            return !international && groups.Count == 2 && groups[0].Length == 3 && groups[1].Length == 4 && !candidate.Contains('.');
        }

        if (digits.Length is < 8 or > 15)
        {
            return false;
        }

        if (international || candidate.Contains('('))
        {
            return true;
        }

        if (IsIsbn13(digits) || LooksLikeDate(candidate, groups))
        {
            return false;
        }

        var separators = candidate.Where(c => !char.IsAsciiDigit(c)).Distinct().ToArray();

        // Version numbers (10.0.19041.1) and dotted amounts (12.000.000): dots only, with a one-digit group or thousands groups.
        if (separators is ['.'] && (groups.Exists(g => g.Length == 1) || IsThousands(groups)))
        {
            return false;
        }

        // Amounts grouped in thousands with spaces: 1 000 000, 12 000 000.
        return !(separators is [' '] && groups[0].Length <= 2 && IsThousands(groups));
    }

    private static bool IsThousands(List<string> groups) => groups.Count >= 2 && groups[0].Length <= 3 && groups.Skip(1).All(g => g.Length == 3);

    private static bool LooksLikeDate(string candidate, List<string> groups)
    {
        if (groups.Count < 3 || candidate.Contains(' '))
        {
            return false;
        }

        static bool Year(string g) => g.Length == 4 && int.Parse(g, CultureInfo.InvariantCulture) is >= 1900 and <= 2099;
        static bool Month(string g) => g.Length <= 2 && int.Parse(g, CultureInfo.InvariantCulture) is >= 1 and <= 12;
        static bool Day(string g) => g.Length <= 2 && int.Parse(g, CultureInfo.InvariantCulture) is >= 1 and <= 31;
        return groups.Count == 3 && ((Year(groups[0]) && Month(groups[1]) && Day(groups[2])) ||
                                     (Day(groups[0]) && Month(groups[1]) && Year(groups[2])) ||
                                     (Month(groups[0]) && Day(groups[1]) && Year(groups[2])));
    }

    private static List<string> Groups(string candidate) =>
        [.. DigitGroups().Matches(candidate).Select(m => m.Value)];

    [GeneratedRegex(@"\d+", RegexOptions.CultureInvariant)]
    private static partial Regex DigitGroups();

    private static string Digits(string value) => string.Concat(value.Where(char.IsAsciiDigit));

    private static bool IsIsbn13(string digits)
    {
        if (digits.Length != 13 || !(digits.StartsWith("978", StringComparison.Ordinal) || digits.StartsWith("979", StringComparison.Ordinal)))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 13; i++)
        {
            sum += (digits[i] - '0') * (i % 2 == 0 ? 1 : 3);
        }

        return sum % 10 == 0;
    }

    internal static bool PassesLuhn(string candidate)
    {
        var sum = 0;
        var digits = 0;
        var doubleIt = false;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            var c = candidate[i];
            if (c is < '0' or > '9')
            {
                continue;
            }

            var d = c - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            digits++;
            doubleIt = !doubleIt;
        }

        return digits is >= 13 and <= 19 && sum % 10 == 0;
    }

    private static bool IsIpv6(string candidate) =>
        candidate.Count(c => c == ':') >= 2 && candidate.Any(char.IsAsciiHexDigit) &&
        IPAddress.TryParse(candidate, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    private static bool HasDigits(string value) => value.AsSpan().IndexOfAnyInRange('0', '9') >= 0;
}
