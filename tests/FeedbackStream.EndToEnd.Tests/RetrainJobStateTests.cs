using FeedbackStream.Models;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>The retraining job's state machine as a fold of its events (pure; no engine).</summary>
public sealed class RetrainJobStateTests
{
    private static readonly Guid Job = Guid.Parse("0b7c9e52-3d7f-4a43-9d57-6f7b0b3c2a11");
    private static readonly DateTime T0 = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static RetrainJobEvent At(int seconds, string kind, int attempt = 0, string runId = "", string reason = "", string runStatus = "", string version = "") =>
        new(Job, T0.AddSeconds(seconds), kind, kind == RetrainJobState.Submitted ? "schedule" : "", kind == RetrainJobState.Submitted ? "triggers" : "", attempt, runId, kind is "started" or "heartbeat" ? "host/1" : "", runStatus, version, reason);

    [Fact]
    public void NoEvents_IsUnknown() => Assert.Null(RetrainJobState.Fold([], T0, Lease));

    [Fact]
    public void Submitted_IsQueued_TwiceSubmittedIsStillOneJob()
    {
        var status = RetrainJobState.Fold([At(0, "submitted"), At(1, "submitted")], T0.AddSeconds(2), Lease)!;
        Assert.Equal("queued", status.State);
        Assert.Equal("schedule", status.Trigger);
        Assert.Equal(T0, status.SubmittedAt);
    }

    [Fact]
    public void Started_WithFreshHeartbeat_IsRunningWithItsRunId()
    {
        var status = RetrainJobState.Fold([At(0, "submitted"), At(1, "started", runId: "r0"), At(20, "heartbeat", runId: "r0")], T0.AddSeconds(45), Lease)!;
        Assert.Equal("running", status.State);
        Assert.Equal("r0", status.RunId);
        Assert.Equal("host/1", status.Owner);
        Assert.Equal(T0.AddSeconds(20), status.HeartbeatAt);
    }

    [Fact]
    public void Running_WithoutHeartbeatForLongerThanTheLease_IsFailedLost()
    {
        var status = RetrainJobState.Fold([At(0, "submitted"), At(1, "started", runId: "r0"), At(5, "heartbeat", runId: "r0")], T0.AddSeconds(36), Lease)!;
        Assert.Equal("failed", status.State);
        Assert.Equal("lost", status.RunStatus);
        Assert.Contains("no heartbeat since", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FirstTerminalEventWins_ALateFinishAfterALossStaysFailed()
    {
        var status = RetrainJobState.Fold(
            [At(0, "submitted"), At(1, "started", runId: "r0"), At(40, "failed", runId: "r0", runStatus: "lost", reason: "lost"), At(50, "finished", runId: "r0", runStatus: "promoted", version: "v1")],
            T0.AddSeconds(60), Lease)!;
        Assert.Equal("failed", status.State);
        Assert.Null(status.Version);
    }

    [Fact]
    public void CancelRequested_KeepsRunningUntilTheTrainerStops_ThenCanceled()
    {
        var requested = RetrainJobState.Fold([At(0, "submitted"), At(1, "started", runId: "r0"), At(2, "cancel_requested", reason: "canceled by ops")], T0.AddSeconds(3), Lease)!;
        Assert.Equal("running", requested.State);
        Assert.True(requested.CancelRequested);
        var done = RetrainJobState.Fold([At(0, "submitted"), At(1, "started", runId: "r0"), At(2, "cancel_requested", reason: "canceled by ops"), At(3, "canceled", runId: "r0", reason: "canceled by ops")], T0.AddSeconds(4), Lease)!;
        Assert.Equal("canceled", done.State);
        Assert.Equal("r0", done.RunId);
        Assert.Equal("canceled by ops", done.Reason);
    }

    [Fact]
    public void Retry_ReportsTheLatestAttemptAndItsRunId()
    {
        var status = RetrainJobState.Fold(
            [At(0, "submitted"), At(1, "started", 0, "r0"), At(20, "started", 1, "r0-1"), At(30, "finished", 1, "r0-1", runStatus: "refused", version: "v2")],
            T0.AddSeconds(31), Lease)!;
        Assert.Equal("finished", status.State);
        Assert.Equal(1, status.RetryAttempt);
        Assert.Equal("r0-1", status.RunId);
        Assert.Equal("refused", status.RunStatus);
        Assert.Equal("v2", status.Version);
    }

    [Fact]
    public void DeterministicJobId_IsTheSameForTheSameTick_AndDiffersAcrossTicksAndModels()
    {
        var tick = new DateTime(2026, 11, 30, 3, 0, 0, DateTimeKind.Utc);
        Assert.Equal(RetrainJobState.DeterministicJobId("plove", "schedule", tick), RetrainJobState.DeterministicJobId("plove", "schedule", tick));
        Assert.NotEqual(RetrainJobState.DeterministicJobId("plove", "schedule", tick), RetrainJobState.DeterministicJobId("plove", "schedule", tick.AddSeconds(1)));
        Assert.NotEqual(RetrainJobState.DeterministicJobId("plove", "schedule", tick), RetrainJobState.DeterministicJobId("other", "schedule", tick));
    }

    [Fact]
    public void SixFieldSchedule_HasSeconds()
    {
        var cron = RetrainTriggers.ParseSchedule("*/5 * * * * *");
        Assert.Equal(T0.AddSeconds(5), cron.GetNextOccurrence(T0));
        Assert.Equal(T0.AddHours(3), RetrainTriggers.ParseSchedule("0 15 * * *").GetNextOccurrence(T0));
    }
}
