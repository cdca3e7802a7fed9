namespace FeedbackStream.Gateway.Tests;

public sealed class PiiRedactorTests
{
    private static readonly PiiRedactor Redactor = new(new RedactionOptions());

    [Theory]
    [InlineData("write to ann.lee+work@mail.example.co.uk today", "write to [email] today")]
    [InlineData("A@B.IO", "[email]")]
    public void Emails_AreReplaced(string text, string expected) => Assert.Equal(expected, Redactor.Redact(text).Text);

    [Theory]
    [InlineData("card 4111 1111 1111 1111 ok", "card [card] ok")]
    [InlineData("card 4111-1111-1111-1111", "card [card]")]
    [InlineData("amex 378282246310005", "amex [card]")]
    public void CardNumbersPassingLuhn_AreReplaced(string text, string expected) => Assert.Equal(expected, Redactor.Redact(text).Text);

    [Fact]
    public void LongDigitRunFailingLuhn_IsNotACard()
    {
        var result = Redactor.Redact("order 4111111111111112");
        Assert.DoesNotContain("card", result.Replacements.Keys);
    }

    [Theory]
    [InlineData("call +1 415 555 0100 now", "call [phone] now")]
    [InlineData("call (415) 555-0100", "call [phone]")]
    [InlineData("ring 0049 30 1234567", "ring [phone]")]
    [InlineData("tel +44 20 7946 0958.", "tel [phone].")]
    public void PhoneNumbers_AreReplaced(string text, string expected) => Assert.Equal(expected, Redactor.Redact(text).Text);

    [Theory]
    [InlineData("in 2024 we had 3 cats")]
    [InlineData("version 10.0.12 is out")]
    [InlineData("costs 1234 dollars")]
    public void OrdinaryNumbers_AreLeftAlone(string text) => Assert.Equal(text, Redactor.Redact(text).Text);

    [Theory]
    [InlineData("from 192.168.10.254 at noon", "from [ip] at noon")]
    [InlineData("v6 2001:db8::8a2e:370:7334 here", "v6 [ip] here")]
    [InlineData("loopback ::1 and fe80::1", "loopback [ip] and [ip]")]
    public void IpAddresses_AreReplaced(string text, string expected) => Assert.Equal(expected, Redactor.Redact(text).Text);

    [Fact]
    public void Counts_ArePerRule()
    {
        var result = Redactor.Redact("a@b.io c@d.io 10.0.0.1");
        Assert.Equal(2, result.Replacements["email"]);
        Assert.Equal(1, result.Replacements["ip"]);
        Assert.Equal(3, result.Total);
    }

    [Fact]
    public void DisabledRules_LeaveTheirDataAlone()
    {
        var redactor = new PiiRedactor(new RedactionOptions { Emails = false, IpAddresses = false });
        Assert.Equal("a@b.io 10.0.0.1 [phone]", redactor.Redact("a@b.io 10.0.0.1 +1 415 555 0100").Text);
    }

    [Fact]
    public void CustomPattern_IsReplacedByItsName()
    {
        var options = new RedactionOptions();
        options.CustomPatterns["ssn"] = @"\b\d{3}-\d{2}-\d{4}\b";
        Assert.Equal("id [ssn]", new PiiRedactor(options).Redact("id 123-45-6789").Text);
    }

    [Fact]
    public void PatternThatTimesOut_OnItsSecondTryToo_FailsClosed()
    {
        var options = new RedactionOptions { MatchTimeout = TimeSpan.FromMilliseconds(1) };
        options.CustomPatterns["slow"] = "(a+)+$";
        var redactor = new PiiRedactor(options);
        var error = Assert.Throws<RedactionFailedException>(() => redactor.Redact(new string('a', 5000) + "!"));
        Assert.Equal("The slow redaction rule did not finish within 1 ms, twice.", error.Message);
    }
}

