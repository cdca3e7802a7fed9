using System.Reflection;
using System.Runtime.InteropServices;

namespace FeedbackStream.EmbeddedKafka.Native;

/// <summary>
/// Resolves "librdkafka" for this assembly's imports to the very copy Confluent.Kafka loaded.
/// </summary>
/// <remarks>
/// Default probing through deps.json is not enough: librdkafka.redist's generic linux-x64
/// librdkafka.so needs libsasl2.so.3, which a slim Debian lacks (measured: the load fails), and
/// Confluent.Kafka then falls back to the self-contained centos8-librdkafka.so of the same
/// package. So this resolver lets Confluent.Kafka load first, then reuses the file it mapped
/// (read from /proc/self/maps on Linux); loading the same path again returns the same handle.
/// Elsewhere it falls back to default probing and the package's runtimes folders.
/// </remarks>
internal static class NativeLibraryResolver
{
    private static readonly Lock Gate = new();
    private static bool s_registered;

    /// <summary>
    /// Registers the resolver; returns only once it is in place, so a concurrent first call can never reach a
    /// P/Invoke before the resolver exists (which would fall back to default probing and the wrong library).
    /// </summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (!s_registered)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
                s_registered = true;
            }
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibRdKafka.LibraryName)
        {
            return 0;
        }

        // Reading the version makes Confluent.Kafka load its native library (once per process).
        _ = Confluent.Kafka.Library.Version;
        var loaded = FindLoadedLibrary();
        if (loaded is not null && NativeLibrary.TryLoad(loaded, out var handle))
        {
            return handle;
        }

        if (NativeLibrary.TryLoad(libraryName, assembly, searchPath, out handle))
        {
            return handle;
        }

        foreach (var candidate in Candidates())
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out handle))
            {
                return handle;
            }
        }

        return NativeLibrary.TryLoad("librdkafka.so.1", out handle) ? handle : 0;
    }

    /// <summary>The path of the librdkafka shared object mapped into this process, if any (Linux).</summary>
    internal static string? FindLoadedLibrary()
    {
        const string Maps = "/proc/self/maps";
        if (!OperatingSystem.IsLinux() || !File.Exists(Maps))
        {
            return null;
        }

        foreach (var line in File.ReadLines(Maps))
        {
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                continue;
            }

            var path = line[slash..].Trim();
            var name = Path.GetFileName(path);
            if (name.EndsWith("librdkafka.so", StringComparison.Ordinal) || name.StartsWith("librdkafka.so.", StringComparison.Ordinal))
            {
                return path;
            }
        }

        return null;
    }

    private static IEnumerable<string> Candidates()
    {
        var rid = RuntimeInformation.RuntimeIdentifier;
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var file = OperatingSystem.IsWindows() ? "librdkafka.dll" : OperatingSystem.IsMacOS() ? "librdkafka.dylib" : "librdkafka.so";
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string?[] folders =
        [
            AppContext.BaseDirectory,
            Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location),
            Path.GetDirectoryName(typeof(Confluent.Kafka.Library).Assembly.Location),
        ];
        foreach (var folder in folders)
        {
            if (string.IsNullOrEmpty(folder))
            {
                continue;
            }

            foreach (var variant in new[] { file, "centos8-" + file })
            {
                yield return Path.Combine(folder, variant);
                yield return Path.Combine(folder, "runtimes", rid, "native", variant);
                yield return Path.Combine(folder, "runtimes", $"{os}-{arch}", "native", variant);
            }
        }
    }
}
