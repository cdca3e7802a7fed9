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

    /// <summary>Longest a single pattern may run on one text; past it the text is not forwarded (fail closed).</summary>
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
/// that pass the Luhn check (<c>[card]</c>), phone numbers of 8 to 15 digits (<c>[phone]</c>), IPv4 and IPv6
/// addresses (<c>[ip]</c>), and configured custom patterns (applied first). Pure and thread-safe. It fails closed: a pattern that
/// times out raises <see cref="RedactionFailedException"/> instead of letting the text through.
/// </summary>
public sealed class PiiRedactor
{
    private readonly RedactionOptions _options;
    private readonly List<(string Name, Regex Pattern, Func<Match, bool> Accept, Func<string, bool> MayMatch)> _rules = [];

    public PiiRedactor(RedactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var timeout = options.MatchTimeout;
        const RegexOptions flags = RegexOptions.CultureInvariant | RegexOptions.Compiled;

        // Configured patterns first: they are the operator's more specific intent (an id format that would
        // otherwise look like a phone number, say).
        foreach (var (name, pattern) in options.CustomPatterns)
        {
            _rules.Add((name, new Regex(pattern, flags, timeout), _ => true, _ => true));
        }

        if (options.Emails)
        {
            _rules.Add(("email", new Regex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", flags, timeout), _ => true, t => t.Contains('@')));
        }

        if (options.PaymentCards)
        {
            // 13 to 19 digits, optionally grouped by single spaces or dashes; kept only when the Luhn check passes.
            _rules.Add(("card", new Regex(@"(?<![\d])\d(?:[ \-]?\d){12,18}(?![\d])", flags, timeout), m => PassesLuhn(m.Value), HasDigits));
        }

        if (options.IpAddresses)
        {
            _rules.Add(("ip", new Regex(@"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])", flags, timeout), _ => true, t => t.Contains('.') && HasDigits(t)));
            _rules.Add(("ip", new Regex(@"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])", flags, timeout), m => IsIpv6(m.Value), t => t.AsSpan().Count(':') >= 2));
        }

        if (options.PhoneNumbers)
        {
            // An optional +, then digits with spaces, dots, dashes or parentheses between them: 8 to 15 digits in all.
            _rules.Add(("phone", new Regex(@"(?<![\w+])\+?\(?\d(?:[\s.\-()]{0,2}\d){7,14}(?!\w)", flags, timeout), m => CountDigits(m.Value) is >= 8 and <= 15, HasDigits));
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
        foreach (var (name, pattern, accept, mayMatch) in _rules)
        {
            // Cheap necessary conditions first: most texts hold no '@', few digits, fewer colons.
            if (!mayMatch(current))
            {
                continue;
            }

            try
            {
                var replaced = 0;
                current = pattern.Replace(current, match =>
                {
                    if (!accept(match))
                    {
                        return match.Value;
                    }

                    replaced++;
                    return $"[{name}]";
                });
                if (replaced > 0)
                {
                    counts[name] = counts.GetValueOrDefault(name) + replaced;
                }
            }
            catch (RegexMatchTimeoutException e)
            {
                throw new RedactionFailedException($"The {name} redaction rule did not finish within {_options.MatchTimeout.TotalMilliseconds} ms.", e);
            }
        }

        return new RedactionResult(current, counts);
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

    private static int CountDigits(string value) => value.Count(char.IsAsciiDigit);

    private static bool HasDigits(string value) => value.AsSpan().IndexOfAnyInRange('0', '9') >= 0;
}
