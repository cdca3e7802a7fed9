using System.Text;

namespace FeedbackStream.Followups.Text;

/// <summary>FNV-1a 64-bit over UTF-8: a hash that is the same on every machine and run (unlike string.GetHashCode).</summary>
internal static class StableHash
{
    public static ulong Of(string salt, string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(salt + "\n" + value))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return hash;
    }

    /// <summary>True for about <paramref name="fraction"/> of values, fixed per (salt, value).</summary>
    public static bool InFraction(string salt, string value, double fraction) => Of(salt, value) % 10_000 < (ulong)Math.Round(fraction * 10_000);
}
