using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FeedbackStream.Contracts.Tests;

public sealed class EventValidatorTests
{
    private static readonly EventValidator Validator = new();

    [Fact]
    public void Validate_WhenReactionUnknown_ReportsPathAndAllowedValues()
    {
        var result = Validate(Samples.Base(Samples.Set).With("payload.reaction", "meh"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.payload.reaction", error.Path);
        Assert.Equal(ValidationErrorKind.NotAllowed, error.Kind);
        Assert.Equal("must be one of love, like, laugh, wow, sad, angry, dislike", error.Reason);
        Assert.Null(result.Event);
    }

    [Fact]
    public void Validate_WhenRequiredFieldMissing_ReportsIsRequired()
    {
        var result = Validate(Samples.Base(Samples.Followup).Without("occurred_at").Without("payload.text"));

        Assert.Equal(
            ["$.occurred_at: is required", "$.payload.text: is required"],
            result.Errors.Select(e => e.ToString()));
        Assert.All(result.Errors, e => Assert.Equal(ValidationErrorKind.Required, e.Kind));
    }

    [Fact]
    public void Validate_WhenSeveralFieldsAreWrong_ReportsEachWithItsReason()
    {
        var result = Validate(Samples.Base(Samples.Served)
            .With("event_id", Samples.Repeat("e", 129))
            .With("app_id", "Chat")
            .With("schema_version", 2)
            .With("extra", true)
            .With("payload.turn_index", -1)
            .With("payload.locale", "en_US"));

        Assert.Equal(
            [
                "$.extra: unknown field",
                "$.event_id: must be at most 128 characters",
                "$.schema_version: must be 1",
                "$.app_id: may contain only a-z, 0-9, '.', '_' and '-'",
                "$.payload.turn_index: must be at least 0",
                "$.payload.locale: must be a BCP 47 language tag such as en or pt-BR",
            ],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Validate_WithBatchRootPath_PrefixesEveryPath()
    {
        using var document = JsonDocument.Parse(Samples.ToText(Samples.Base(Samples.Set).With("payload.reaction", 1).With("x y", 1)));

        var result = Validator.Validate(document.RootElement, "$[3]");

        Assert.Equal(["$[3]['x y']", "$[3].payload.reaction"], result.Errors.Select(e => e.Path));
    }

    [Fact]
    public void Validate_WhenUnknownFieldNameIsNotAnIdentifier_QuotesItInThePath()
    {
        var result = Validate(Samples.Base(Samples.Set).With("payload.it's", 1));

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.payload['it\\'s']", error.Path);
        Assert.Equal(ValidationErrorKind.UnknownField, error.Kind);
        Assert.Equal("unknown field", error.Reason);
    }

    [Fact]
    public void Validate_WhenFieldAppearsTwice_ReportsDuplicate()
    {
        var json = Samples.Base(Samples.Set).ToJsonString().Replace("\"type\":", "\"type\":\"reaction.set\",\"type\":", StringComparison.Ordinal);

        var result = Validator.Validate(Encoding.UTF8.GetBytes(json));

        var error = Assert.Single(result.Errors);
        Assert.Equal(("$.type", ValidationErrorKind.DuplicateField), (error.Path, error.Kind));
    }

    [Fact]
    public void Validate_WhenTextExceedsConfiguredLimit_ReportsConfiguredLimit()
    {
        var strict = new EventValidator(new EventValidatorOptions { MaxTextLength = 10 });
        using var document = JsonDocument.Parse(Samples.ToText(Samples.Base(Samples.Followup).With("payload.text", "eleven char")));

        var result = strict.Validate(document.RootElement);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("$.payload.text", ValidationErrorKind.TooLong, "must be at most 10 characters"), (error.Path, error.Kind, error.Reason));
        Assert.True(Validator.Validate(document.RootElement).IsValid);
    }

    [Fact]
    public void Validate_CountsCodePointsNotUtf16Units()
    {
        var strict = new EventValidator(new EventValidatorOptions { MaxTextLength = 3 });

        Assert.True(Validate(Samples.Base(Samples.Followup).With("payload.text", "😀😀😀"), strict).IsValid);
        Assert.False(Validate(Samples.Base(Samples.Followup).With("payload.text", "😀😀😀😀"), strict).IsValid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(SchemaLimits.MaxTextLength + 1)]
    public void Constructor_WhenMaxTextLengthOutsideSchemaLimit_Throws(int maxTextLength)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventValidator(new EventValidatorOptions { MaxTextLength = maxTextLength }));
    }

    [Fact]
    public void Validate_WhenManyErrors_StopsAtMaxErrors()
    {
        var json = Samples.Base(Samples.Set);
        for (var i = 0; i < 50; i++)
        {
            json[$"extra{i}"] = i;
        }

        var result = Validate(json, new EventValidator(new EventValidatorOptions { MaxErrors = 5 }));

        Assert.Equal(6, result.Errors.Count);
        Assert.Equal(ValidationErrorKind.TooManyErrors, result.Errors[^1].Kind);
        Assert.Equal("$", result.Errors[^1].Path);
    }

    [Fact]
    public void Validate_WhenStringHasUnpairedSurrogateEscape_ReportsFieldInsteadOfThrowing()
    {
        var json = Samples.Base(Samples.Followup).ToJsonString().Replace("thanks, perfect", "bad \\ud800 text", StringComparison.Ordinal);

        var result = Validator.Validate(Encoding.UTF8.GetBytes(json));

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.payload.text", error.Path);
    }

    [Fact]
    public void Validate_WhenUnknownFieldNameIsInvalidUtf8_ReportsItInsteadOfThrowing()
    {
        // JsonDocument accepts the bytes; reading the name as a string would throw.
        byte[] json = [.. "{\"x"u8, 0xC3, .. "\":1}"u8];
        using var document = JsonDocument.Parse(json);

        var result = Validator.Validate(document.RootElement);

        Assert.Contains(result.Errors, e => e.Kind == ValidationErrorKind.UnknownField && e.Path.StartsWith("$['x", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_WhenTimestampIsEscaped_ReadsTheUnescapedText()
    {
        var json = Samples.Base(Samples.Set).ToJsonString().Replace("2024-05-01T12:00:00.123Z", "2024-05-01T12:00:00\\u002B01:00", StringComparison.Ordinal);

        var result = Validator.Validate(Encoding.UTF8.GetBytes(json));

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.FromHours(1)), result.Event.OccurredAt);
    }

    [Fact]
    public void Validate_ParsesOffsetAndFraction_TruncatingBeyondTicks()
    {
        var result = Validate(Samples.Base(Samples.Set).With("occurred_at", "2024-02-29T23:59:59.123456789-05:30"));

        Assert.True(result.IsValid);
        var expected = new DateTimeOffset(2024, 2, 29, 23, 59, 59, new TimeSpan(-5, -30, 0)).AddTicks(1_234_567);
        Assert.Equal(expected, result.Event.OccurredAt);
        Assert.Equal(expected.Offset, result.Event.OccurredAt.Offset);
    }

    [Fact]
    public void Validate_WhenValid_ReturnsTypedEventEqualToDeserialize()
    {
        foreach (var type in EventTypes.All)
        {
            var json = Samples.ToText(Samples.Full(type));

            var result = Validator.Validate(Encoding.UTF8.GetBytes(json));

            Assert.True(result.IsValid, string.Join("; ", result.Errors));
            Assert.Empty(result.Errors);
            Assert.Equal(FeedbackJson.Deserialize(Encoding.UTF8.GetBytes(json)), result.Event);
        }
    }

    [Fact]
    public void Validate_WhenEditWithoutText_SaysItIsRequiredForEdit()
    {
        var result = Validate(Samples.Base(Samples.Action).With("payload.action", "edit"));

        var error = Assert.Single(result.Errors);
        Assert.Equal(("$.payload.edited_text", ValidationErrorKind.Required, "is required when action is edit"), (error.Path, error.Kind, error.Reason));
    }

    [Fact]
    public void Validate_WhenEditedTextWithoutEdit_SaysItMustBeAbsent()
    {
        var result = Validate(Samples.Base(Samples.Action).With("payload.edited_text", "x"));

        var error = Assert.Single(result.Errors);
        Assert.Equal(("$.payload.edited_text", ValidationErrorKind.NotExpected), (error.Path, error.Kind));
    }

    [Fact]
    public void Validate_WhenTypeUnknown_ListsKnownTypes_AndSkipsPayload()
    {
        var result = Validate(Samples.Base(Samples.Set).With("type", "reaction.removed").With("payload.bogus", 1));

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.type", error.Path);
        Assert.Equal("must be one of response.served, reaction.set, reaction.cleared, followup.sent, response.action", error.Reason);
    }

    [Theory]
    [InlineData("{", "is not valid JSON")]
    [InlineData("{} {}", "is not valid JSON (line 1, byte 4)")]
    [InlineData("[]", "must be an object")]
    [InlineData("null", "must be an object")]
    public void Validate_Utf8_WhenNotOneJsonObject_ReportsRoot(string json, string reason)
    {
        var result = Validator.Validate(Encoding.UTF8.GetBytes(json));

        var error = Assert.Single(result.Errors);
        Assert.Equal("$", error.Path);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_IsSafeToShareAcrossThreads()
    {
        var json = Encoding.UTF8.GetBytes(Samples.ToText(Samples.Full(Samples.Served)));
        var bad = Encoding.UTF8.GetBytes(Samples.ToText(Samples.Base(Samples.Set).With("payload.reaction", "meh")));

        Parallel.For(0, 2000, i =>
        {
            var result = Validator.Validate(i % 2 == 0 ? json : bad);
            Assert.Equal(i % 2 == 0, result.IsValid);
        });
    }

    private static EventValidationResult Validate(JsonNode json, EventValidator? validator = null)
    {
        using var document = JsonDocument.Parse(Samples.ToText(json));
        return (validator ?? Validator).Validate(document.RootElement);
    }
}
