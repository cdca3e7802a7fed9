using System.Diagnostics;

namespace FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

/// <summary>
/// A child process whose standard output is collected line by line. Its standard input stays open
/// as a lifeline: the helper programs stop when it closes, so they never outlive the test host.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int MaxErrorChars = 20_000;

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly System.Text.StringBuilder _error = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int LineCount
    {
        get
        {
            lock (_lines)
            {
                return _lines.Count;
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                child._outputClosed.TrySetResult();
                return;
            }

            lock (child._lines)
            {
                child._lines.Add(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (child._error)
            {
                if (child._error.Length > MaxErrorChars)
                {
                    child._error.Remove(0, child._error.Length / 2);
                }

                child._error.AppendLine(e.Data);
            }
        };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {fileName}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>A copy of the lines from <paramref name="from"/> on.</summary>
    public List<string> Lines(int from = 0)
    {
        lock (_lines)
        {
            return from >= _lines.Count ? [] : _lines.GetRange(from, _lines.Count - from);
        }
    }

    /// <summary>Waits for the first line that matches; fails early when the process ends without one.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        string? found = null;
        var seen = 0;
        await Wait.UntilAsync(
            () =>
            {
                foreach (var line in Lines(seen))
                {
                    seen++;
                    if (match(line))
                    {
                        found = line;
                        return true;
                    }
                }

                if (_process.HasExited && _outputClosed.Task.IsCompleted && seen >= LineCount)
                {
                    throw new InvalidOperationException($"The process ended (exit {_process.ExitCode}) before {what}. stderr:\n{StandardError}");
                }

                return false;
            },
            timeout,
            what,
            cancellationToken);
        return found!;
    }

    /// <summary>Kills the process with SIGKILL (no chance to clean up) and waits until it is gone.</summary>
    public async Task KillHardAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>Closes standard input: the helper programs then stop gracefully.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        await _outputClosed.Task.WaitAsync(deadline.Token);
        return _process.ExitCode;
    }

    /// <summary>
    /// Stops a watchdog child gracefully, then disposes it: closing its standard input makes it kill what it watches
    /// (SIGKILL), reap it and exit, so nothing is left for init to reap; the process tree is killed only if that
    /// does not happen within 15 s. Nothing to do for null.
    /// </summary>
    public static async Task StopAndDisposeAsync(ChildProcess? watchdog)
    {
        if (watchdog is null)
        {
            return;
        }

        try
        {
            if (!watchdog.HasExited)
            {
                watchdog.CloseInput();
                await watchdog.WaitForExitAsync(TimeSpan.FromSeconds(15), CancellationToken.None);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // Disposal below kills the whole tree.
        }

        await watchdog.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (TimeoutException)
        {
            // Reported by the test that needed it; disposal must not throw.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
