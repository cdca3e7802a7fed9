using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FeedbackStream.Auth;

/// <summary>Why a whole request was refused (auth and request-level limits), as a problem-details answer.</summary>
public sealed record RequestRefusal(int StatusCode, string Title, string Detail, string? Limit = null, string? LimitValue = null)
{
    /// <summary>The problem-details answer: <c>limit</c> and <c>limit_value</c> extensions when a limit was passed.</summary>
    public ProblemHttpResult ToProblem()
    {
        var extensions = new Dictionary<string, object?>();
        if (Limit is not null)
        {
            extensions["limit"] = Limit;
            extensions["limit_value"] = LimitValue;
        }

        return TypedResults.Problem(Detail, statusCode: StatusCode, title: Title, extensions: extensions);
    }

    /// <summary>
    /// Why a body could not be read when that is the client's doing: Kestrel's own verdict (slow body 408, bad framing
    /// 400), or an I/O error from the body decoder (such as a chunk size that overflows). Null for anything else.
    /// </summary>
    public static RequestRefusal? UnreadableBody(Exception exception, HttpContext context) => (exception ?? throw new ArgumentNullException(nameof(exception))) switch
    {
        BadHttpRequestException bad => new RequestRefusal(
            bad.StatusCode,
            bad.StatusCode == StatusCodes.Status408RequestTimeout ? "Request body too slow" : "Request body could not be read",
            bad.Message),
        IOException io when !(context ?? throw new ArgumentNullException(nameof(context))).RequestAborted.IsCancellationRequested => new RequestRefusal(
            StatusCodes.Status400BadRequest,
            "Request body could not be read",
            $"The body's framing is malformed: {io.Message}"),
        _ => null,
    };

    /// <summary>413 for a body past <paramref name="maxBodyBytes"/>.</summary>
    public static RequestRefusal BodyTooLarge(long maxBodyBytes) => new(
        StatusCodes.Status413PayloadTooLarge,
        "Request body too large",
        $"The body exceeds max_body_bytes = {maxBodyBytes}; split the batch.",
        "max_body_bytes",
        maxBodyBytes.ToString(CultureInfo.InvariantCulture));
}
