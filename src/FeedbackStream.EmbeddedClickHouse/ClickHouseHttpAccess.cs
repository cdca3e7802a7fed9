using System.Security.Cryptography;
using System.Text;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>
/// Who may use the HTTP interface and what user SQL may do, as a ClickHouse server's HTTP interface enforces it:
/// a user and password (Basic auth, <c>X-ClickHouse-User</c>/<c>X-ClickHouse-Key</c> headers or <c>user</c>/<c>password</c>
/// parameters), GET is read-only, no table function or engine that reads or writes files or other services unless
/// enabled, cross-origin browser requests refused, and a cap on the decoded request body.
/// </summary>
public sealed record ClickHouseHttpAccess
{
    /// <summary>Default cap on a request's decoded body: SQL plus an INSERT's inline data (256 MiB).</summary>
    public const long DefaultMaxBodyBytes = 256L << 20;

    /// <summary>Default cap on the SQL text of one request, the part held in memory (16 MiB).</summary>
    public const long DefaultMaxQueryBytes = 16L << 20;

    /// <summary>The only user, as on a fresh server.</summary>
    public string User { get; init; } = "default";

    /// <summary>The user's password; <see langword="null"/> only for <see cref="Trusted"/> (in-process, no socket).</summary>
    public string? Password { get; init; }

    /// <summary>Allows file(), url(), remote(), s3() and the like, engines and dictionary sources that reach files or services, and INFILE/OUTFILE.</summary>
    public bool AllowExternalAccess { get; init; }

    /// <summary>Refuses requests that carry an Origin other than the endpoint's own, or a Host that is not loopback.</summary>
    public bool RefuseCrossOrigin { get; init; } = true;

    /// <summary>GET runs only reading statements (a server's readonly semantics for GET).</summary>
    public bool ReadOnlyGet { get; init; } = true;

    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    public long MaxQueryBytes { get; init; } = DefaultMaxQueryBytes;

    /// <summary>The product's own in-process handler: no socket, so no credentials, origin or size checks.</summary>
    public static ClickHouseHttpAccess Trusted { get; } = new()
    {
        Password = null,
        AllowExternalAccess = true,
        RefuseCrossOrigin = false,
        ReadOnlyGet = false,
        MaxBodyBytes = long.MaxValue,
        MaxQueryBytes = long.MaxValue,
    };

    /// <summary>A listener's access with a fresh random password (24 URL-safe characters).</summary>
    public static ClickHouseHttpAccess WithGeneratedPassword() => new() { Password = GeneratePassword() };

    public static string GeneratePassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');

    /// <summary>Checks the options; throws with the option's name when one is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(User))
        {
            throw new ArgumentException("ClickHouse HTTP user must not be empty.", nameof(User));
        }

        if (Password is { Length: 0 })
        {
            throw new ArgumentException("ClickHouse HTTP password must not be empty (leave it unset to generate one).", nameof(Password));
        }

        if (MaxBodyBytes <= 0 || MaxQueryBytes <= 0)
        {
            throw new ArgumentException($"The body cap (--max-body-bytes, ClickHouse:HttpMaxBodyBytes: {MaxBodyBytes}) and the query cap ({MaxQueryBytes}) must be positive.", nameof(MaxBodyBytes));
        }
    }

    internal bool Authenticates(string user, string password)
    {
        if (Password is null)
        {
            return true;
        }

        // Compare hashes so the time taken does not depend on where the strings differ.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(user)), SHA256.HashData(Encoding.UTF8.GetBytes(User))) &
               CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(password)), SHA256.HashData(Encoding.UTF8.GetBytes(Password)));
    }
}
