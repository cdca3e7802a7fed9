using System.Diagnostics;
using System.Text;

namespace FeedbackStream.Contracts.Telemetry;

/// <summary>
/// The W3C <c>traceparent</c> value carried in a Kafka record header. Optional on the wire: a record without it, or
/// with one that does not parse, is processed like any other (it only loses its link to the produce span).
/// </summary>
public static class TraceParent
{
    /// <summary>Longest header value read; a W3C version-00 value is 55 characters.</summary>
    public const int MaxBytes = 256;

    /// <summary>The header value for <paramref name="context"/> (<c>00-{trace-id}-{span-id}-{flags}</c>).</summary>
    public static byte[] Format(ActivityContext context)
    {
        var flags = (context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00";
        return Encoding.ASCII.GetBytes($"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{flags}");
    }

    /// <summary>The remote context in <paramref name="value"/>; false (never an exception) for anything malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out ActivityContext context)
    {
        context = default;
        if (value.IsEmpty || value.Length > MaxBytes)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return ActivityContext.TryParse(Encoding.ASCII.GetString(value), null, isRemote: true, out context)
            && context.TraceId.ToHexString().AsSpan().IndexOfAnyExcept('0') >= 0
            && context.SpanId.ToHexString().AsSpan().IndexOfAnyExcept('0') >= 0;
    }
}
