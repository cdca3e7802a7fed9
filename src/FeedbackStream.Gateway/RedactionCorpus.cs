using System.Globalization;
using System.Text;

namespace FeedbackStream.Gateway;

/// <summary>One text of the redaction corpus: personal data of <see cref="Kind"/> between a prefix and a suffix, or (Kind null) a look-alike that is no personal data.</summary>
public sealed record RedactionSample(string? Kind, string Variant, string Prefix, string Value, string Suffix)
{
    public string Text => Prefix + Value + Suffix;
}

/// <summary>
/// The corpus <c>feedbackstream eval redaction</c> measures <see cref="PiiRedactor"/> on, generated from the templates
/// below with a fixed seed (the same texts on every run and machine): e-mail addresses, card numbers, phone numbers
/// and IP addresses written the ways people and evasive clients write them (spaced, spelled out, full-width, other
/// digit scripts, zero-width characters, internationalised domains, quoted local parts), and look-alikes that are not
/// personal data (dates, times, versions, amounts, ISBNs, codes, identifiers, handles). Read this file to review it.
/// </summary>
/// <remarks>
/// Not in the look-alikes, by design: bare runs of 8 to 15 digits (an order number is indistinguishable from a phone
/// number, and the redactor fails closed on them) and IP addresses (they are redacted on purpose).
/// </remarks>
public static class RedactionCorpus
{
    public const int DefaultSeed = 20261130;

    private static readonly string[] Sentences =
    [
        "my details: {0}", "please write to {0} today", "{0}", "Contact: {0}.", "reach me ({0}) after lunch", "ok so it's {0}, thanks",
        "Schreib mir bitte an {0}", "mi dato es {0} gracias", "送ってください {0} よろしく", "это {0} спасибо", "رقمي هو {0} شكرا", "<{0}>",
    ];

    private static readonly string[] Locals =
    [
        "john.doe", "ann_lee", "m.mueller", "jöhn", "josé.garcía", "li.lei", "o'brien", "first+tag", "x1990", "support-team", "zoë", "ivan.petrov",
        "李雷", "имя.фамилия", "user_42", "a.b.c",
    ];

    private static readonly string[] Domains =
    [
        "example.com", "mail.example.co.uk", "gmail.com", "corp.example.org", "uni-koeln.de", "example.io", "firma.example.net",
    ];

    private static readonly string[] IdnDomains = ["exämple.de", "bücher.example", "例子.广告", "пример.рф", "xn--bcher-kva.example", "müller.com"];

