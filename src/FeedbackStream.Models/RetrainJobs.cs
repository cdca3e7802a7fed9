using System.Collections.Concurrent;
using Cronos;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Models;

/// <summary>The retraining job's message (sent to the one trainer queue): which job, why it runs and who asked.</summary>
public sealed record RetrainModel(Guid JobId, string Trigger, string RequestedBy);

/// <summary>Published to every trainer: stop the job's run if you hold it.</summary>
public sealed record CancelRetrain(Guid JobId, string Reason);

/// <summary>Published when the champion changed (a run promoted, or a promotion or rollback by hand); scorers reload on it.</summary>
public sealed record ModelPromoted(string ModelName, string Version, string PreviousVersion, string RunId, string Action = "promote");

/// <summary>The bus could not take a message (broker down or unreachable): a 503 to callers, never a 500.</summary>
public sealed class ControlPlaneUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Names shared by every process on the bus.</summary>
public static class ControlPlane
{
    /// <summary>The trainer queue: one consumer active at a time across the cluster, one message at a time.</summary>
    public const string RetrainQueue = "feedbackstream-retrain";

    /// <summary>This process, as job events name their owner.</summary>
    public static string ProcessName { get; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>
    /// The transport of <paramref name="messaging"/> for a MassTransit registration, with usage telemetry off (MassTransit
    /// reports usage to an outside host by default; the product never calls out of the machine).
    /// </summary>
    public static void UseTransport(IBusRegistrationConfigurator x, MessagingOptions messaging)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(messaging);
        x.ConfigureUsageTelemetryOptions(o => o.Enabled = false);
        if (messaging.Transport != MessagingTransport.RabbitMq)
        {
            x.UsingInMemory((context, bus) => bus.ConfigureEndpoints(context));
            return;
        }

        // One trainer consumes at a time across the cluster (RabbitMQ single active consumer); the others stand by and
        // take over when its connection drops. Senders declare the queue with the same argument.
        x.AddConfigureEndpointsCallback((_, name, endpoint) =>
        {
            if (name == RetrainQueue && endpoint is IRabbitMqReceiveEndpointConfigurator queue)
            {
                queue.SingleActiveConsumer = true;
            }
        });
        x.UsingRabbitMq((context, bus) =>
        {
            bus.Host(messaging.RabbitMqHost, (ushort)messaging.RabbitMqPort, messaging.RabbitMqVirtualHost, host =>
            {
                host.Username(messaging.RabbitMqUsername);
                host.Password(messaging.RabbitMqPassword);
                host.Heartbeat(messaging.RabbitMqHeartbeat);
            });
            bus.ConfigureEndpoints(context);
        });
    }

    /// <summary>
    /// Publishes a champion change made outside the job (<c>feedbackstream models promote|rollback</c>) on the broker of
    /// <paramref name="messaging"/>, so every scorer reloads at once; nothing to do on the in-memory transport (no
    /// scorer shares this process). False when nothing was published.
    /// </summary>
    public static async Task<bool> AnnounceAsync(MessagingOptions messaging, ModelPromoted promoted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messaging);
        if (messaging.Transport != MessagingTransport.RabbitMq)
        {
            return false;
        }

        var services = new ServiceCollection();
        services.AddMassTransit(x => UseTransport(x, messaging));
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync(cancellationToken);
        try
        {
            await bus.Publish(promoted, cancellationToken);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }

        return true;
    }

    /// <summary>The send address of the trainer queue; declares the queue exactly as the trainers' receive endpoint does.</summary>
    public static Uri RetrainAddress(MessagingTransport transport) => transport == MessagingTransport.RabbitMq
        ? new Uri($"queue:{RetrainQueue}?singleactiveconsumer=true")
        : new Uri($"queue:{RetrainQueue}");
}

