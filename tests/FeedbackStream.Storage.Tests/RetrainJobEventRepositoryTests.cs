using FeedbackStream.Storage.Jobs;

namespace FeedbackStream.Storage.Tests;

/// <summary><c>retrain_job_events</c> through its repository on the real engine: columns by name, heartbeats folded, models apart.</summary>
public sealed class RetrainJobEventRepositoryTests(ClickHouseFixture clickHouse)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> Transports => TestDatabase.Transports;

    private static DateTime At(DateTime start, int seconds) => start.AddSeconds(seconds);

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task EventsOfAJob_ComeBackFieldForField_WithOnlyTheNewestHeartbeatOfEachRun(bool overHttp)
    {
        await using var db = await TestDatabase.CreateAsync(clickHouse, overHttp, Ct);
        var jobs = new RetrainJobEventRepository(db.Client, "plove");
        var job = Guid.NewGuid();
        var t0 = new DateTime(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc).AddTicks(1230);
        var submitted = new RetrainJobEventRow(job, t0, "submitted", "admin", "ops 'key'", 0, "", "", "", "", "");
        var started = new RetrainJobEventRow(job, At(t0, 1), "started", "", "", 1, "run-1", "host/42", "", "", "");
        var finished = new RetrainJobEventRow(job, At(t0, 30), "finished", "", "", 1, "run-1", "", "promoted", "v7", "");
        await jobs.AppendAsync(submitted, Ct);
        await jobs.AppendAsync(started, Ct);
        foreach (var s in new[] { 5, 15, 10 })
        {
            await jobs.AppendAsync(new RetrainJobEventRow(job, At(t0, s), "heartbeat", "", "", 1, "run-1", $"host/{s}", "", "", ""), Ct);
        }

        await jobs.AppendAsync(finished, Ct);
        // Another job, and the same job id under another model: never part of this job's events.
        await jobs.AppendAsync(new RetrainJobEventRow(Guid.NewGuid(), t0, "submitted", "schedule", "triggers", 0, "", "", "", "", ""), Ct);
        await new RetrainJobEventRepository(db.Client, "other-model").AppendAsync(submitted with { Trigger = "other" }, Ct);

        var events = (await jobs.EventsAsync(job, Ct)).OrderBy(e => e.At).ToList();

        Assert.Equal(
            [submitted, started, new RetrainJobEventRow(job, At(t0, 15), "heartbeat", "", "", 1, "run-1", events[2].Owner, "", "", ""), finished],
            events);
        Assert.StartsWith("host/", events[2].Owner, StringComparison.Ordinal);
        Assert.All(events, e => Assert.Equal(DateTimeKind.Utc, e.At.Kind));
        Assert.Empty(await jobs.EventsAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task Recent_IsNewestJobFirst_UpToTheLimit_AndUnfinished_LeavesOutJobsWithATerminalEvent()
    {
        await using var db = await TestDatabase.CreateAsync(clickHouse, false, Ct);
        var jobs = new RetrainJobEventRepository(db.Client, "plove");
        var now = DateTime.UtcNow;
        var (oldest, middle, newest) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await jobs.AppendAsync(new RetrainJobEventRow(oldest, now.AddMinutes(-30), "submitted", "schedule", "triggers", 0, "", "", "", "", ""), Ct);
        await jobs.AppendAsync(new RetrainJobEventRow(oldest, now.AddMinutes(-29), "failed", "", "", 0, "run-a", "", "failed", "", "out of memory"), Ct);
        await jobs.AppendAsync(new RetrainJobEventRow(middle, now.AddMinutes(-20), "submitted", "admin", "ops", 0, "", "", "", "", ""), Ct);
        await jobs.AppendAsync(new RetrainJobEventRow(middle, now.AddMinutes(-1), "heartbeat", "", "", 0, "run-b", "host/1", "", "", ""), Ct);
        await jobs.AppendAsync(new RetrainJobEventRow(newest, now.AddMinutes(-10), "submitted", "new_labels", "triggers", 0, "", "", "", "", ""), Ct);
        await jobs.AppendAsync(new RetrainJobEventRow(newest, now.AddMinutes(-9), "canceled", "", "", 0, "", "", "", "", "canceled by ops"), Ct);

        var recent = await jobs.RecentAsync(2, Ct);
        Assert.Equal([newest, middle], recent.Select(j => j.Select(e => e.JobId).Distinct().Single()));
        Assert.Equal(["canceled", "submitted"], recent[0].Select(e => e.Kind).Order(StringComparer.Ordinal));
        Assert.Equal(3, (await jobs.RecentAsync(10, Ct)).Count);

        var open = Assert.Single(await jobs.UnfinishedAsync(TimeSpan.FromHours(1), Ct));
        Assert.Equal(["heartbeat", "submitted"], open.Select(e => e.Kind).Order(StringComparer.Ordinal));
        Assert.All(open, e => Assert.Equal(middle, e.JobId));
        // Jobs quiet for longer than the window are not looked at.
        Assert.Empty(await jobs.UnfinishedAsync(TimeSpan.FromSeconds(30), Ct));
    }
}
