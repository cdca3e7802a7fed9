using System.ComponentModel.DataAnnotations;

namespace FeedbackStream.Contracts;

/// <summary>Configurable limits of <see cref="EventValidator"/>; they can only tighten what the schemas allow.</summary>
public sealed class EventValidatorOptions
{
    /// <summary>
    /// Maximum length, in Unicode code points, of prompt_text, response_text, followup text and edited_text.
    /// 1..<see cref="SchemaLimits.MaxTextLength"/>; defaults to the schema limit.
    /// </summary>
    [Range(1, SchemaLimits.MaxTextLength)]
    public int MaxTextLength { get; set; } = SchemaLimits.MaxTextLength;

    /// <summary>Errors reported per event at most (then one <see cref="ValidationErrorKind.TooManyErrors"/> entry); 1..1000, default 32.</summary>
    [Range(1, 1000)]
    public int MaxErrors { get; set; } = 32;
}
