using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace FeedbackStream.Contracts;

/// <summary>
/// Hand-written validator for one received v1 event. It enforces what <c>schemas/events/v1/event.schema.json</c>
/// says (required fields, JSON types, enums, lengths in code points, patterns, the edit/edited_text rule, unknown
/// fields rejected), rejects duplicate fields, and applies the tighter limits of <see cref="EventValidatorOptions"/>.
/// Thread-safe; create one per configuration and share it.
/// </summary>
public sealed class EventValidator
{
    private const string RootPath = "$";

    private static readonly SearchValues<char> IdentifierChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    private static readonly SearchValues<char> LowerNameChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789._-");

    private static readonly SearchValues<char> LowerHexChars = SearchValues.Create("0123456789abcdef");

    private static readonly byte[][] TypeUtf8 = [.. EventTypes.All.Select(Encoding.UTF8.GetBytes)];
    private static readonly string TypeList = string.Join(", ", EventTypes.All);

    private static readonly FieldTable EnvelopeFields = new(
        "event_id", "type", "schema_version", "app_id", "occurred_at", "received_at", "user_id", "conversation_id", "payload");

    private static readonly FieldTable ServedFields = new(
        "response_id", "turn_index", "prompt_text", "prompt_hash", "response_text", "model_version",
        "regenerated_from", "candidate_index", "latency_ms", "surface", "locale");

    private static readonly FieldTable ReactionFields = new("response_id", "reaction", "shown_to_reaction_ms");
    private static readonly FieldTable FollowupFields = new("response_id", "text", "shown_to_followup_ms");
    private static readonly FieldTable ActionFields = new("response_id", "action", "edited_text", "shown_to_action_ms");

    private readonly int _maxTextLength;
    private readonly int _maxErrors;

    /// <summary>Creates a validator with the schema's limits.</summary>
    public EventValidator()
        : this(new EventValidatorOptions())
    {
    }

