namespace FeedbackStream.Contracts;

/// <summary>
/// Limits written in the v1 JSON Schemas (<c>schemas/events/v1</c>), mirrored here for code that needs them.
/// A drift test keeps both in step. Lengths count Unicode code points, as JSON Schema does.
/// </summary>
public static class SchemaLimits
{
    /// <summary>Maximum length of identifiers (event, user, conversation, response ids).</summary>
    public const int MaxIdentifierLength = 128;

    /// <summary>Maximum length of <c>app_id</c>.</summary>
    public const int MaxAppIdLength = 64;

    /// <summary>Maximum length of free text (prompt, response, follow-up and edited text).</summary>
    public const int MaxTextLength = 32768;

    /// <summary>Maximum length of <c>model_version</c>.</summary>
    public const int MaxModelVersionLength = 128;

    /// <summary>Minimum length of <c>prompt_hash</c> in hex digits.</summary>
    public const int MinPromptHashLength = 16;

    /// <summary>Maximum length of <c>prompt_hash</c> in hex digits.</summary>
    public const int MaxPromptHashLength = 128;

    /// <summary>Maximum length of <c>surface</c>.</summary>
    public const int MaxSurfaceLength = 32;

    /// <summary>Minimum length of <c>locale</c>.</summary>
    public const int MinLocaleLength = 2;

    /// <summary>Maximum length of <c>locale</c>.</summary>
    public const int MaxLocaleLength = 35;

    /// <summary>Maximum of <c>turn_index</c> and <c>candidate_index</c>.</summary>
    public const long MaxIndex = int.MaxValue;

    /// <summary>Maximum of the <c>shown_to_*_ms</c> durations and of <c>latency_ms</c> (2^53 - 1).</summary>
    public const long MaxMilliseconds = 9_007_199_254_740_991;

    /// <summary>Earliest year a timestamp may have.</summary>
    public const int MinTimestampYear = 1900;

    /// <summary>Latest year a timestamp may have.</summary>
    public const int MaxTimestampYear = 2999;
}
