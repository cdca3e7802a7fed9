using System.CommandLine;
using System.Diagnostics;
using ClickHouse.Driver;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.Hosting;
using FeedbackStream.Storage;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// <c>feedbackstream bench clickhouse</c>: inserts rows of eight columns through <c>InsertBinaryAsync</c>, reads them
/// back, and times small and aggregate queries, all through ClickHouse.Driver on the embedded engine.
/// </summary>
internal static class ClickHouseBenchmark
{
    public sealed record Result(
        long Rows,
        int Columns,
        int BatchRows,
        double InsertSeconds,
        double InsertRowsPerSec,
        double ReadSeconds,
        double ReadRowsPerSec,
        int PointQueries,
        double PointQueryP50Ms,
        double PointQueryP99Ms,
        int AggregateQueries,
        double AggregateQueryP50Ms,
        double AggregateQueryP99Ms,
        string Engine,
        string Transport);

    public static Command Create()
    {
        var rows = new Option<int>("--rows") { Description = "Rows to insert and read back.", DefaultValueFactory = _ => 1_000_000 };
        var batch = new Option<int>("--batch") { Description = "Rows per InsertBinaryAsync call.", DefaultValueFactory = _ => 100_000 };
        var queries = new Option<int>("--queries") { Description = "Repetitions of the point query (one constant row, like SELECT 1).", DefaultValueFactory = _ => 500 };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long.", DefaultValueFactory = _ => TimeSpan.FromMinutes(5) };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object on the last line." };
        var command = new Command("clickhouse", "Insert, read and query throughput of the embedded ClickHouse engine through ClickHouse.Driver.")
        {
            rows, batch, queries, timeout, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(parse.GetValue(timeout));
            var result = await RunAsync(parse.GetValue(rows), parse.GetValue(batch), parse.GetValue(queries), deadline.Token);
            Print(result);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(result);
            }