/// <summary>
/// Runs the retraining jobs this trainer receives, one at a time: skips a job that is no longer queued (a duplicate
/// submission of the same tick, a job canceled while queued, a redelivery after the trainer running it died), records
/// each attempt (started, heartbeats, finished/failed/canceled) in <c>retrain_job_events</c>, retries a failed attempt
/// up to <c>Models:Retries</c> times, and publishes <see cref="ModelPromoted"/> on a promotion.
/// </summary>
public sealed class RetrainConsumer(TrainingService training, RetrainJobs jobs, RetrainRunner runner, ModelsOptions options, TimeProvider time, ILogger<RetrainConsumer> log) : IConsumer<RetrainModel>
{
    public async Task Consume(ConsumeContext<RetrainModel> context)
    {
        var job = context.Message;
        var stopping = context.CancellationToken;
        var status = await jobs.StatusAsync(job.JobId, stopping);
        if (status is null)
        {
            await jobs.AppendAsync(new RetrainJobEvent(job.JobId, Now, RetrainJobState.Submitted, job.Trigger, job.RequestedBy), stopping);
        }
        else if (status.State != RetrainJobState.Queued)
        {
            if (status.State == RetrainJobState.Running && context.ReceiveContext.Redelivered)
            {
                // The broker handed the job back because the trainer holding it went away: that run is lost.
                await jobs.AppendAsync(new RetrainJobEvent(job.JobId, Now, RetrainJobState.Failed, Attempt: status.RetryAttempt, RunId: status.RunId ?? "",
                    RunStatus: RetrainJobState.Lost, Reason: $"the trainer {status.Owner} stopped during the run (its job was redelivered)"), CancellationToken.None);
            }

            Log.JobSkipped(log, job.JobId, status.State);
            return;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        runner.Register(job.JobId, cancel);
        string? runId = null;
        var attempt = 0;
        using var beat = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var heartbeat = HeartbeatAsync(job.JobId, () => (runId, attempt), cancel, beat.Token);
        try
        {
            for (; ; attempt++)
            {
                runId = RetrainJobState.RunId(job.JobId, attempt);
                await jobs.AppendAsync(new RetrainJobEvent(job.JobId, Now, RetrainJobState.Started, Attempt: attempt, RunId: runId, Owner: ControlPlane.ProcessName), stopping);
                Log.JobStarted(log, job.JobId, job.Trigger, attempt);
                try
                {
                    var result = await training.RunAsync(job.Trigger, cancel.Token, runId: runId);
                    jobs.Completed(job.JobId, result);
                    // Scorers first: the promotion is already in the registry.
                    if (result.Status == "promoted" && result.Version is { } version)
                    {
                        await context.Publish(new ModelPromoted(training.Store.ModelName, version, result.PreviousChampion ?? "", result.RunId), CancellationToken.None);
                    }

                    var kind = result.Status is "promoted" or "refused" ? RetrainJobState.Finished : RetrainJobState.Failed;
                    await jobs.AppendAsync(new RetrainJobEvent(job.JobId, Now, kind, Attempt: attempt, RunId: runId, RunStatus: result.Status, Version: result.Version ?? "", Reason: result.Error ?? result.Gate?.Reason ?? ""), CancellationToken.None);

                    return;
                }
                catch (Exception e) when (cancel.IsCancellationRequested)
                {
                    var why = runner.ReasonFor(job.JobId) ?? (stopping.IsCancellationRequested ? "the trainer stopped" : "canceled");
                    var kind = stopping.IsCancellationRequested && runner.ReasonFor(job.JobId) is null ? RetrainJobState.Failed : RetrainJobState.Canceled;
                    Log.JobEnded(log, e, job.JobId, kind, why);
                    await jobs.AppendAsync(new RetrainJobEvent(job.JobId, Now, kind, Attempt: attempt, RunId: runId, RunStatus: kind, Reason: why), CancellationToken.None);
                    return;
                }
                catch (Exception e) when (attempt < options.Retries)
                {
                    Log.JobRetrying(log, e, job.JobId, attempt, e.Message);
                    try
                    {
                        await Task.Delay(options.RetryDelay, time, cancel.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        await jobs.AppendAsync(new RetrainJobEvent(job.JobId, Now, RetrainJobState.Canceled, Attempt: attempt, RunId: runId, Reason: runner.ReasonFor(job.JobId) ?? "canceled"), CancellationToken.None);
                        return;
                    }
                }
                catch (Exception e)
                {
                    Log.JobEnded(log, e, job.JobId, RetrainJobState.Failed, e.Message);
                    await jobs.AppendAsync(new RetrainJobEvent(job.JobId, Now, RetrainJobState.Failed, Attempt: attempt, RunId: runId, RunStatus: RetrainJobState.Failed, Reason: e.Message), CancellationToken.None);
                    return;
                }
            }
        }
        finally
        {
            await beat.CancelAsync();
            await heartbeat;
            runner.Unregister(job.JobId);
        }
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Records that the run is alive; cancels it when the job was canceled or declared lost elsewhere.</summary>
    private async Task HeartbeatAsync(Guid jobId, Func<(string? RunId, int Attempt)> current, CancellationTokenSource run, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.JobHeartbeatInterval, time, stop);
                var (runId, attempt) = current();
                await jobs.AppendAsync(new RetrainJobEvent(jobId, Now, RetrainJobState.Heartbeat, Attempt: attempt, RunId: runId ?? "", Owner: ControlPlane.ProcessName), stop);
                if (await jobs.StatusAsync(jobId, stop) is { } status && (status.CancelRequested || RetrainJobState.IsTerminal(status.State)))
                {
                    runner.Cancel(jobId, status.CancelRequested ? status.Reason ?? "canceled" : $"the job is {status.State} elsewhere: {status.Reason}");
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // ClickHouse unreachable for a moment: the next beat tries again (the lease allows a missed one).
                Log.HeartbeatFailed(log, e, jobId, e.Message);
            }
        }
    }
}

/// <summary>The runs this process holds, so a <see cref="CancelRetrain"/> can stop them.</summary>
public sealed class RetrainRunner
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<Guid, string> _reasons = new();

