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
    public void PatternThatTimesOut_FailsClosed()
    {
        var options = new RedactionOptions { MatchTimeout = TimeSpan.FromMilliseconds(1) };
        options.CustomPatterns["slow"] = "(a+)+$";
        var redactor = new PiiRedactor(options);
        Assert.Throws<RedactionFailedException>(() => redactor.Redact(new string('a', 5000) + "!"));
    }
}
