using System.Runtime.InteropServices;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>
/// chDB installs its own handlers for SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL, SIGTRAP, SIGTSTP, SIGSYS
/// and SIGRTMIN when it connects. The .NET runtime relies on its own handlers for these (null references
/// become NullReferenceException through SIGSEGV; GC thread suspension uses SIGRTMIN), so after chDB
/// replaced them a managed NullReferenceException hangs or kills the process.
/// <c>chdb_set_signal_handlers_enabled(0)</c> does not prevent it. This guard snapshots every signal's
/// disposition before the engine starts and puts back any that changed afterwards.
/// </summary>
internal static unsafe partial class SignalHandlerGuard
{
    // struct sigaction is 152 bytes on x86_64 glibc; a larger buffer keeps us safe on other layouts.
    private const int SigactionBufferBytes = 512;
    private const int SigKill = 9;
    private const int SigStop = 19;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sigaction(int signal, byte* action, byte* oldAction);

    [LibraryImport("libc")]
    private static partial int __libc_current_sigrtmax();

    [LibraryImport("libc")]
    private static partial int __libc_current_sigrtmin();

    /// <summary>A saved disposition of every catchable signal.</summary>
    internal sealed class Snapshot
    {
        private readonly Dictionary<int, byte[]> _saved;

        internal Snapshot(Dictionary<int, byte[]> saved) => _saved = saved;

        /// <summary>Puts back every disposition that differs from the snapshot; returns the signals restored.</summary>
        internal IReadOnlyList<int> RestoreChanged()
        {
            var restored = new List<int>();
            var current = new byte[SigactionBufferBytes];
            foreach (var (signal, saved) in _saved)
            {
                fixed (byte* currentPtr = current)
                fixed (byte* savedPtr = saved)
                {
                    Array.Clear(current);
                    if (sigaction(signal, null, currentPtr) != 0)
                    {
                        continue;
                    }

                    if (SameDisposition(current, saved))
                    {
                        continue;
                    }

                    if (sigaction(signal, savedPtr, null) != 0)
                    {
                        throw new InvalidOperationException(
                            $"Could not restore the handler of signal {signal} after starting chDB (errno {Marshal.GetLastPInvokeError()}).");
                    }

                    restored.Add(signal);
                }
            }

            return restored;
        }
    }

    // glibc's struct sigaction on x86_64: handler at 0, sa_mask at 8 (the kernel fills only its first 8 bytes;
    // glibc leaves the rest of the 128-byte mask as it found it), flags at 136, restorer at 144.
    private static bool SameDisposition(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        a[..16].SequenceEqual(b[..16]) && a.Slice(136, 16).SequenceEqual(b.Slice(136, 16));

    /// <summary>Signals whose dispositions are saved: every standard signal and the glibc-visible real-time range.</summary>
    internal static IEnumerable<int> Signals()
    {
        var max = __libc_current_sigrtmax();
        for (var signal = 1; signal <= max; signal++)
        {
            if (signal is SigKill or SigStop)
            {
                continue;
            }

            // 32 and 33 are glibc's internal cancellation/setxid signals below SIGRTMIN; libc refuses them.
            if (signal > 31 && signal < __libc_current_sigrtmin())
            {
                continue;
            }

            yield return signal;
        }
    }

    internal static Snapshot Take()
    {
        var saved = new Dictionary<int, byte[]>();
        foreach (var signal in Signals())
        {
            var buffer = new byte[SigactionBufferBytes];
            fixed (byte* ptr = buffer)
            {
                if (sigaction(signal, null, ptr) == 0)
                {
                    saved[signal] = buffer;
                }
            }
        }

        return new Snapshot(saved);
    }
}