    private static readonly (string Prefix, int Length)[] CardBrands =
    [
        ("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("3528", 16), ("36", 14), ("62", 19),
    ];

    private static readonly string[] PhoneFormats =
    [
        "+1 ### ### ####", "(###) ###-####", "###-###-####", "###.###.####", "+1-###-###-####", "###-####", "### ####",
        "+44 20 #### ####", "+44 7### ######", "07### ######", "+49 30 #######", "0049 30 #######", "030 #######", "+33 1 ## ## ## ##",
        "+91 ##### #####", "+81 3-####-####", "+86 ### #### ####", "+7 (###) ###-##-##", "+34 ### ### ###", "+61 4## ### ###",
    ];

    /// <summary>Digit scripts a number may be written in (ASCII first).</summary>
    private static readonly (string Name, int Zero)[] DigitScripts =
        [("ascii", '0'), ("arabic-indic", 0x0660), ("extended-arabic-indic", 0x06F0), ("devanagari", 0x0966), ("full-width", 0xFF10), ("bengali", 0x09E6)];

    public static IReadOnlyList<RedactionSample> Generate(int seed = DefaultSeed)
    {
        var random = new Random(seed);
        var samples = new List<RedactionSample>();
        for (var i = 0; i < 260; i++)
        {
            samples.Add(Email(random, i));
        }

        for (var i = 0; i < 180; i++)
        {
            samples.Add(Card(random, i));
        }

        for (var i = 0; i < 200; i++)
        {
            samples.Add(Phone(random, i));
        }

        for (var i = 0; i < 60; i++)
        {
            samples.Add(Ip(random, i));
        }

        for (var i = 0; i < 640; i++)
        {
            samples.Add(LookAlike(random, i));
        }

        return samples;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> values) => values[random.Next(values.Count)];

    private static RedactionSample Place(Random random, string? kind, string variant, string value)
    {
        var sentence = Pick(random, Sentences);
        var at = sentence.IndexOf("{0}", StringComparison.Ordinal);
        return new RedactionSample(kind, variant, sentence[..at], value, sentence[(at + 3)..]);
    }

    private static RedactionSample Email(Random random, int i)
    {
        var local = Pick(random, Locals);
        var domain = Pick(random, Domains);
        var variant = i % 13;
        var (name, value) = variant switch
        {
            0 => ("plain", $"{local}@{domain}"),
            12 => ("math-letters", $"{MathBold("johndoe")}@{domain}"),
            1 => ("spaced-at", $"{local} @ {domain}"),
            2 => ("spaced-dots", $"{local.Replace(".", " . ", StringComparison.Ordinal)} @ {domain.Replace(".", " . ", StringComparison.Ordinal)}"),
            3 => ("bracketed-at-dot", $"{local}{Pick(random, ["(at)", " (at) ", "[at]", " [ at ] ", "{at}", "<at>", "(AT)"])}{domain.Replace(".", Pick(random, ["(dot)", " (dot) ", "[dot]", " [DOT] "]), StringComparison.Ordinal)}"),
            4 => ("full-width-at", $"{local}{Pick(random, ["＠", "﹫"])}{domain}"),
            5 => ("full-width", FullWidth($"{local}@{domain}")),
            6 => ("zero-width", InsertInvisible(random, $"{local}@{domain}")),
            7 => ("idn-domain", $"{local}@{Pick(random, IdnDomains)}"),
            8 => ("quoted-local", $"\"{Pick(random, ["john doe", "ann lee", "x@y", "a.b c"])}\"@{domain}"),
            9 => ("upper-case", $"{local}@{domain}".ToUpperInvariant()),
            10 => ("spelled-out", $"{local.Replace(".", " dot ", StringComparison.Ordinal)} at {domain.Split('.')[0]} dot {Pick(random, ["com", "org", "net", "de", "io"])}"),
            _ => ("unicode-local", $"{Pick(random, ["jöhn", "zoë", "søren", "łukasz", "ñandú", "李雷", "ψυχή"])}@{domain}"),
        };
        return Place(random, "email", name, value);
    }

    private static RedactionSample Card(Random random, int i)
    {
        var (prefix, length) = Pick(random, CardBrands);
        var digits = LuhnNumber(random, prefix, length);
        var variant = i % 9;
        var grouped = Group(digits, length == 15 ? [4, 6, 5] : length == 14 ? [4, 6, 4] : [4, 4, 4, 4, 4]);
        var (name, value) = variant switch
        {
            0 => ("plain", digits),
            1 => ("spaces", string.Join(' ', grouped)),
            2 => ("dashes", string.Join('-', grouped)),
            3 => ("slashes", string.Join(Pick(random, ["/", " / "]), grouped)),
            4 => ("dots", string.Join('.', grouped)),
            5 => ("zero-width", InsertInvisible(random, string.Join(' ', grouped))),
            6 => ("nbsp", string.Join(Pick(random, ["\u00A0", "\u2009", "\u202F"]), grouped)),
            _ => Script(random, string.Join(Pick(random, [" ", "-", ""]), grouped)),
        };
        return Place(random, "card", name, value);
    }

    private static RedactionSample Phone(Random random, int i)
    {
        var format = PhoneFormats[i % PhoneFormats.Length];
        var number = new StringBuilder();
        foreach (var c in format)
        {
            // The first digit is 2-9 (0 and 1 are trunk and service prefixes); the rest any digit.
            number.Append(c != '#' ? c : (char)('0' + (number.ToString().Any(char.IsAsciiDigit) ? random.Next(10) : random.Next(2, 10))));
        }

        var text = number.ToString();
        var variant = i / PhoneFormats.Length % 5;
        var (name, value) = variant switch
        {
            0 or 1 => ("format " + format, text),
            2 => ("zero-width", InsertInvisible(random, text)),
            3 => ("nbsp", text.Replace(" ", "\u00A0", StringComparison.Ordinal)),
            _ => Script(random, text),
        };
        return Place(random, "phone", name, value);
    }

    private static RedactionSample Ip(Random random, int i)
    {
        var v4 = $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
        var (name, value) = (i % 4) switch
        {
            0 => ("ipv4", v4),
            1 => ("ipv6", $"2001:db8:{random.Next(0x10000):x}::{random.Next(0x10000):x}"),
            2 => ("ipv6-full", string.Join(':', Enumerable.Range(0, 8).Select(_ => random.Next(0x10000).ToString("x", CultureInfo.InvariantCulture)))),
            _ => ("ipv4-full-width", FullWidth(v4)),
        };
        return Place(random, "ip", name, value);
    }

    private static RedactionSample LookAlike(Random random, int i)
    {
        int R(int min, int max) => random.Next(min, max + 1);
        var year = R(1950, 2030);
        var (name, value) = (i % 32) switch
        {
            0 => ("iso-date", $"{year}-{R(1, 12):D2}-{R(1, 28):D2}"),
            1 => ("date-slash", $"{R(1, 28):D2}/{R(1, 12):D2}/{year}"),
            2 => ("date-dot", $"{R(1, 28)}.{R(1, 12)}.{year}"),
            3 => ("time", $"{R(0, 23):D2}:{R(0, 59):D2}{Pick(random, ["", ":" + R(0, 59).ToString("D2", CultureInfo.InvariantCulture)])}"),
            4 => ("version", $"v{R(1, 20)}.{R(0, 9)}.{R(0, 40)}"),
            5 => ("build", $"{R(6, 11)}.0.{R(10000, 26000)}.{R(1, 9)}"),
            6 => ("price", $"${R(1, 999)},{R(0, 999):D3}.{R(0, 99):D2}"),
            7 => ("amount-eu", $"{R(1, 99)}.{R(0, 999):D3}.{R(0, 999):D3} EUR"),
            8 => ("amount-spaces", $"{R(1, 99)} {R(0, 999):D3} {R(0, 999):D3} habitants"),
            9 => ("count", $"{R(1, 9)},{R(0, 999):D3},{R(0, 999):D3} users"),
            10 => ("isbn", Isbn(random)),
            11 => ("sku", $"SKU {R(10000, 999999)}"),
            12 => ("ticket", $"{Pick(random, ["JIRA", "OPS", "INC", "BUG"])}-{R(1, 99999)}"),
            13 => ("invoice", $"INV-{year}-{R(1, 9999):D4}"),
            14 => ("uuid", new Guid(Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256)).ToArray()).ToString()),
            15 => ("git-sha", string.Concat(Enumerable.Range(0, 40).Select(_ => "0123456789abcdef"[random.Next(16)]))),
            16 => ("coordinates", $"{R(-89, 89)}.{R(0, 9999):D4}, {R(-179, 179)}.{R(0, 9999):D4}"),
            17 => ("math", $"{R(1, 999)} + {R(1, 999)} = {R(2, 1998)}"),
            18 => ("range", $"pages {R(1, 400)}-{R(401, 900)}"),
            19 => ("handle", $"@{Pick(random, Locals).Replace(".", "_", StringComparison.Ordinal)}"),
            20 => ("at-sign-prose", Pick(random, ["meet me at the station at 5", "price @ 3 each", "use the @ sign", "a@b", "look at example.com", "node.js at scale"])),
            21 => ("domain", Pick(random, Domains.Concat(IdnDomains).ToArray())),
            22 => ("card-like-failing-luhn", FailingLuhn(random)),
            23 => ("short-number", $"{Pick(random, ["room", "ext.", "PIN", "zip", "flight LH", "bus", "port"])} {R(1, 99999)}"),
            24 => ("year-list", $"{year}, {year + 1}, {year + 2}"),
            25 => ("score", $"{R(0, 9)}-{R(0, 9)} after {R(60, 120)} minutes"),
            26 => ("iso-date-arabic", ToScript($"{year}-{R(1, 12):D2}-{R(1, 28):D2}", 0x0660)),
            27 => ("time-full-width", FullWidth($"{R(0, 23):D2}:{R(0, 59):D2}")),
            28 => ("price-devanagari", "₹" + ToScript($"{R(1, 99)},{R(0, 999):D3}", 0x0966)),
            29 => ("percent", $"{R(0, 100)}.{R(0, 9)} % of {R(100, 999)} samples"),
            30 => ("hex-color", $"#{random.Next(0x1000000):X6}"),
            _ => ("measure", $"{R(1, 999)}x{R(1, 999)} px at {R(24, 240)} Hz"),
        };
        return Place(random, null, name, value);
    }

    private static string LuhnNumber(Random random, string prefix, int length)
    {
        var digits = new StringBuilder(prefix);
        while (digits.Length < length - 1)
        {
            digits.Append((char)('0' + random.Next(10)));
        }

        for (var check = 0; check < 10; check++)
        {
            var candidate = digits.ToString() + (char)('0' + check);
            if (PiiRedactor.PassesLuhn(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("unreachable: one check digit always passes");
    }

    private static string FailingLuhn(Random random)
    {
        var number = LuhnNumber(random, "4", 16);
        var last = (number[^1] - '0' + 1 + random.Next(9)) % 10;
        var digits = number[..^1] + (char)('0' + last);
        return string.Join(' ', Group(digits, [4, 4, 4, 4]));
    }

    private static string Isbn(Random random)
    {
        var digits = "978" + string.Concat(Enumerable.Range(0, 9).Select(_ => (char)('0' + random.Next(10))));
        var sum = digits.Select((c, i) => (c - '0') * (i % 2 == 0 ? 1 : 3)).Sum();
        digits += (char)('0' + ((10 - (sum % 10)) % 10));
        return $"ISBN {digits[..3]}-{digits[3]}-{digits[4..6]}-{digits[6..12]}-{digits[12]}";
    }

    private static List<string> Group(string digits, int[] sizes)
    {
        var groups = new List<string>();
        var at = 0;
        foreach (var size in sizes)
        {
            if (at >= digits.Length)
            {
                break;
            }

            var take = Math.Min(size, digits.Length - at);
            groups.Add(digits.Substring(at, take));
            at += take;
        }

        if (at < digits.Length)
        {
            groups.Add(digits[at..]);
        }

        return groups;
    }

    private static (string Name, string Value) Script(Random random, string text)
    {
        var (name, zero) = DigitScripts[1 + random.Next(DigitScripts.Length - 1)];
        return (name + "-digits", ToScript(text, zero));
    }

    private static string ToScript(string text, int zero)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                builder.Append(char.ConvertFromUtf32(zero + (c - '0')));
            }
            else if (zero == 0xFF10 && c == '+')
            {
                builder.Append('＋');
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string MathBold(string ascii) =>
        string.Concat(ascii.Select(c => char.ConvertFromUtf32(0x1D41A + (c - 'a'))));

    private static string FullWidth(string text) =>
        string.Concat(text.Select(c => c is > ' ' and <= '~' ? (char)(c + 0xFEE0) : c));

    private static string InsertInvisible(Random random, string text)
    {
        string[] invisible = ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD"];
        var builder = new StringBuilder(text);
        var count = 1 + random.Next(3);
        for (var k = 0; k < count; k++)
        {
            builder.Insert(1 + random.Next(builder.Length - 1), Pick(random, invisible));
        }

        return builder.ToString();
    }
}
