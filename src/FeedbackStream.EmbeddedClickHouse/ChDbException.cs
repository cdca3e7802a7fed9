using System.Globalization;
using System.Text.RegularExpressions;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>An error reported by the engine, with ClickHouse's numeric error code when the message carries one.</summary>
public sealed partial class ChDbException : Exception
{
    public ChDbException()
    {
    }

    public ChDbException(string message)
        : this(message, ParseCode(message))
    {
    }

    public ChDbException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ChDbException(string message, int code)
        : base(message) => Code = code;

    /// <summary>ClickHouse error code (e.g. 60 UNKNOWN_TABLE, 62 SYNTAX_ERROR); 1000 (POCO_EXCEPTION) when the message had none.</summary>
    public int Code { get; } = ErrorCodes.Unknown;

    internal static int ParseCode(string message)
    {
        var match = CodePattern().Match(message);
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : ErrorCodes.Unknown;
    }

    [GeneratedRegex(@"Code:\s*(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();
}

/// <summary>The ClickHouse error codes this component raises itself.</summary>
public static class ErrorCodes
{
    public const int SyntaxError = 62;
    public const int UnknownTable = 60;
    public const int UnknownDatabase = 81;
    public const int NotImplemented = 48;
    public const int CannotDecompress = 271;
    public const int UnknownSetting = 115;
    public const int BadArguments = 36;
    public const int Readonly = 164;
    public const int TooManyBytes = 307;
    public const int AccessDenied = 497;
    public const int AuthenticationFailed = 516;
    public const int Unknown = 1000;
}