/// <summary>The spellings that got past the redactor before it matched on normalized text.</summary>
public sealed class EvasiveSpellingTests
{
    private static readonly PiiRedactor Redactor = new(new RedactionOptions());

    [Theory]
    [InlineData("mail john.doe @ example.com now", "mail [email] now")]
    [InlineData("mail john . doe @ example . com now", "mail [email] now")]
    [InlineData("mail john.doe(at)example(dot)com now", "mail [email] now")]
    [InlineData("mail john.doe [at] example [dot] com now", "mail [email] now")]
    [InlineData("mail john.doe＠example.com now", "mail [email] now")]
    [InlineData("mail john.doe﹫example.com now", "mail [email] now")]
    [InlineData("mail john\u200B.doe@exa\u200Bmple.com now", "mail [email] now")]
    [InlineData("mail jöhn@exämple.de now", "mail [email] now")]
    [InlineData("mail \"john doe\"@example.com now", "mail [email] now")]
    [InlineData("mail 𝐣𝐨𝐡𝐧@example.com now", "mail [email] now")]
    [InlineData("mail john dot doe at example dot com now", "mail [email] now")]
    public void Emails(string text, string expected) => Assert.Equal(expected, Redactor.Redact(text).Text);

    [Theory]
    [InlineData("card 4111/1111/1111/1111 ok", "card [card] ok")]
    [InlineData("card ٤١١١ ١١١١ ١١١١ ١١١١ ok", "card [card] ok")]
    [InlineData("card ४१११-११११-११११-११११ ok", "card [card] ok")]
    [InlineData("card ４１１１ １１１１ １１１１ １１１１ ok", "card [card] ok")]
    [InlineData("card 4111\u200B1111 1111 1111 ok", "card [card] ok")]
    public void Cards(string text, string expected) => Assert.Equal(expected, Redactor.Redact(text).Text);

    [Theory]
    [InlineData("call 555-0100 now", "call [phone] now")]
    [InlineData("call ٥٥٥-٠١٠٠ now", "call [phone] now")]
    [InlineData("call +٤٤ ٢٠ ٧٩٤٦ ٠٩٥٨ now", "call [phone] now")]
    [InlineData("call ९८७६५ ४३२१० now", "call [phone] now")]
    [InlineData("call ＋１ ４１５ ５５５ ０１００ now", "call [phone] now")]
    [InlineData("reach me (555 0100) later", "reach me ([phone]) later")]
    public void Phones(string text, string expected) => Assert.Equal(expected, Redactor.Redact(text).Text);

    [Theory]
    [InlineData("released 2024-05-01 at 12:30")]
    [InlineData("born 01/05/1990")]
    [InlineData("ISBN 978-3-16-148410-0")]
    [InlineData("build 10.0.19041.1")]
    [InlineData("12 000 000 habitants")]
    [InlineData("price 12.000.000 EUR")]
    [InlineData("total 1,234,567 users")]
    public void LookAlikes_AreLeftAlone(string text) => Assert.Equal(text, Redactor.Redact(text).Text);

    [Fact]
    public void TheRestOfTheText_IsKeptExactly()
    {
        const string text = "Ｈｅｌｌｏ — write to jöhn＠example.com, ok?";
        Assert.Equal("Ｈｅｌｌｏ — write to [email], ok?", Redactor.Redact(text).Text);
    }

    [Theory]
    [InlineData("4111111111111111", "card")]
    [InlineData("4111-1111-1111-1111", "card")]
    [InlineData("415-555-0100", "phone")]
    [InlineData("555-0100", "phone")]
    [InlineData("126.7846", null)]
    [InlineData("user-42", null)]
    [InlineData("12345678", null)]
    [InlineData("2024-05-01", null)]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950e", null)]
    public void Identifiers_ThatAreCardsOrPhones_AreFlagged(string identifier, string? kind)
    {
        var reason = PiiRedactor.PersonalDataInIdentifier(identifier);
        if (kind is null)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Contains(kind, reason, StringComparison.Ordinal);
        }
    }
}
