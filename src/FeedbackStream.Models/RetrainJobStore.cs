using ClickHouse.Driver;
using FeedbackStream.Storage.Jobs;

namespace FeedbackStream.Models;

/// <summary>ClickHouse side of the retraining job service: appends job events and reads them back per job (through <see cref="RetrainJobEventRepository"/>).</summary>
public sealed class RetrainJobStore(ClickHouseClient client, string modelName = ModelStore.DefaultModelName)
{
    private readonly RetrainJobEventRepository _events = new(client, modelName);

    public string ModelName => modelName;

    public Task AppendAsync(RetrainJobEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        return _events.AppendAsync(new RetrainJobEventRow(e.JobId, e.At, e.Kind, e.Trigger, e.RequestedBy, e.Attempt, e.RunId, e.Owner, e.RunStatus, e.Version, e.Reason), cancellationToken);
    }

    /// <summary>Every event of one job (a run's heartbeats as its newest one).</summary>
    public async Task<List<RetrainJobEvent>> EventsAsync(Guid jobId, CancellationToken cancellationToken) =>
        [.. (await _events.EventsAsync(jobId, cancellationToken)).Select(ToEvent)];

    /// <summary>The events of the newest <paramref name="limit"/> jobs, by job, newest job first.</summary>
    public async Task<List<List<RetrainJobEvent>>> RecentAsync(int limit, CancellationToken cancellationToken) =>
        [.. (await _events.RecentAsync(limit, cancellationToken)).Select(job => job.Select(ToEvent).ToList())];

    /// <summary>The events of jobs without a terminal event that were active within <paramref name="window"/>.</summary>
    public async Task<List<List<RetrainJobEvent>>> UnfinishedAsync(TimeSpan window, CancellationToken cancellationToken) =>
        [.. (await _events.UnfinishedAsync(window, cancellationToken)).Select(job => job.Select(ToEvent).ToList())];

    private static RetrainJobEvent ToEvent(RetrainJobEventRow r) =>
        new(r.JobId, r.At, r.Kind, r.Trigger, r.RequestedBy, r.Attempt, r.RunId, r.Owner, r.RunStatus, r.Version, r.Reason);
}
