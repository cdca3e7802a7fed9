using OpenTelemetry.Metrics;

namespace FeedbackStream.Telemetry.Tests;

/// <summary>Reads a tag of an exported metric point.</summary>
internal static class MetricTags
{
    public static object? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value;
            }
        }

        return null;
    }
}
