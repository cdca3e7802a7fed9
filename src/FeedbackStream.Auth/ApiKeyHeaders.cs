using Microsoft.AspNetCore.Http;

namespace FeedbackStream.Auth;

/// <summary>How a request presents an API key.</summary>
public static class ApiKeyHeaders
{
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>The key a request presents: <c>Authorization: Bearer &lt;key&gt;</c> or the <c>X-Api-Key</c> header; null when none.</summary>
    public static string? Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var header = request.Headers[ApiKeyHeader].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }
}