    /// <summary>Creates a validator with the given limits (copied; later changes to <paramref name="options"/> have no effect).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is outside its allowed range.</exception>
    public EventValidator(EventValidatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTextLength, 1, "options.MaxTextLength");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxTextLength, SchemaLimits.MaxTextLength, "options.MaxTextLength");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxErrors, 1, "options.MaxErrors");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxErrors, 1000, "options.MaxErrors");
        _maxTextLength = options.MaxTextLength;
        _maxErrors = options.MaxErrors;
    }

    /// <summary>The effective free-text limit in code points.</summary>
    public int MaxTextLength => _maxTextLength;

    /// <summary>Validates one event; error paths start at <c>$</c>.</summary>
    public EventValidationResult Validate(JsonElement element) => Validate(element, RootPath);

    /// <summary>
    /// Validates one event; error paths start at <paramref name="rootPath"/>, e.g. <c>$[3]</c> for the fourth
    /// event of a batch gives <c>$[3].payload.reaction</c>.
    /// </summary>
    public EventValidationResult Validate(JsonElement element, string rootPath)
    {
        ArgumentNullException.ThrowIfNull(rootPath);
        var run = new Run(this, rootPath);
        var value = run.Envelope(element);
        return value is not null && run.Errors is null
            ? EventValidationResult.Valid(value)
            : EventValidationResult.Invalid(run.Errors!);
    }

    /// <summary>Parses UTF-8 JSON holding exactly one event and validates it; malformed JSON is reported at <c>$</c>.</summary>
    public EventValidationResult Validate(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        JsonDocument document;
        try
        {
            document = JsonDocument.ParseValue(ref reader);
            try
            {
                // Throws on anything but whitespace after the value.
                reader.Read();
            }
            catch (JsonException)
            {
                document.Dispose();
                throw;
            }
        }
        catch (JsonException ex)
        {
            return EventValidationResult.Invalid(
                [new ValidationError(RootPath, ValidationErrorKind.WrongType, $"is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})")]);
        }

        using (document)
        {
            return Validate(document.RootElement, RootPath);
        }
    }

    private static string Child(string parent, string name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return $"{parent}['{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}']";
            }
        }

        return name.Length == 0 ? parent + "['']" : parent + "." + name;
    }

    /// <summary>The property name, or a lossy decoding of its raw bytes when they are not valid UTF-8/UTF-16.</summary>
    private static string SafeName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8PropertyName(property));
        }
    }

    private static int CodePoints(string value)
    {
        var count = value.Length;
        for (var i = 0; i < value.Length - 1; i++)
        {
            if (char.IsHighSurrogate(value[i]) && char.IsLowSurrogate(value[i + 1]))
            {
                count--;
                i++;
            }
        }

        return count;
    }

    private static bool IsLocale(ReadOnlySpan<char> s)
    {
        var i = 0;
        while (i < s.Length && char.IsAsciiLetter(s[i]))
        {
            i++;
        }

        if (i is < 2 or > 8)
        {
            return false;
        }

        while (i < s.Length)
        {
            if (s[i] != '-')
            {
                return false;
            }

            var start = ++i;
            while (i < s.Length && char.IsAsciiLetterOrDigit(s[i]))
            {
                i++;
            }

            if (i - start is < 1 or > 8)
            {
                return false;
            }
        }

        return true;
    }

    private const int InvalidName = -2;

    private const string InvalidUnicodeReason = "must be valid Unicode text (invalid UTF-8 or an unpaired surrogate escape)";

    /// <summary>
    /// Whether a JSON string (raw bytes, escapes not decoded) is valid Unicode: well-formed UTF-8 and, when it holds
    /// escapes, decodable (no unpaired surrogate escape). Only called off the hot path, for values already found wrong.
    /// </summary>
    private static bool IsValidUnicode<T>(ReadOnlySpan<byte> raw, T owner)
    {
        if (!System.Text.Unicode.Utf8.IsValid(raw))
        {
            return false;
        }

        if (raw.IndexOf((byte)'\\') < 0)
        {
            return true;
        }

        try
        {
            _ = owner switch
            {
                JsonProperty property => property.Name,
                JsonElement element => element.GetString(),
                _ => null,
            };
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Property names of one object, matched on the raw UTF-8 without allocating.</summary>
    private sealed class FieldTable(params string[] names)
    {
        private readonly byte[][] _utf8 = [.. names.Select(Encoding.UTF8.GetBytes)];

        public string this[int index] => names[index];

        /// <summary>The field's index; -1 for an unknown name; <see cref="InvalidName"/> when the name is not valid Unicode.</summary>
        public int IndexOf(JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.IndexOf((byte)'\\') < 0)
            {
                // No escape in the name (nearly always): its raw bytes are the name, compared without decoding.
                for (var i = 0; i < _utf8.Length; i++)
                {
                    if (raw.SequenceEqual(_utf8[i]))
                    {
                        return i;
                    }
                }

                return IsValidUnicode(raw, property) ? -1 : InvalidName;
            }

            try
            {
                for (var i = 0; i < _utf8.Length; i++)
                {
                    if (property.NameEquals(_utf8[i]))
                    {
                        return i;
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // An escaped name that does not decode (a \uD800-style escape without its pair).
                return InvalidName;
            }

            return IsValidUnicode(raw, property) ? -1 : InvalidName;
        }
    }

    [InlineArray(11)]
    private struct Slots
    {
        private JsonElement _element0;
    }

    /// <summary>State of one validation: error list (allocated on the first error) and current object path.</summary>
    private ref struct Run(EventValidator owner, string root)
    {
        private readonly int _maxText = owner._maxTextLength;
        private readonly int _maxErrors = owner._maxErrors;
        private string? _payloadPath;
        private bool _inPayload;
        private int _errorCount;

        public List<ValidationError>? Errors { get; private set; }

        private string Parent => _inPayload ? _payloadPath ??= root + ".payload" : root;

        public FeedbackEvent? Envelope(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                AddAt(root, ValidationErrorKind.WrongType, "must be an object");
                return null;
            }

            var f = EnvelopeFields;
            var slots = default(Slots);
            var seen = Scan(element, f, ref slots);

            var eventId = string.Empty;
            var typeIndex = -1;
            var appId = string.Empty;
            var userId = string.Empty;
            var conversationId = string.Empty;
            DateTimeOffset occurredAt = default;
            DateTimeOffset? receivedAt = null;
            EventPayload? payload = null;

            if (Present(seen, 0, f))
            {
                Identifier(slots[0], f[0], out eventId);
            }

            if (Present(seen, 1, f))
            {
                OneOf(slots[1], f[1], TypeUtf8, TypeList, out typeIndex);
            }

            if (Present(seen, 2, f))
            {
                SchemaVersion(slots[2], f[2]);
            }

            if (Present(seen, 3, f))
            {
                LowerName(slots[3], f[3], SchemaLimits.MaxAppIdLength, out appId);
            }

            if (Present(seen, 4, f))
            {
                Timestamp(slots[4], f[4], out occurredAt);
            }

            if (Has(seen, 5) && Timestamp(slots[5], f[5], out var received))
            {
                receivedAt = received;
            }

            if (Present(seen, 6, f))
            {
                Identifier(slots[6], f[6], out userId);
            }

            if (Present(seen, 7, f))
            {
                Identifier(slots[7], f[7], out conversationId);
            }

            if (Present(seen, 8, f))
            {
                if (slots[8].ValueKind != JsonValueKind.Object)
                {
                    Add(f[8], ValidationErrorKind.WrongType, "must be an object");
                }
                else if (typeIndex >= 0)
                {
                    // An unknown type is already an error; its payload has no schema to check against.
                    _inPayload = true;
                    payload = typeIndex switch
                    {
                        0 => ResponseServed(slots[8]),
                        1 => Reaction(slots[8], cleared: false),
                        2 => Reaction(slots[8], cleared: true),
                        3 => Followup(slots[8]),
                        _ => Action(slots[8]),
                    };
                    _inPayload = false;
                }
            }

            return _errorCount == 0 && payload is not null
                ? new FeedbackEvent(
                    eventId, EventTypes.All[typeIndex], FeedbackEvent.CurrentSchemaVersion, appId, occurredAt, receivedAt,
                    userId, conversationId, payload)
                : null;
        }

        private ResponseServed? ResponseServed(JsonElement element)
        {
            var f = ServedFields;
            var slots = default(Slots);
            var before = _errorCount;
            var seen = Scan(element, f, ref slots);

            var responseId = string.Empty;
            long turnIndex = 0;
            string? promptText = null;
            string? promptHash = null;
            var responseText = string.Empty;
            var modelVersion = string.Empty;
            string? regeneratedFrom = null;
            long candidateIndex = 0;
            double? latencyMs = null;
            string? surface = null;
            string? locale = null;

            if (Present(seen, 0, f))
            {
                Identifier(slots[0], f[0], out responseId);
            }

            if (Present(seen, 1, f))
            {
                Integer(slots[1], f[1], SchemaLimits.MaxIndex, out turnIndex);
            }

            if (Has(seen, 2) && Text(slots[2], f[2], 0, out var prompt))
            {
                promptText = prompt;
            }

            if (Has(seen, 3) && PromptHash(slots[3], f[3], out var hash))
            {
                promptHash = hash;
            }

            if (!Has(seen, 2) && !Has(seen, 3))
            {
                Add(f[2], ValidationErrorKind.Required, "is required when prompt_hash is absent (give prompt_text or prompt_hash)");
            }

            if (Present(seen, 4, f))
            {
                Text(slots[4], f[4], 0, out responseText);
            }

            if (Present(seen, 5, f))
            {
                ModelVersion(slots[5], f[5], out modelVersion);
            }

            if (Has(seen, 6))
            {
                var value = slots[6];
                if (value.ValueKind == JsonValueKind.String)
                {
                    if (Identifier(value, f[6], out var parent))
                    {
                        regeneratedFrom = parent;
                    }
                }
                else if (value.ValueKind != JsonValueKind.Null)
                {
                    Add(f[6], ValidationErrorKind.WrongType, "must be a string or null");
                }
            }

            if (Has(seen, 7))
            {
                Integer(slots[7], f[7], SchemaLimits.MaxIndex, out candidateIndex);
            }

            if (Has(seen, 8) && Number(slots[8], f[8], SchemaLimits.MaxMilliseconds, out var latency))
            {
                latencyMs = latency;
            }

            if (Has(seen, 9) && LowerName(slots[9], f[9], SchemaLimits.MaxSurfaceLength, out var surfaceValue))
            {
                surface = surfaceValue;
            }

            if (Has(seen, 10) && Locale(slots[10], f[10], out var localeValue))
            {
                locale = localeValue;
            }

            return _errorCount == before
                ? new ResponseServed(
                    responseId, (int)turnIndex, responseText, modelVersion, promptText, promptHash, regeneratedFrom,
                    (int)candidateIndex, latencyMs, surface, locale)
                : null;
        }

        private EventPayload? Reaction(JsonElement element, bool cleared)
        {
            var f = ReactionFields;
            var slots = default(Slots);
            var before = _errorCount;
            var seen = Scan(element, f, ref slots);

            var responseId = string.Empty;
            var reaction = 0;
            long? shownMs = null;
            if (Present(seen, 0, f))
            {
                Identifier(slots[0], f[0], out responseId);
            }

            if (Present(seen, 1, f))
            {
                OneOf(slots[1], f[1], WireNames.ReactionUtf8, WireNames.ReactionList, out reaction);
            }

            if (Has(seen, 2) && Integer(slots[2], f[2], SchemaLimits.MaxMilliseconds, out var ms))
            {
                shownMs = ms;
            }

            if (_errorCount != before)
            {
                return null;
            }

            return cleared
                ? new ReactionCleared(responseId, (Reaction)reaction, shownMs)
                : new ReactionSet(responseId, (Reaction)reaction, shownMs);
        }

        private FollowupSent? Followup(JsonElement element)
        {
            var f = FollowupFields;
            var slots = default(Slots);
            var before = _errorCount;
            var seen = Scan(element, f, ref slots);

            var responseId = string.Empty;
            var text = string.Empty;
            long? shownMs = null;
            if (Present(seen, 0, f))
            {
                Identifier(slots[0], f[0], out responseId);
            }

            if (Present(seen, 1, f))
            {
                Text(slots[1], f[1], 1, out text);
            }

            if (Has(seen, 2) && Integer(slots[2], f[2], SchemaLimits.MaxMilliseconds, out var ms))
            {
                shownMs = ms;
            }

            return _errorCount == before ? new FollowupSent(responseId, text, shownMs) : null;
        }

        private ResponseAction? Action(JsonElement element)
        {
            var f = ActionFields;
            var slots = default(Slots);
            var before = _errorCount;
            var seen = Scan(element, f, ref slots);

            var responseId = string.Empty;
            var action = -1;
            string? editedText = null;
            long? shownMs = null;
            if (Present(seen, 0, f))
            {
                Identifier(slots[0], f[0], out responseId);
            }

            if (Present(seen, 1, f))
            {
                OneOf(slots[1], f[1], WireNames.ActionUtf8, WireNames.ActionList, out action);
            }

            // Schema: if action == "edit" then edited_text is required, else edited_text must be absent.
            var isEdit = action == (int)ActionKind.Edit;
            if (isEdit && !Has(seen, 2))
            {
                Add(f[2], ValidationErrorKind.Required, "is required when action is edit");
            }
            else if (!isEdit && Has(seen, 2))
            {
                Add(f[2], ValidationErrorKind.NotExpected, "must be absent unless action is edit");
            }
            else if (isEdit && Text(slots[2], f[2], 1, out var edited))
            {
                editedText = edited;
            }

            if (Has(seen, 3) && Integer(slots[3], f[3], SchemaLimits.MaxMilliseconds, out var ms))
            {
                shownMs = ms;
            }

            return _errorCount == before ? new ResponseAction(responseId, (ActionKind)action, editedText, shownMs) : null;
        }

        private static bool Has(uint seen, int index) => (seen & (1u << index)) != 0;

        private bool Present(uint seen, int index, FieldTable fields)
        {
            if (Has(seen, index))
            {
                return true;
            }

            Add(fields[index], ValidationErrorKind.Required, "is required");
            return false;
        }

        private uint Scan(JsonElement element, FieldTable fields, ref Slots slots)
        {
            uint seen = 0;
            foreach (var property in element.EnumerateObject())
            {
                var index = fields.IndexOf(property);
                if (index == InvalidName)
                {
                    AddAt(Child(Parent, SafeName(property)), ValidationErrorKind.UnknownField, "unknown field; its name is not valid Unicode text (invalid UTF-8 or an unpaired surrogate escape)");
                }
                else if (index < 0)
                {
                    AddAt(Child(Parent, SafeName(property)), ValidationErrorKind.UnknownField, "unknown field");
                }
                else if (Has(seen, index))
                {
                    Add(fields[index], ValidationErrorKind.DuplicateField, "appears more than once");
                }
                else
                {
                    seen |= 1u << index;
                    slots[index] = property.Value;
                }
            }

            return seen;
        }

        private void Add(string field, ValidationErrorKind kind, string reason) => AddAt(Child(Parent, field), kind, reason);

        private void AddAt(string path, ValidationErrorKind kind, string reason)
        {
            _errorCount++;
            Errors ??= new List<ValidationError>(4);
            if (_errorCount <= _maxErrors)
            {
                Errors.Add(new ValidationError(path, kind, reason));
            }
            else if (_errorCount == _maxErrors + 1)
            {
                Errors.Add(new ValidationError(root, ValidationErrorKind.TooManyErrors, $"more than {_maxErrors} errors; the rest are not reported"));
            }
        }

        private bool String(JsonElement element, string field, out string value)
        {
            value = string.Empty;
            if (element.ValueKind != JsonValueKind.String)
            {
                Add(field, ValidationErrorKind.WrongType, "must be a string");
                return false;
            }

            try
            {
                value = element.GetString()!;
                return true;
            }
            catch (InvalidOperationException)
            {
                // Invalid UTF-8 bytes, or a \uD800-style escape without its pair.
                Add(field, ValidationErrorKind.Pattern, InvalidUnicodeReason);
                return false;
            }
        }

        private bool Length(string value, string field, int min, int max)
        {
            // Code points lie between Length / 2 and Length: count them only when that range straddles a limit.
            if (value.Length <= max && value.Length >= 2 * min)
            {
                return true;
            }

            var length = CodePoints(value);
            if (length < min)
            {
                Add(field, ValidationErrorKind.TooShort, min == 1 ? "must not be empty" : $"must be at least {min} characters");
                return false;
            }

            if (length > max)
            {
                Add(field, ValidationErrorKind.TooLong, $"must be at most {max} characters");
                return false;
            }

            return true;
        }

        private bool Identifier(JsonElement element, string field, out string value)
        {
            if (!String(element, field, out value) || !Length(value, field, 1, SchemaLimits.MaxIdentifierLength))
            {
                return false;
            }

            if (value.AsSpan().ContainsAnyExcept(IdentifierChars))
            {
                Add(field, ValidationErrorKind.Pattern, "may contain only letters, digits, '.', '_', ':' and '-'");
                return false;
            }

            return true;
        }

        private bool LowerName(JsonElement element, string field, int max, out string value)
        {
            if (!String(element, field, out value) || !Length(value, field, 1, max))
            {
                return false;
            }

            if (value.AsSpan().ContainsAnyExcept(LowerNameChars))
            {
                Add(field, ValidationErrorKind.Pattern, "may contain only a-z, 0-9, '.', '_' and '-'");
                return false;
            }

            return true;
        }

        private bool PromptHash(JsonElement element, string field, out string value)
        {
            if (!String(element, field, out value)
                || !Length(value, field, SchemaLimits.MinPromptHashLength, SchemaLimits.MaxPromptHashLength))
            {
                return false;
            }

            if (value.AsSpan().ContainsAnyExcept(LowerHexChars))
            {
                Add(field, ValidationErrorKind.Pattern, "must be lowercase hexadecimal (0-9, a-f)");
                return false;
            }

            return true;
        }

        private bool ModelVersion(JsonElement element, string field, out string value)
        {
            if (!String(element, field, out value) || !Length(value, field, 1, SchemaLimits.MaxModelVersionLength))
            {
                return false;
            }

            if (value.AsSpan().ContainsAnyExceptInRange('!', '~'))
            {
                Add(field, ValidationErrorKind.Pattern, "may contain only printable ASCII characters without spaces");
                return false;
            }

            return true;
        }

        private bool Locale(JsonElement element, string field, out string value)
        {
            if (!String(element, field, out value)
                || !Length(value, field, SchemaLimits.MinLocaleLength, SchemaLimits.MaxLocaleLength))
            {
                return false;
            }

            if (!IsLocale(value))
            {
                Add(field, ValidationErrorKind.Pattern, "must be a BCP 47 language tag such as en or pt-BR");
                return false;
            }

            return true;
        }

        private bool Text(JsonElement element, string field, int min, out string value) =>
            String(element, field, out value) && Length(value, field, min, _maxText);

        private bool OneOf(JsonElement element, string field, byte[][] allowed, string list, out int index)
        {
            if (element.ValueKind == JsonValueKind.String)
            {
                try
                {
                    for (index = 0; index < allowed.Length; index++)
                    {
                        if (element.ValueEquals(allowed[index]))
                        {
                            return true;
                        }
                    }
                }
                catch (InvalidOperationException)
                {
                    // An escape that does not decode: not one of the allowed values, and said so plainly.
                    index = -1;
                    Add(field, ValidationErrorKind.Pattern, InvalidUnicodeReason);
                    return false;
                }
            }

            index = -1;
            if (element.ValueKind == JsonValueKind.String && !IsValidUnicode(JsonMarshal.GetRawUtf8Value(element), element))
            {
                Add(field, ValidationErrorKind.Pattern, InvalidUnicodeReason);
                return false;
            }

            Add(field, ValidationErrorKind.NotAllowed, "must be one of " + list);
            return false;
        }

        private void SchemaVersion(JsonElement element, string field)
        {
            // JSON Schema compares numbers by value: 1, 1.0 and 1e0 are all the integer 1.
            if (element.ValueKind != JsonValueKind.Number
                || !element.TryGetDecimal(out var value)
                || value != FeedbackEvent.CurrentSchemaVersion)
            {
                Add(field, ValidationErrorKind.NotAllowed, "must be 1");
            }
        }

        private bool Integer(JsonElement element, string field, long max, out long value)
        {
            value = 0;
            if (element.ValueKind != JsonValueKind.Number)
            {
                Add(field, ValidationErrorKind.WrongType, "must be an integer");
                return false;
            }

            if (element.TryGetInt64(out value))
            {
                return Range(value, 0, max, field);
            }

            // Written with a fraction or exponent (2.0, 1e3): an integer when its value has no fraction.
            if (!element.TryGetDouble(out var number) || !double.IsFinite(number) || Math.Floor(number) != number)
            {
                Add(field, ValidationErrorKind.WrongType, "must be an integer");
                return false;
            }

            if (!Range(element, number, max, field))
            {
                return false;
            }

            value = (long)number;
            return true;
        }

        private bool Number(JsonElement element, string field, long max, out double value)
        {
            value = 0;
            if (element.ValueKind != JsonValueKind.Number)
            {
                Add(field, ValidationErrorKind.WrongType, "must be a number");
                return false;
            }

            element.TryGetDouble(out value);
            return Range(element, value, max, field);
        }

        private bool Range(long value, long min, long max, string field)
        {
            if (value < min)
            {
                Add(field, ValidationErrorKind.OutOfRange, $"must be at least {min}");
                return false;
            }

            if (value > max)
            {
                Add(field, ValidationErrorKind.OutOfRange, $"must be at most {max}");
                return false;
            }

            return true;
        }

        private bool Range(JsonElement element, double number, long max, string field)
        {
            // Exact comparison in decimal when the literal fits; doubles only for huge exponents (which are out of range anyway).
            var isDecimal = element.TryGetDecimal(out var exact);
            var tooSmall = isDecimal ? exact < 0 : number < 0;
            var tooLarge = isDecimal ? exact > max : !(number <= max);
            if (tooSmall)
            {
                Add(field, ValidationErrorKind.OutOfRange, "must be at least 0");
                return false;
            }

            if (tooLarge)
            {
                Add(field, ValidationErrorKind.OutOfRange, $"must be at most {max}");
                return false;
            }

            return true;
        }

        private bool Timestamp(JsonElement element, string field, out DateTimeOffset value)
        {
            value = default;
            if (element.ValueKind != JsonValueKind.String)
            {
                Add(field, ValidationErrorKind.WrongType, "must be a string");
                return false;
            }

            // Raw value including its quotes; escaped text (rare) goes through the decoded string.
            var raw = JsonMarshal.GetRawUtf8Value(element);
            bool parsed;
            if (raw.IndexOf((byte)'\\') < 0)
            {
                parsed = Rfc3339.TryParse(raw[1..^1], out value);
            }
            else if (String(element, field, out var text))
            {
                parsed = Rfc3339.TryParse(text, out value);
            }
            else
            {
                return false;
            }

            if (!parsed)
            {
                Add(field, ValidationErrorKind.InvalidTimestamp,
                    "must be an RFC 3339 date-time with offset in years 1900..2999, e.g. 2024-05-01T12:00:00Z");
            }

            return parsed;
        }
    }
}
