using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using ClickHouse.Driver;
using FeedbackStream.Hosting;
using FeedbackStream.Storage;
using Spectre.Console;

namespace FeedbackStream.Benchmarks;

/// <summary>What the <c>--peer</c> benchmarks share: the ClickHouse server process, migrations, medians, and perf.</summary>
internal static class PeerEngines
{
    public const string Database = "bench";

    /// <summary>
    /// Idle time given to a warmed-up process before it is timed: tiered compilation waits for a quiet spell without new
    /// first-tier compilations before it counts calls and compiles the optimized versions in the background.
    /// </summary>
    public static readonly TimeSpan TieringPause = TimeSpan.FromSeconds(2);

    /// <summary>Starts <c>clickhouse serve</c> on a free loopback port with a fresh password; returns it and its connection string.</summary>
    public static async Task<(ChildProcess Process, string ConnectionString)> StartClickHouseAsync(List<ChildProcess> children, string dataPath, string? perfDirectory, bool verbose, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>(ProfileEnvironment(perfDirectory) ?? new Dictionary<string, string>())
        {
            ["FEEDBACKSTREAM_ClickHouse__HttpPassword"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
        };
        var child = ChildProcess.Start(
            "clickhouse",
            ["clickhouse", "serve", "--port", "0", "--data", Path.Combine(dataPath, "clickhouse"), "--json"],
            environment,
            verbose);
        children.Add(child);
        var ready = await child.ReadJsonAsync(TimeSpan.FromSeconds(120), cancellationToken);
        return (child, ready.GetProperty("connection_string").GetString()!);
    }

    public static ClickHouseClient Client(string connectionString, string database) =>
        new(new ClickHouse.Driver.ADO.ClickHouseClientSettings(connectionString) { Database = database });

    public static async Task MigrateAsync(string connectionString, string database, CancellationToken cancellationToken)
    {
        using var admin = Client(connectionString, "default");
        await new Migrator(admin, database).MigrateAsync(cancellationToken);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var middle = sorted.Length / 2;
        return Stats.Round(sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2);
    }

    /// <summary>Environment for a process to be profiled with perf: the JIT writes /tmp/perf-PID.map so managed frames get names.</summary>
    public static IReadOnlyDictionary<string, string>? ProfileEnvironment(string? perfDirectory) => perfDirectory is null
        ? null
        : new Dictionary<string, string> { ["DOTNET_PerfMapEnabled"] = "1", ["DOTNET_EnableWriteXorExecute"] = "0" };

    /// <summary>Starts <c>perf record -g</c> on <paramref name="pid"/>, writing <paramref name="name"/>.perf.data into <paramref name="directory"/>.</summary>
    public static Process StartPerf(string directory, string name, int pid)
    {
        Directory.CreateDirectory(directory);
        var output = Path.Combine(directory, $"{name}.perf.data");
        var start = new ProcessStartInfo("perf")
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList = { "record", "-F", "499", "-g", "-o", output, "-p", pid.ToString(CultureInfo.InvariantCulture) },
        };
        var perf = Process.Start(start) ?? throw new InvalidOperationException("could not start perf");
        perf.OutputDataReceived += (_, _) => { };
        perf.ErrorDataReceived += (_, _) => { };
        perf.BeginOutputReadLine();
        perf.BeginErrorReadLine();
        AnsiConsole.MarkupLine($"[grey]perf record on {name} (pid {pid}) into {output.EscapeMarkup()}[/]");
        return perf;
    }

    /// <summary>Stops perf with SIGINT (it then writes its file) and waits, bounded, for it to exit.</summary>
    public static async Task StopPerfAsync(Process perf)
    {
        try
        {
            if (!perf.HasExited)
            {
                using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", perf.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
                kill?.WaitForExit();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await perf.WaitForExitAsync(wait.Token);
            }
        }
        catch (OperationCanceledException)
        {
            perf.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already stopped and disposed.
        }
    }
}
