using System.Security.Cryptography;
using System.Text;

namespace FeedbackStream.Auth;

/// <summary>An API key as configured: its SHA-256 (hex) and the apps it may send events for. The key itself is never stored.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>A name for logs and audits (never the key).</summary>
    public string Name { get; set; } = "";

    /// <summary>Lowercase hex SHA-256 of the key (<c>feedbackstream keys hash</c> prints it).</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>app_id values this key may send; "*" allows every app.</summary>
    public List<string> Apps { get; } = [];
}

/// <summary>The caller an API key identified.</summary>
public sealed record ApiKeyPrincipal(string Name, IReadOnlySet<string> Apps)
{
    public bool MaySendFor(string appId) => Apps.Contains("*") || Apps.Contains(appId);
}

/// <summary>Looks up presented API keys by their SHA-256; keys are compared as hashes, never stored in clear.</summary>
public sealed class ApiKeyRing
{
    private readonly Dictionary<string, ApiKeyPrincipal> _byHash = new(StringComparer.Ordinal);

    public ApiKeyRing(IEnumerable<ApiKeyOptions> keys)
    {
        foreach (var key in keys)
        {
            var hash = key.Sha256.Trim().ToLowerInvariant();
            if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
            {
                throw new ArgumentException($"API key '{key.Name}': Sha256 must be 64 hex digits (the SHA-256 of the key, not the key).");
            }

            if (key.Apps.Count == 0)
            {
                throw new ArgumentException($"API key '{key.Name}' allows no app; list app ids or \"*\".");
            }

            _byHash[hash] = new ApiKeyPrincipal(key.Name, key.Apps.ToHashSet(StringComparer.Ordinal));
        }
    }

    public int Count => _byHash.Count;

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public ApiKeyPrincipal? Find(string? presentedKey) =>
        string.IsNullOrEmpty(presentedKey) ? null : _byHash.GetValueOrDefault(Hash(presentedKey));
}
