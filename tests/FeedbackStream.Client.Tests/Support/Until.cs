using System.Diagnostics;

namespace FeedbackStream.Client.Tests.Support;

/// <summary>Waits on a condition with a real-time deadline (the work under test runs on the client's own task).</summary>
internal static class Until
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > Deadline)
            {
                Assert.Fail($"Timed out after {Deadline} waiting until {what}.");
            }

            await Task.Delay(2, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits until a timer due exactly <paramref name="due"/> from now is armed, e.g. a backoff delay or the flush interval.</summary>
    public static Task TimerArmedAsync(ManualTimeProvider time, TimeSpan due) =>
        TrueAsync(() => time.PendingTimers.Contains(due), $"a timer due in {due} is armed (armed: {string.Join(", ", time.PendingTimers)})");

    /// <summary>Awaits <paramref name="task"/> with the deadline.</summary>
    public static async Task<T> DoneAsync<T>(Task<T> task, string what)
    {
        await CompletesAsync(task, what);
        return await task;
    }

    /// <summary>Awaits <paramref name="task"/> with the deadline.</summary>
    public static async Task CompletesAsync(Task task, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(Deadline, TestContext.Current.CancellationToken)) != task)
        {
            Assert.Fail($"Timed out after {Deadline} waiting until {what}.");
        }

        await task;
    }
}

/// <summary>A <see cref="Random"/> whose draws are fixed, to make jittered delays exact.</summary>
internal sealed class FixedRandom(double value) : Random
{
    public override double NextDouble() => value;
}
