using System.Reflection;
using System.Runtime.InteropServices;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>
/// Finds and loads <c>libchdb.so</c> (ClickHouse built as a shared library, npm package
/// <c>@chdb/lib-linux-x64-gnu</c>), which <c>scripts/setup.sh</c> installs into a per-user cache folder.
/// </summary>
public static class ChDbLibrary
{
    /// <summary>The chDB package version that scripts/setup.sh installs.</summary>
    public const string PackageVersion = "26.5.3";

    /// <summary>Environment variable naming the library file directly.</summary>
    public const string LibraryPathVariable = "FEEDBACKSTREAM_CHDB_LIBRARY";

    /// <summary>Environment variable naming the engines cache folder (same as scripts/setup.sh).</summary>
    public const string EnginesDirVariable = "FEEDBACKSTREAM_ENGINES_DIR";

    internal const string ImportName = "chdb";

    private static readonly Lock Gate = new();
    private static string? s_configuredPath;
    private static nint s_handle;
    private static bool s_resolverSet;

    /// <summary>The default engines folder: $FEEDBACKSTREAM_ENGINES_DIR, else $XDG_CACHE_HOME or ~/.cache, then feedbackstream/engines.</summary>
    public static string DefaultEnginesDirectory()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnginesDirVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return fromEnv;
        }

        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrWhiteSpace(cache))
        {
            cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }

        return Path.Combine(cache, "feedbackstream", "engines");
    }

    /// <summary>Where the library is looked for, in order: an explicit path, $FEEDBACKSTREAM_CHDB_LIBRARY, the engines cache.</summary>
    public static string ResolvePath(string? explicitPath = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return explicitPath;
        }

        var fromEnv = Environment.GetEnvironmentVariable(LibraryPathVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return fromEnv;
        }

        return Path.Combine(DefaultEnginesDirectory(), $"chdb-{PackageVersion}", "node_modules", "@chdb", "lib-linux-x64-gnu", "libchdb.so");
    }

    /// <summary>Loads the library once per process. Later calls with another path fail: one library per process.</summary>
    public static void EnsureLoaded(string? explicitPath = null)
    {
        lock (Gate)
        {
            var path = Path.GetFullPath(ResolvePath(explicitPath));
            if (s_handle != 0)
            {
                if (!string.Equals(path, s_configuredPath, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"libchdb is already loaded from '{s_configuredPath}'; cannot load a second copy from '{path}'.");
                }

                return;
            }

            if (!File.Exists(path))
            {
                throw new EngineNotInstalledException(
                    $"The chDB engine library was not found at '{path}'. Run scripts/setup.sh (it installs @chdb/lib-linux-x64-gnu@{PackageVersion}), " +
                    $"or set {LibraryPathVariable} to the file.", path);
            }

            s_handle = NativeLibrary.Load(path);
            s_configuredPath = path;
            if (!s_resolverSet)
            {
                NativeLibrary.SetDllImportResolver(typeof(ChDbLibrary).Assembly, Resolve);
                s_resolverSet = true;
            }
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == ImportName ? s_handle : 0;
}
