using System.Net;
using System.Text;

namespace FeedbackStream.Gateway.Tests;

/// <summary>
/// Invalid UTF-8 bytes and unpaired surrogate escapes in identifiers, enum values and property names: the event carrying
/// them is rejected with the field's path and a reason, the events beside it are accepted (JSON array and NDJSON alike).
/// </summary>
public sealed class InvalidUnicodeTests
{
    private const string Marker = "@@BAD@@";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        string[] places = ["event_id", "app_id", "type", "reaction", "envelope_name", "payload_name", "user_id"];
        string[] bads = ["ff", "c328", "eda080", "\\ud800", "\\udc00x", "\\ud800\\u0041"];
        foreach (var place in places)
        {
            foreach (var bad in bads)
            {
                data.Add(place, bad, "application/json");
                data.Add(place, bad, "application/x-ndjson");
            }
        }

        return data;
    }

    private static string Template(string place) => place switch
    {
        "event_id" => TestGateway.Event("bad" + Marker),
        "app_id" => TestGateway.Event("bad", app: "chat-web" + Marker),
        "type" => TestGateway.Event("bad", type: "reaction.set" + Marker),
        "reaction" => TestGateway.Event("bad", payload: $$"""{"response_id":"r1","reaction":"love{{Marker}}"}"""),
        "envelope_name" => TestGateway.Event("bad", extra: $$""","n{{Marker}}":1"""),
        "payload_name" => TestGateway.Event("bad", payload: $$"""{"response_id":"r1","reaction":"love","n{{Marker}}":1}"""),
        "user_id" => TestGateway.Event("bad").Replace("\"u1\"", $"\"u1{Marker}\"", StringComparison.Ordinal),
        _ => throw new ArgumentOutOfRangeException(nameof(place)),
    };

    /// <summary>Bytes of <paramref name="text"/> with the marker replaced by <paramref name="bad"/>: hex bytes, or an escape written as is.</summary>
    private static byte[] Splice(string text, string bad)
    {
        var at = text.IndexOf(Marker, StringComparison.Ordinal);
        var replacement = bad.StartsWith('\\') ? Encoding.ASCII.GetBytes(bad) : Convert.FromHexString(bad);
        return [.. Encoding.UTF8.GetBytes(text[..at]), .. replacement, .. Encoding.UTF8.GetBytes(text[(at + Marker.Length)..])];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task InvalidUnicode_RejectsThatEventWithItsPath_OthersAccepted(string place, string bad, string contentType)
    {
        await using var gateway = await TestGateway.StartAsync(cancellationToken: Ct);
        var good1 = Encoding.UTF8.GetBytes(TestGateway.Event("good1"));
        var good2 = Encoding.UTF8.GetBytes(TestGateway.Event("good2"));
        var hostile = Splice(Template(place), bad);
        var ndjson = contentType != "application/json";
        byte[] body = ndjson
            ? [.. good1, (byte)'\n', .. hostile, (byte)'\n', .. good2, (byte)'\n']
            : [(byte)'[', .. good1, (byte)',', .. hostile, (byte)',', .. good2, (byte)']'];

        using var response = await gateway.Client().SendAsync(TestGateway.Post(body, contentType), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await TestGateway.JsonAsync(response, Ct);
        Assert.Equal(2, json.GetProperty("accepted").GetInt32());
        Assert.Equal(1, json.GetProperty("rejected").GetInt32());
        var rejected = json.GetProperty("results")[1];
        Assert.Equal("rejected", rejected.GetProperty("status").GetString());
        var error = rejected.GetProperty("errors")[0];
        var expectedPath = place switch
        {
            "reaction" => "$[1].payload.reaction",
            "envelope_name" => "$[1][",
            "payload_name" => "$[1].payload[",
            _ => "$[1]." + place,
        };
        Assert.StartsWith(expectedPath, error.GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.Contains("Unicode", error.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, gateway.Publisher.Published.Count);
    }

    [Fact]
    public async Task BodyThatIsNotJsonAtAll_Is400Problem()
    {
        await using var gateway = await TestGateway.StartAsync(cancellationToken: Ct);
        using var response = await gateway.Client().SendAsync(TestGateway.Post([0xff, 0xfe, 0x00, 0x5b]), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

/// <summary>Identifiers are stored as sent: a card or phone number there is refused with the field's path, the rest of the batch accepted.</summary>
public sealed class PersonalDataInIdentifierTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("user_id", "4111111111111111", "payment card")]
    [InlineData("user_id", "415-555-0100", "phone")]
    [InlineData("response_id", "4111-1111-1111-1111", "payment card")]
    [InlineData("response_id", "555-0100", "phone")]
    public async Task CardOrPhoneAsIdentifier_IsRejectedWithPathAndReason(string field, string value, string reason)
    {
        await using var gateway = await TestGateway.StartAsync(cancellationToken: Ct);
        var hostile = field == "user_id"
            ? TestGateway.Event("bad").Replace("\"user_id\":\"u1\"", $"\"user_id\":\"{value}\"", StringComparison.Ordinal)
            : TestGateway.Event("bad", payload: $$"""{"response_id":"{{value}}","reaction":"love"}""");
        using var response = await gateway.Client().SendAsync(TestGateway.Post($"[{TestGateway.Event("good")},{hostile}]"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await TestGateway.JsonAsync(response, Ct);
        Assert.Equal(1, json.GetProperty("accepted").GetInt32());
        var error = json.GetProperty("results")[1].GetProperty("errors")[0];
        Assert.Equal(field == "user_id" ? "$[1].user_id" : "$[1].payload.response_id", error.GetProperty("path").GetString());
        Assert.Contains(reason, error.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Single(gateway.Publisher.Published);
    }
}