    internal void Register(Guid jobId, CancellationTokenSource cancel) => _running[jobId] = cancel;

    internal void Unregister(Guid jobId)
    {
        _running.TryRemove(jobId, out _);
        _reasons.TryRemove(jobId, out _);
    }

    internal string? ReasonFor(Guid jobId) => _reasons.GetValueOrDefault(jobId);

    /// <summary>Cancels the job's run if this process holds it; true when it did.</summary>
    public bool Cancel(Guid jobId, string reason)
    {
        if (!_running.TryGetValue(jobId, out var cancel))
        {
            return false;
        }

        _reasons.TryAdd(jobId, reason);
        try
        {
            cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended meanwhile.
        }

        return true;
    }
}

/// <summary>Stops a run this trainer holds when any gateway cancels its job.</summary>
public sealed class CancelRetrainConsumer(RetrainRunner runner) : IConsumer<CancelRetrain>
{
    public Task Consume(ConsumeContext<CancelRetrain> context)
    {
        runner.Cancel(context.Message.JobId, context.Message.Reason);
        return Task.CompletedTask;
    }
}

/// <summary>Reloads the scorer when any process changed the champion.</summary>
public sealed class ModelPromotedConsumer(ModelServer server) : IConsumer<ModelPromoted>
{
    public Task Consume(ConsumeContext<ModelPromoted> context) => server.OnPromotedAsync(context.Message, context.SentTime, context.CancellationToken);
}

/// <summary>
/// Submits, inspects and cancels retraining jobs. The state lives in ClickHouse (<c>retrain_job_events</c>), so any
/// process answers for any job; the work goes to the trainer queue.
/// </summary>
public sealed class RetrainJobs(IBus bus, RetrainJobStore store, ModelsOptions options, MessagingOptions messaging, TimeProvider time, ILogger<RetrainJobs> log)
{
    private readonly ConcurrentDictionary<Guid, TrainingResult> _results = new();

