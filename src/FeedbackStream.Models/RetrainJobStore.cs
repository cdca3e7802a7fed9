using System.Globalization;
using ClickHouse.Driver;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;

namespace FeedbackStream.Models;

/// <summary>ClickHouse side of the retraining job service: appends job events and reads them back per job.</summary>
public sealed class RetrainJobStore(ClickHouseClient client, string modelName = ModelStore.DefaultModelName)
{
    private static readonly string[] Columns =
        ["job_id", "model_name", "at", "kind", "trigger", "requested_by", "attempt", "run_id", "owner", "run_status", "version", "reason"];

    // Heartbeats are the bulk of a long run's rows; only each run's newest one matters to the fold.
    private const string EventsOf = """
        SELECT job_id, at, kind, trigger, requested_by, attempt, run_id, owner, run_status, version, reason
        FROM retrain_job_events WHERE model_name = {model:String} AND kind != 'heartbeat' AND job_id IN ({jobs})
        UNION ALL
        SELECT job_id, max(at), 'heartbeat', '', '', any(attempt), run_id, any(owner), '', '', ''
        FROM retrain_job_events WHERE model_name = {model:String} AND kind = 'heartbeat' AND job_id IN ({jobs})
        GROUP BY job_id, run_id
        """;

    public string ModelName => modelName;

    public Task AppendAsync(RetrainJobEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        return client.InsertBinaryAsync(
            "retrain_job_events", Columns,
            [[e.JobId, modelName, e.At, e.Kind, e.Trigger, e.RequestedBy, (ushort)e.Attempt, e.RunId, e.Owner, e.RunStatus, e.Version, e.Reason]],
            null, cancellationToken);
    }

    /// <summary>Every event of one job (a run's heartbeats as its newest one).</summary>
    public async Task<List<RetrainJobEvent>> EventsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("model", modelName);
        parameters.AddParameter("job", jobId.ToString());
        return (await ReadAsync(EventsOf.Replace("{jobs}", "toUUID({job:String})", StringComparison.Ordinal), parameters, cancellationToken)).GetValueOrDefault(jobId) ?? [];
    }

    /// <summary>The events of the newest <paramref name="limit"/> jobs, by job, newest job first.</summary>
    public async Task<List<List<RetrainJobEvent>>> RecentAsync(int limit, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("model", modelName);
        parameters.AddParameter("limit", (ulong)limit);
        const string Recent = "SELECT job_id FROM retrain_job_events WHERE model_name = {model:String} GROUP BY job_id ORDER BY min(at) DESC LIMIT {limit:UInt64}";
        var byJob = await ReadAsync(EventsOf.Replace("{jobs}", Recent, StringComparison.Ordinal), parameters, cancellationToken);
        return byJob.Values.OrderByDescending(events => events.Min(e => e.At)).ToList();
    }

    /// <summary>The events of jobs without a terminal event that were active within <paramref name="window"/>.</summary>
    public async Task<List<List<RetrainJobEvent>>> UnfinishedAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        var parameters = new ClickHouseParameterCollection();
        parameters.AddParameter("model", modelName);
        parameters.AddParameter("window", (ulong)Math.Max(1, window.TotalSeconds));
        const string Open = """
            SELECT job_id FROM retrain_job_events
            WHERE model_name = {model:String} AND at > now64(6) - toIntervalSecond({window:UInt64})
            GROUP BY job_id HAVING countIf(kind IN ('finished', 'failed', 'canceled')) = 0
            """;
        return [.. (await ReadAsync(EventsOf.Replace("{jobs}", Open, StringComparison.Ordinal), parameters, cancellationToken)).Values];
    }

    private async Task<Dictionary<Guid, List<RetrainJobEvent>>> ReadAsync(string sql, ClickHouseParameterCollection parameters, CancellationToken cancellationToken)
    {
        var byJob = new Dictionary<Guid, List<RetrainJobEvent>>();
        using var reader = await client.ExecuteReaderAsync(sql, parameters, null, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetValue(0) is Guid g ? g : Guid.Parse(Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!);
            var e = new RetrainJobEvent(
                id, DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                Convert.ToInt32(reader.GetValue(5), CultureInfo.InvariantCulture), reader.GetString(6), reader.GetString(7), reader.GetString(8),
                reader.GetString(9), reader.GetString(10));
            if (!byJob.TryGetValue(id, out var list))
            {
                byJob[id] = list = [];
            }

            list.Add(e);
        }

        return byJob;
    }
}
