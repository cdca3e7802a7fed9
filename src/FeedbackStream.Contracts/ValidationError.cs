namespace FeedbackStream.Contracts;

/// <summary>What kind of rule a field broke; stable for metrics and dead-letter reasons (do not match on <see cref="ValidationError.Reason"/>).</summary>
public enum ValidationErrorKind
{
    /// <summary>A required field is missing.</summary>
    Required,

    /// <summary>A field the schema does not define.</summary>
    UnknownField,

    /// <summary>A field appears more than once in the same object.</summary>
    DuplicateField,

    /// <summary>Wrong JSON type (e.g. number instead of string).</summary>
    WrongType,

    /// <summary>String shorter than allowed.</summary>
    TooShort,

    /// <summary>String longer than allowed (schema limit or the configured text limit).</summary>
    TooLong,

    /// <summary>String with characters or a shape the pattern does not allow.</summary>
    Pattern,

    /// <summary>Value not in the allowed set (type, reaction, action, schema_version).</summary>
    NotAllowed,

    /// <summary>Number outside its range, or not an integer where one is required.</summary>
    OutOfRange,

    /// <summary>Timestamp that is not an RFC 3339 date-time with offset inside the accepted range.</summary>
    InvalidTimestamp,

    /// <summary>A field that must be absent in this context (edited_text unless action is edit).</summary>
    NotExpected,

    /// <summary>Validation stopped after the configured number of errors.</summary>
    TooManyErrors,
}

/// <summary>One reason an event was rejected.</summary>
/// <param name="Path">JSON path of the offending field, e.g. <c>$.payload.reaction</c> (or with the caller's root, e.g. <c>$[3].payload.reaction</c>).</param>
/// <param name="Kind">The rule that was broken.</param>
/// <param name="Reason">Human-readable reason, e.g. "must be one of love, like, ...", "is required", "unknown field".</param>
public sealed record ValidationError(string Path, ValidationErrorKind Kind, string Reason)
{
    /// <summary><c>path: reason</c>.</summary>
    public override string ToString() => $"{Path}: {Reason}";
}

/// <summary>Outcome of <see cref="EventValidator.Validate(System.Text.Json.JsonElement)"/>: a typed event or the errors.</summary>
public sealed class EventValidationResult
{
    private EventValidationResult(FeedbackEvent? value, IReadOnlyList<ValidationError> errors)
    {
        Event = value;
        Errors = errors;
    }

    /// <summary>The typed event when valid; otherwise null.</summary>
    public FeedbackEvent? Event { get; }

    /// <summary>Why the event is invalid, in document and schema order; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    /// <summary>Whether the event is valid (then <see cref="Event"/> is set).</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Event))]
    public bool IsValid => Event is not null;

    internal static EventValidationResult Valid(FeedbackEvent value) => new(value, []);

    internal static EventValidationResult Invalid(List<ValidationError> errors) => new(null, errors.AsReadOnly());
}