    public RetrainJobStore Store => store;

    /// <summary>Records the job as queued and sends it to the trainers; <paramref name="jobId"/> fixes the id of a deterministic submission.</summary>
    public async Task<Guid> SubmitAsync(string trigger, string requestedBy, CancellationToken cancellationToken, Guid? jobId = null)
    {
        var id = jobId ?? NewId.NextGuid();
        await store.AppendAsync(new RetrainJobEvent(id, time.GetUtcNow().UtcDateTime, RetrainJobState.Submitted, trigger, requestedBy), cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(messaging.SendTimeout);
            var endpoint = await bus.GetSendEndpoint(ControlPlane.RetrainAddress(messaging.Transport));
            await endpoint.Send(new RetrainModel(id, trigger, requestedBy), timeout.Token);
        }
        catch (Exception e)
        {
            // A job no trainer will ever see must not stay queued (it would hold back the triggers).
            await store.AppendAsync(new RetrainJobEvent(id, time.GetUtcNow().UtcDateTime, RetrainJobState.Failed, RunStatus: RetrainJobState.Failed,
                Reason: $"could not send the job to the trainer queue: {e.Message}"), CancellationToken.None);
            throw new ControlPlaneUnavailableException($"The retraining job could not be sent to the trainers ({messaging.Transport}): {e.Message}", e);
        }

        return id;
    }

    /// <summary>
    /// Cancels a job: a queued one is canceled at once (the trainer skips it), a running one is asked to stop (every
    /// trainer hears it on the bus; its heartbeat also reads the request). Null when the job is unknown.
    /// </summary>
    public async Task<RetrainJobStatus?> CancelAsync(Guid jobId, string reason, CancellationToken cancellationToken)
    {
        var status = await StatusAsync(jobId, cancellationToken);
        if (status is null || RetrainJobState.IsTerminal(status.State))
        {
            return status;
        }

        var now = time.GetUtcNow().UtcDateTime;
        await store.AppendAsync(status.State == RetrainJobState.Queued
            ? new RetrainJobEvent(jobId, now, RetrainJobState.Canceled, Reason: reason)
            : new RetrainJobEvent(jobId, now, RetrainJobState.CancelRequested, Reason: reason), cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(messaging.SendTimeout);
            await bus.Publish(new CancelRetrain(jobId, reason), timeout.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Broker unreachable or too slow (Messaging:SendTimeout): the request is recorded, and the trainer's
            // heartbeat reads it and stops the run within one beat.
            Log.CancelNotPublished(log, e, jobId, e.Message);
        }

        return await StatusAsync(jobId, cancellationToken);
    }

    public async Task<RetrainJobStatus?> StatusAsync(Guid jobId, CancellationToken cancellationToken) =>
        RetrainJobState.Fold(await store.EventsAsync(jobId, cancellationToken), time.GetUtcNow().UtcDateTime, options.JobLease);

    public async Task<List<RetrainJobStatus>> RecentAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return [.. (await store.RecentAsync(20, cancellationToken)).Select(events => RetrainJobState.Fold(events, now, options.JobLease)!)];
    }

    /// <summary>The jobs not yet finished, failed or canceled (a lost run counts as failed).</summary>
    public async Task<List<RetrainJobStatus>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return [.. (await store.UnfinishedAsync(TimeSpan.FromDays(2), cancellationToken))
            .Select(events => RetrainJobState.Fold(events, now, options.JobLease)!)];
    }

    /// <summary>True while any job in the cluster is queued or running (the triggers do not pile up jobs).</summary>
    public async Task<bool> AnyActiveAsync(CancellationToken cancellationToken) =>
        (await UnfinishedAsync(cancellationToken)).Any(s => !RetrainJobState.IsTerminal(s.State));

    internal Task AppendAsync(RetrainJobEvent e, CancellationToken cancellationToken) => store.AppendAsync(e, cancellationToken);

    internal void Completed(Guid jobId, TrainingResult result) => _results[jobId] = result;

    /// <summary>The run a job finished with, when this process ran it.</summary>
    public TrainingResult? Result(Guid jobId) => _results.GetValueOrDefault(jobId);
}

