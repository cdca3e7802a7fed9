using ClickHouse.Driver;
using ClickHouse.Driver.Utility;

namespace FeedbackStream.Storage.Jobs;

/// <summary>One row of <c>retrain_job_events</c> as stored (a run's heartbeats read back as its newest one).</summary>
public sealed record RetrainJobEventRow(
    Guid JobId, DateTime At, string Kind, string Trigger, string RequestedBy, int Attempt, string RunId, string Owner, string RunStatus, string Version, string Reason);

/// <summary>
/// <c>retrain_job_events</c> of one model: appends job events and reads them back per job, columns mapped by name.
/// The fold of a job's events into its state is the caller's.
/// </summary>
public sealed class RetrainJobEventRepository(ClickHouseClient client, string modelName)
{
    private const string Table = "retrain_job_events";

    private static readonly string[] Columns =
        ["job_id", "model_name", "at", "kind", "trigger", "requested_by", "attempt", "run_id", "owner", "run_status", "version", "reason"];

    // Heartbeats are the bulk of a long run's rows; only each run's newest one matters to the fold. {jobs} is the
    // job-id subquery (or one id) of the caller. The second branch takes its column names from the first: an alias
    // there (such as 'heartbeat' AS kind) would also replace the column of that name in its WHERE.
    private const string EventsOf = """
        SELECT job_id, at, kind, trigger, requested_by, attempt, run_id, owner, run_status, version, reason
        FROM retrain_job_events WHERE model_name = {model:String} AND kind != 'heartbeat' AND job_id IN ({jobs})
        UNION ALL
        SELECT job_id, max(at), 'heartbeat', '', '', any(attempt), run_id, any(owner), '', '', ''
        FROM retrain_job_events WHERE model_name = {model:String} AND kind = 'heartbeat' AND job_id IN ({jobs})
        GROUP BY job_id, run_id
        """;

    public string ModelName => modelName;

    public Task AppendAsync(RetrainJobEventRow e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentOutOfRangeException.ThrowIfNegative(e.Attempt);
        return ClickHouseMetrics.InsertAsync(Table, () => client.InsertBinaryAsync(
            Table, Columns,
            [[e.JobId, modelName, e.At, e.Kind, e.Trigger, e.RequestedBy, checked((ushort)e.Attempt), e.RunId, e.Owner, e.RunStatus, e.Version, e.Reason]],
            null, cancellationToken));
    }

    /// <summary>Every event of one job (a run's heartbeats as its newest one), in no particular order.</summary>
    public async Task<List<RetrainJobEventRow>> EventsAsync(Guid jobId, CancellationToken cancellationToken) =>
        (await ReadAsync(EventsOf.Replace("{jobs}", "toUUID({job:String})", StringComparison.Ordinal), new { model = modelName, job = jobId.ToString() }, cancellationToken))
        .GetValueOrDefault(jobId) ?? [];

    /// <summary>The events of the newest <paramref name="limit"/> jobs (by first event), by job, newest job first.</summary>
    public async Task<List<List<RetrainJobEventRow>>> RecentAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        const string Recent = "SELECT job_id FROM retrain_job_events WHERE model_name = {model:String} GROUP BY job_id ORDER BY min(at) DESC LIMIT {limit:UInt64}";
        var byJob = await ReadAsync(EventsOf.Replace("{jobs}", Recent, StringComparison.Ordinal), new { model = modelName, limit = (ulong)limit }, cancellationToken);
        return [.. byJob.Values.OrderByDescending(events => events.Min(e => e.At))];
    }

    /// <summary>The events of jobs without a terminal event (finished, failed, canceled) that had an event within <paramref name="window"/>.</summary>
    public async Task<List<List<RetrainJobEventRow>>> UnfinishedAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        const string Open = """
            SELECT job_id FROM retrain_job_events
            WHERE model_name = {model:String} AND at > now64(6) - toIntervalSecond({window:UInt64})
            GROUP BY job_id HAVING countIf(kind IN ('finished', 'failed', 'canceled')) = 0
            """;
        return [.. (await ReadAsync(EventsOf.Replace("{jobs}", Open, StringComparison.Ordinal), new { model = modelName, window = (ulong)Math.Max(1, window.TotalSeconds) }, cancellationToken)).Values];
    }

    private async Task<Dictionary<Guid, List<RetrainJobEventRow>>> ReadAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        var byJob = new Dictionary<Guid, List<RetrainJobEventRow>>();
        foreach (var row in await client.RowsAsync<EventRecord>(sql, parameters, cancellationToken))
        {
            var e = row.ToRow();
            if (!byJob.TryGetValue(e.JobId, out var list))
            {
                byJob[e.JobId] = list = [];
            }

            list.Add(e);
        }

        return byJob;
    }

    private sealed class EventRecord
    {
        public Guid JobId { get; set; }

        public DateTime At { get; set; }

        public string Kind { get; set; } = "";

        public string Trigger { get; set; } = "";

        public string RequestedBy { get; set; } = "";

        public ushort Attempt { get; set; }

        public string RunId { get; set; } = "";

        public string Owner { get; set; } = "";

        public string RunStatus { get; set; } = "";

        public string Version { get; set; } = "";

        public string Reason { get; set; } = "";

        public RetrainJobEventRow ToRow() =>
            new(JobId, DateTime.SpecifyKind(At, DateTimeKind.Utc), Kind, Trigger, RequestedBy, Attempt, RunId, Owner, RunStatus, Version, Reason);
    }
}
