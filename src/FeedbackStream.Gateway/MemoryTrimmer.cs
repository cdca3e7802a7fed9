using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Gateway;

/// <summary>
/// Gives memory back after a burst. Buffers of large requests end up in the runtime's shared array pool (JSON
/// documents rent there) and in a heap that grew for the burst; both are released only by a full garbage collection,
/// which an idle process never triggers by itself. Once the process has allocated little for
/// <see cref="GatewayOptions.IdleMemoryTrimAfter"/> after allocating a lot, this runs one compacting collection that
/// also lets the pools drop what they keep. At most once per quiet period; never while requests flow.
/// </summary>
public sealed partial class MemoryTrimmer(IOptions<GatewayOptions> options, TimeProvider time, ILogger<MemoryTrimmer> logger) : BackgroundService
{
    /// <summary>Allocation per check below which the process counts as idle.</summary>
    private const long IdleBytesPerCheck = 16L * 1024 * 1024;

    /// <summary>Allocation since the last trim above which a trim is worth it.</summary>
    private const long BusyBytes = 256L * 1024 * 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var quietFor = options.Value.IdleMemoryTrimAfter;
        if (quietFor <= TimeSpan.Zero)
        {
            return;
        }

        var check = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, quietFor.Ticks / 3));
        var lastTrimAllocated = GC.GetTotalAllocatedBytes();
        var previous = lastTrimAllocated;
        var quiet = TimeSpan.Zero;
        using var timer = new PeriodicTimer(check, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var allocated = GC.GetTotalAllocatedBytes();
            quiet = allocated - previous < IdleBytesPerCheck ? quiet + check : TimeSpan.Zero;
            previous = allocated;
            if (quiet < quietFor || allocated - lastTrimAllocated < BusyBytes)
            {
                continue;
            }

            var before = Environment.WorkingSet;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            lastTrimAllocated = GC.GetTotalAllocatedBytes();
            LogTrimmed(before / (1024 * 1024), Environment.WorkingSet / (1024 * 1024));
        }
    }

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Idle after a burst: memory trimmed, working set {BeforeMiB} MiB -> {AfterMiB} MiB")]
    private partial void LogTrimmed(long beforeMiB, long afterMiB);
}