/// <summary>
/// Records as failed (run status <c>lost</c>) every running job whose trainer sent no heartbeat within
/// <c>Models:JobLease</c>: the trainer died (SIGKILL, out of memory, node lost). Runs in every process of the job
/// service; two processes recording the same loss is harmless (the first terminal event wins).
/// </summary>
public sealed class RetrainLeaseSweeper(RetrainJobs jobs, ModelsOptions options, TimeProvider time, ILogger<RetrainLeaseSweeper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.JobHeartbeatInterval, time, stoppingToken);
                foreach (var lost in (await jobs.UnfinishedAsync(stoppingToken)).Where(s => s.RunStatus == RetrainJobState.Lost))
                {
                    Log.JobLost(log, lost.JobId, lost.Reason ?? "");
                    await jobs.AppendAsync(new RetrainJobEvent(lost.JobId, time.GetUtcNow().UtcDateTime, RetrainJobState.Failed, Attempt: lost.RetryAttempt,
                        RunId: lost.RunId ?? "", RunStatus: RetrainJobState.Lost, Reason: lost.Reason ?? ""), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.TriggerFailed(log, e, e.Message);
            }
        }
    }
}

/// <summary>
/// The automatic triggers: the recurring cron schedule (<c>Models:Schedule</c>, UTC) and "at least
/// <c>Models:NewLabelsTrigger</c> labels computed since the last model's data was pinned". Neither submits while a job
/// is queued or running anywhere in the cluster. Both submit under a deterministic job id (the tick; the pinned instant
/// the label count started from), so every process running the triggers submits the same job and it runs once.
/// </summary>
public sealed class RetrainTriggers(RetrainJobs jobs, ModelStore store, ModelsOptions options, TimeProvider time, ILogger<RetrainTriggers> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cron = options.ScheduleEnabled ? ParseSchedule(options.Schedule) : null;
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
                if (next is { } tick && now >= tick)
                {
                    next = cron!.GetNextOccurrence(now);
                    await SubmitUnlessBusyAsync("schedule", tick, stoppingToken);
                }
                else if (options.NewLabelsTrigger > 0)
                {
                    var since = await store.LastPinnedAtAsync(stoppingToken) ?? DateTime.UnixEpoch;
                    var fresh = await store.LabelsComputedSinceAsync(since, stoppingToken);
                    if (fresh >= options.NewLabelsTrigger)
                    {
                        // Every process polling in the same window derives the same job.
                        var window = new DateTime(now.Ticks - (now.Ticks % options.TriggerPollInterval.Ticks), DateTimeKind.Utc);
                        await SubmitUnlessBusyAsync("new_labels", window, stoppingToken, $"{fresh} labels since {since:o}");
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
                wait = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(20).Ticks, (at - time.GetUtcNow().UtcDateTime).Ticks));
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

    /// <summary>Five fields, or six with seconds first.</summary>
    public static CronExpression ParseSchedule(string schedule) =>
        CronExpression.Parse(schedule, schedule.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);

    private async Task SubmitUnlessBusyAsync(string trigger, DateTime key, CancellationToken cancellationToken, string? why = null)
    {
        var id = RetrainJobState.DeterministicJobId(store.ModelName, trigger, key);
        if (await jobs.StatusAsync(id, cancellationToken) is not null)
        {
            // Another process submitted this tick already.
            return;
        }

        if (await jobs.AnyActiveAsync(cancellationToken))
        {
            Log.TriggerSkipped(log, trigger);
            return;
        }

        await jobs.SubmitAsync(trigger, "triggers", cancellationToken, id);
        Log.TriggerSubmitted(log, id, trigger, why ?? string.Empty);
    }
}
