using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FeedbackStream.Models;

/// <summary>One row of <c>retrain_job_events</c>: something that happened to a retraining job.</summary>
public sealed record RetrainJobEvent(
    Guid JobId,
    DateTime At,
    string Kind,
    string Trigger = "",
    string RequestedBy = "",
    int Attempt = 0,
    string RunId = "",
    string Owner = "",
    string RunStatus = "",
    string Version = "",
    string Reason = "");

/// <summary>A retraining job as every gateway reports it (the fold of its events).</summary>
public sealed record RetrainJobStatus(
    Guid JobId,
    string Trigger,
    string RequestedBy,
    DateTime SubmittedAt,
    string State,
    string? Reason,
    int RetryAttempt,
    string? Version,
    string? RunStatus,
    string? RunId,
    string? Owner,
    bool CancelRequested,
    DateTime? HeartbeatAt);

/// <summary>
/// The retraining job's state machine, as a pure fold over its events: <c>queued</c> (submitted) → <c>running</c>
/// (started, kept alive by heartbeats) → <c>finished</c> | <c>failed</c> | <c>canceled</c>. The first terminal event
/// wins; a running job whose owner sent no heartbeat for longer than the lease is <c>failed</c> with run status
/// <c>lost</c> (its process died or hangs).
/// </summary>
public static class RetrainJobState
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Finished = "finished";
    public const string Failed = "failed";
    public const string Canceled = "canceled";

    public const string Submitted = "submitted";
    public const string Started = "started";
    public const string Heartbeat = "heartbeat";
    public const string CancelRequested = "cancel_requested";

    /// <summary>Run status of a run whose process stopped answering.</summary>
    public const string Lost = "lost";

    public static bool IsTerminal(string state) => state is Finished or Failed or Canceled;

    /// <summary>The job's status at <paramref name="now"/>, or null when it has no events.</summary>
    public static RetrainJobStatus? Fold(IEnumerable<RetrainJobEvent> events, DateTime now, TimeSpan lease)
    {
        ArgumentNullException.ThrowIfNull(events);
        var ordered = events.OrderBy(e => e.At).ThenBy(e => Rank(e.Kind)).ToList();
        if (ordered.Count == 0)
        {
            return null;
        }

        var submitted = ordered.FirstOrDefault(e => e.Kind == Submitted) ?? ordered[0];
        var state = Queued;
        string? reason = null, version = null, runStatus = null, runId = null, owner = null;
        var attempt = 0;
        var cancel = false;
        DateTime? beat = null;
        foreach (var e in ordered)
        {
            if (IsTerminal(state))
            {
                break;
            }

            switch (e.Kind)
            {
                case Started:
                    state = Running;
                    attempt = e.Attempt;
                    runId = e.RunId;
                    owner = e.Owner;
                    beat = e.At;
                    break;
                case Heartbeat when e.RunId == runId:
                    beat = e.At;
                    break;
                case CancelRequested:
                    cancel = true;
                    reason = e.Reason;
                    break;
                case Finished or Failed or Canceled:
                    state = e.Kind;
                    reason = e.Reason.Length > 0 ? e.Reason : reason;
                    version = e.Version.Length > 0 ? e.Version : null;
                    runStatus = e.RunStatus.Length > 0 ? e.RunStatus : e.Kind;
                    runId = e.RunId.Length > 0 ? e.RunId : runId;
                    attempt = e.Kind == Canceled ? attempt : Math.Max(attempt, e.Attempt);
                    break;
            }
        }

        if (state == Running && beat is { } last && now - last > lease)
        {
            state = Failed;
            runStatus = Lost;
            reason = string.Create(CultureInfo.InvariantCulture, $"the trainer {owner} stopped answering: no heartbeat since {last:O} (lease {lease})");
        }

        return new RetrainJobStatus(submitted.JobId, submitted.Trigger, submitted.RequestedBy, submitted.At, state, reason, attempt, version, runStatus, runId, owner, cancel, beat);
    }

    /// <summary>
    /// The job id of a scheduled (or otherwise deterministic) submission: every process derives the same id from the
    /// same model, trigger and tick, so the cluster runs it once however many schedulers submitted it.
    /// </summary>
    public static Guid DeterministicJobId(string modelName, string trigger, DateTime tick)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"{modelName}|{trigger}|{tick.ToUniversalTime():O}");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x80); // version 8 (name-based, custom hash)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    /// <summary>The run id of one attempt (model_runs.run_id): the job id for the first, suffixed for retries.</summary>
    public static string RunId(Guid jobId, int attempt) =>
        attempt == 0 ? jobId.ToString("N") : string.Create(CultureInfo.InvariantCulture, $"{jobId:N}-{attempt}");

    private static int Rank(string kind) => kind switch
    {
        Submitted => 0,
        Started => 1,
        Heartbeat => 2,
        CancelRequested => 3,
        _ => 4,
    };
}
