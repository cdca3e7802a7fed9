using System.Diagnostics;
using System.Diagnostics.Metrics;
using FeedbackStream.Contracts.Telemetry;

namespace FeedbackStream.Storage;

/// <summary>
/// How long ClickHouse operations take (<see cref="TelemetryNames.ClickHouseOperationDuration"/>, seconds), by
/// <c>db.operation.name</c> (<c>insert</c> or <c>query</c>), the table of an insert, and <c>error.type</c> on failure.
/// </summary>
public static class ClickHouseMetrics
{
    private static readonly Meter Meter = new(TelemetryNames.StorageMeter);

    private static readonly Histogram<double> Duration = Meter.CreateHistogram(
        TelemetryNames.ClickHouseOperationDuration,
        "s",
        "Duration of a ClickHouse insert or query.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    /// <summary>Runs <paramref name="work"/> and records its duration as one <c>insert</c> into <paramref name="table"/>.</summary>
    public static Task InsertAsync(string table, Func<Task> work) => TimeAsync("insert", table, work);

    /// <summary>Runs <paramref name="work"/> and records its duration as one <paramref name="operation"/>.</summary>
    public static Task TimeAsync(string operation, string? table, Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return TimeAsync(operation, table, async () =>
        {
            await work();
            return true;
        });
    }

    /// <summary>Runs <paramref name="work"/>, records its duration as one <paramref name="operation"/>, and returns its result.</summary>
    public static async Task<T> TimeAsync<T>(string operation, string? table, Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        try
        {
            return await work();
        }
        catch (Exception e)
        {
            error = e is OperationCanceledException ? "canceled" : e.GetType().Name;
            throw;
        }
        finally
        {
            Record(operation, table, Stopwatch.GetElapsedTime(started), error);
        }
    }

    /// <summary>Records one operation that took <paramref name="elapsed"/>.</summary>
    public static void Record(string operation, string? table, TimeSpan elapsed, string? errorType)
    {
        var tags = new TagList { { "db.system.name", "clickhouse" }, { "db.operation.name", operation } };
        if (table is not null)
        {
            tags.Add("db.collection.name", table);
        }

        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        Duration.Record(elapsed.TotalSeconds, tags);
    }
}