            return 0;
        });
        return command;
    }

    public static async Task<Result> RunAsync(int rowCount, int batchRows, int pointQueries, CancellationToken cancellationToken)
    {
        var dataPath = Path.Combine(Path.GetTempPath(), $"feedbackstream-bench-ch-{Guid.NewGuid():N}");
        try
        {
            using var server = EmbeddedClickHouseServer.Start(new EmbeddedClickHouseOptions { DataPath = dataPath });
            using var client = server.CreateClient();
            await client.ExecuteNonQueryAsync(
                """
                CREATE TABLE bench (
                    event_id String, app_id LowCardinality(String), user_id String, conversation_id String,
                    occurred_at DateTime64(3, 'UTC'), turn_index UInt32, latency_ms Float64, tags Array(String)
                ) ENGINE = ReplacingMergeTree ORDER BY event_id
                """, null, null, cancellationToken);
            string[] columns = ["event_id", "app_id", "user_id", "conversation_id", "occurred_at", "turn_index", "latency_ms", "tags"];
            var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            string[] apps = ["chat-web", "chat-ios", "chat-android", "api"];
            string[][] tags = [["a"], ["a", "b"], []];

            object[] Row(long i) =>
            [
                $"evt-{i:D12}", apps[i % apps.Length], $"user-{i % 5000}", $"conv-{i % 40000}", start.AddMilliseconds(i), (uint)(i % 20), (i % 997) * 1.5, tags[i % 3],
            ];

            var insertWatch = new Stopwatch();
            await AnsiConsole.Progress().AutoClear(true).StartAsync(async progress =>
            {
                var task = progress.AddTask($"inserting {rowCount:N0} rows", maxValue: rowCount);
                for (long offset = 0; offset < rowCount; offset += batchRows)
                {
                    var count = (int)Math.Min(batchRows, rowCount - offset);
                    var first = offset;
                    var batch = Enumerable.Range(0, count).Select(i => Row(first + i)).ToList();
                    insertWatch.Start();
                    await client.InsertBinaryAsync("bench", columns, batch, null, cancellationToken);
                    insertWatch.Stop();
                    task.Increment(count);
                }
            });

            var readWatch = Stopwatch.StartNew();
            // The product's read path: typed rows through Dapper, columns mapped by name.
            long read = (await client.RowsAsync<BenchRow>("SELECT * FROM bench", null, cancellationToken)).Count;
            readWatch.Stop();
            if (read != rowCount)
            {
                throw new InvalidOperationException($"Read {read} rows back, expected {rowCount}.");
            }

            var point = await TimeAsync(client, "SELECT 'chat-web' AS app_id", pointQueries, cancellationToken);
            var aggregate = await TimeAsync(client, "SELECT app_id, toInt64(count()) AS responses, avg(latency_ms) AS mean_latency_ms, toInt64(uniq(user_id)) AS users FROM bench GROUP BY app_id", Math.Max(5, pointQueries / 25), cancellationToken);
            return new Result(
                rowCount,
                columns.Length,
                batchRows,
                Stats.Round(insertWatch.Elapsed.TotalSeconds),
                Math.Round(rowCount / insertWatch.Elapsed.TotalSeconds),
                Stats.Round(readWatch.Elapsed.TotalSeconds),
                Math.Round(rowCount / readWatch.Elapsed.TotalSeconds),
                point.Count,
                Stats.Round(Stats.Percentile(point, 50)),
                Stats.Round(Stats.Percentile(point, 99)),
                aggregate.Count,
                Stats.Round(Stats.Percentile(aggregate, 50)),
                Stats.Round(Stats.Percentile(aggregate, 99)),
                $"chDB {ChDbLibrary.PackageVersion}",
                "ClickHouse.Driver over the in-process HTTP handler");
        }
        finally
        {
            try
            {
                Directory.Delete(dataPath, recursive: true);
            }
            catch (IOException)
            {
                // Temp folder; best effort.
            }
        }
    }

    private static async Task<List<double>> TimeAsync(ClickHouseClient client, string sql, int repetitions, CancellationToken cancellationToken)
    {
        var latencies = new List<double>(repetitions);
        for (var i = 0; i < repetitions; i++)
        {
            var watch = Stopwatch.StartNew();
            _ = await client.RowsAsync<AggregateRow>(sql, null, cancellationToken);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }

        return latencies;
    }

    private static void Print(Result result)
    {
        var table = new Table().AddColumns("figure", "value");
        table.AddRow("rows x columns", $"{result.Rows:N0} x {result.Columns}");
        table.AddRow("insert (InsertBinaryAsync)", $"{result.InsertRowsPerSec:N0} rows/s ({result.InsertSeconds} s)");
        table.AddRow("read (typed rows, Dapper)", $"{result.ReadRowsPerSec:N0} rows/s ({result.ReadSeconds} s)");
        table.AddRow($"point query (one constant row) x{result.PointQueries}", $"p50 {result.PointQueryP50Ms} ms, p99 {result.PointQueryP99Ms} ms");
        table.AddRow($"GROUP BY over all rows x{result.AggregateQueries}", $"p50 {result.AggregateQueryP50Ms} ms, p99 {result.AggregateQueryP99Ms} ms");
        AnsiConsole.Write(table);
    }

    /// <summary>A row of the benchmark table, mapped by column name.</summary>
    private sealed class BenchRow
    {
        public string EventId { get; set; } = string.Empty;

        public string AppId { get; set; } = string.Empty;

        public string UserId { get; set; } = string.Empty;

        public string ConversationId { get; set; } = string.Empty;

        public DateTime OccurredAt { get; set; }

        public uint TurnIndex { get; set; }

        public double LatencyMs { get; set; }

        public string[] Tags { get; set; } = [];
    }

    /// <summary>A row of the GROUP BY (and of the point query, which fills only the app).</summary>
    private sealed class AggregateRow
    {
        public string AppId { get; set; } = string.Empty;

        public long Responses { get; set; }

        public double MeanLatencyMs { get; set; }

        public long Users { get; set; }
    }
}
