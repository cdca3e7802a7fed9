using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;

namespace FeedbackStream.Benchmarks;

/// <summary>
/// A component of a benchmark in its own process: this executable run with other arguments (<c>kafka serve</c>,
/// <c>clickhouse serve</c>, <c>serve --role ...</c>, a peer client). Its standard output is read line by line (the
/// JSON object it prints once ready), its standard error kept for the error message (or forwarded), and its CPU time
/// read from the operating system. Disposing kills the whole process tree and waits, bounded, for it to exit.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptErrorLines = 30;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<string> _errors = new();
    private readonly bool _forwardErrors;

    private ChildProcess(string name, Process process, bool forwardErrors)
    {
        Name = name;
        Process = process;
        _forwardErrors = forwardErrors;
    }

    public string Name { get; }

    public Process Process { get; }

    public int Id => Process.Id;

    /// <summary>CPU time (user + system) the process has used so far, in seconds.</summary>
    public double CpuSeconds
    {
        get
        {
            Process.Refresh();
            return Process.TotalProcessorTime.TotalSeconds;
        }
    }

    /// <summary>Starts this executable with <paramref name="arguments"/> (and extra <paramref name="environment"/> variables).</summary>
    public static ChildProcess Start(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, bool forwardErrors = false)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the {name} process");
        var child = new ChildProcess(name, process, forwardErrors);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                child._lines.Writer.TryComplete();
            }
            else
            {
                child._lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { Length: > 0 } line)
            {
                return;
            }

            lock (child._errors)
            {
                child._errors.Enqueue(line);
                if (child._errors.Count > KeptErrorLines)
                {
                    child._errors.Dequeue();
                }
            }

            if (child._forwardErrors)
            {
                Console.Error.WriteLine($"{name}: {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// The next line of standard output that is a JSON object (other lines are skipped), within <paramref name="timeout"/>.
    /// Fails with the process's last error lines when it exits first.
    /// </summary>
    public async Task<JsonElement> ReadJsonAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (line.StartsWith('{'))
                    {
                        using var document = JsonDocument.Parse(line);
                        return document.RootElement.Clone();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The {Name} process printed no JSON line within {timeout}.{ErrorTail()}");
        }

        throw new InvalidOperationException($"The {Name} process ended (exit code {ExitCode()}) before printing its JSON line.{ErrorTail()}");
    }

    /// <summary>Writes one line to the process's standard input.</summary>
    public async Task WriteLineAsync(string line)
    {
        await Process.StandardInput.WriteLineAsync(line);
        await Process.StandardInput.FlushAsync();
    }

    /// <summary>Sends SIGSTOP (<paramref name="suspend"/>) or SIGCONT to the process.</summary>
    public void Signal(bool suspend)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill")
        {
            ArgumentList = { suspend ? "-STOP" : "-CONT", Id.ToString(CultureInfo.InvariantCulture) },
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {(suspend ? "-STOP" : "-CONT")} {Id} exited {kill.ExitCode}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await Process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"{Name}: could not stop process {Id}: {e.Message}");
        }
        finally
        {
            Process.Dispose();
        }
    }

    private string ExitCode() => Process.HasExited ? Process.ExitCode.ToString(CultureInfo.InvariantCulture) : "running";

    private string ErrorTail()
    {
        lock (_errors)
        {
            return _errors.Count == 0 ? "" : Environment.NewLine + string.Join(Environment.NewLine, _errors);
        }
    }
}
