using System.Collections.Concurrent;
using Cronos;
using MassTransit;
using MassTransit.Contracts.JobService;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Models;

/// <summary>The retraining job's message: why it runs and who asked.</summary>
public sealed record RetrainModel(string Trigger, string RequestedBy);

/// <summary>Published when a run promoted a new champion; scorers reload on it.</summary>
public sealed record ModelPromoted(string ModelName, string Version, string PreviousVersion, string RunId);

/// <summary>A submitted retraining job as the admin API reports it.</summary>
public sealed record RetrainJobStatus(Guid JobId, string Trigger, string RequestedBy, DateTime SubmittedAt, string State, string? Reason, int RetryAttempt, string? Version, string? RunStatus);

/// <summary>
/// The retraining job (MassTransit job consumer: one at a time, retried on failure, cancellable by job id). A run
/// without enough labels ends without retry (nothing would change); a promotion publishes <see cref="ModelPromoted"/>.
/// </summary>
public sealed class RetrainJobConsumer(TrainingService training, RetrainJobs jobs, ILogger<RetrainJobConsumer> log) : IJobConsumer<RetrainModel>
{
    public async Task Run(JobContext<RetrainModel> context)
    {
        Log.JobStarted(log, context.JobId, context.Job.Trigger, context.RetryAttempt);
        TrainingResult result;
        try
        {
            result = await training.RunAsync(context.Job.Trigger, context.CancellationToken);
        }
        catch (OperationCanceledException e) when (context.CancellationToken.IsCancellationRequested && e.CancellationToken != context.CancellationToken)
        {
            // An I/O call (e.g. a ClickHouse query) reports the cancellation with its own token; the job service records a
            // run as canceled only when the exception carries the job's token.
            throw new OperationCanceledException(e.Message, e, context.CancellationToken);
        }

        jobs.Completed(context.JobId, result);
        if (result.Status == "promoted" && result.Version is { } version)
        {
            await context.Publish(new ModelPromoted(training.Store.ModelName, version, result.PreviousChampion ?? "", result.RunId), context.CancellationToken);
        }
    }
}

/// <summary>Reloads the scorer when this process promoted a model.</summary>
public sealed class ModelPromotedConsumer(ModelServer server) : IConsumer<ModelPromoted>
{
    public Task Consume(ConsumeContext<ModelPromoted> context) => server.RefreshAsync(context.CancellationToken);
}

/// <summary>Submits, inspects and cancels retraining jobs; remembers the jobs this process submitted.</summary>
public sealed class RetrainJobs(IBus bus, IServiceScopeFactory scopes, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, (RetrainModel Job, DateTime SubmittedAt)> _submitted = new();
    private readonly ConcurrentDictionary<Guid, TrainingResult> _results = new();
    private readonly ConcurrentDictionary<Guid, byte> _unfinished = new();

    public async Task<Guid> SubmitAsync(string trigger, string requestedBy, CancellationToken cancellationToken)
    {
        var job = new RetrainModel(trigger, requestedBy);
        var id = NewId.NextGuid();
        _submitted[id] = (job, time.GetUtcNow().UtcDateTime);
        _unfinished[id] = 0;
        using var scope = scopes.CreateScope();
        var client = scope.ServiceProvider.GetRequiredService<IRequestClient<SubmitJob<RetrainModel>>>();
        await client.SubmitJob(id, job);
        return id;
    }

    public Task CancelAsync(Guid jobId, string reason) => bus.CancelJob(jobId, reason);

    public async Task<RetrainJobStatus?> StatusAsync(Guid jobId, CancellationToken cancellationToken)
    {
        if (!_submitted.TryGetValue(jobId, out var submitted))
        {
            return null;
        }

        using var scope = scopes.CreateScope();
        var client = scope.ServiceProvider.GetRequiredService<IRequestClient<GetJobState>>();
        var state = await client.GetJobState(jobId);
        _results.TryGetValue(jobId, out var result);
        return new RetrainJobStatus(jobId, submitted.Job.Trigger, submitted.Job.RequestedBy, submitted.SubmittedAt, state.CurrentState, state.Reason, state.LastRetryAttempt, result?.Version, result?.Status);
    }

    public async Task<List<RetrainJobStatus>> RecentAsync(CancellationToken cancellationToken)
    {
        var list = new List<RetrainJobStatus>();
        foreach (var id in _submitted.OrderByDescending(kv => kv.Value.SubmittedAt).Take(20).Select(kv => kv.Key))
        {
            if (await StatusAsync(id, cancellationToken) is { } status)
            {
                list.Add(status);
            }
        }

        return list;
    }

    /// <summary>True while a job this process submitted is not finished (the triggers do not pile up jobs).</summary>
    public async Task<bool> AnyActiveAsync(CancellationToken cancellationToken)
    {
        // Only jobs not yet seen finished are asked about; a finished job leaves the set for good.
        foreach (var id in _unfinished.Keys)
        {
            var status = await StatusAsync(id, cancellationToken);
            if (status is null || status.State is "Completed" or "Faulted" or "Canceled" or "NotFound")
            {
                _unfinished.TryRemove(id, out _);
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    internal void Completed(Guid jobId, TrainingResult result) => _results[jobId] = result;

    /// <summary>The run a job of this process finished with, once it finished.</summary>
    public TrainingResult? Result(Guid jobId) => _results.GetValueOrDefault(jobId);
}

/// <summary>
/// The automatic triggers: the recurring cron schedule (<c>Models:Schedule</c>, UTC) and "at least
/// <c>Models:NewLabelsTrigger</c> labels computed since the last model's data was pinned". Neither submits while a job
/// is still queued or running.
/// </summary>
public sealed class RetrainTriggers(RetrainJobs jobs, ModelStore store, ModelsOptions options, TimeProvider time, ILogger<RetrainTriggers> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cron = options.ScheduleEnabled ? CronExpression.Parse(options.Schedule) : null;
        var next = cron?.GetNextOccurrence(time.GetUtcNow().UtcDateTime);
        if (next is not null)
        {
            Log.Scheduled(log, options.Schedule, next);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = time.GetUtcNow().UtcDateTime;
                if (next is not null && now >= next)
                {
                    next = cron!.GetNextOccurrence(now);
                    await SubmitUnlessBusyAsync("schedule", stoppingToken);
                }
                else if (options.NewLabelsTrigger > 0)
                {
                    var since = await store.LastPinnedAtAsync(stoppingToken) ?? DateTime.UnixEpoch;
                    var fresh = await store.LabelsComputedSinceAsync(since, stoppingToken);
                    if (fresh >= options.NewLabelsTrigger)
                    {
                        await SubmitUnlessBusyAsync("new_labels", stoppingToken, $"{fresh} labels since {since:o}");
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.TriggerFailed(log, e, e.Message);
            }

            var wait = options.TriggerPollInterval;
            if (next is { } at && at - time.GetUtcNow().UtcDateTime < wait)
            {
                wait = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, (at - time.GetUtcNow().UtcDateTime).Ticks));
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SubmitUnlessBusyAsync(string trigger, CancellationToken cancellationToken, string? why = null)
    {
        if (await jobs.AnyActiveAsync(cancellationToken))
        {
            Log.TriggerSkipped(log, trigger);
            return;
        }

        var id = await jobs.SubmitAsync(trigger, "triggers", cancellationToken);
        Log.TriggerSubmitted(log, id, trigger, why ?? string.Empty);
    }
}
