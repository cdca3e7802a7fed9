using FeedbackStream.EmbeddedClickHouse;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>The benchmarks' argument checks as a user meets them (<c>feedbackstream bench ...</c> as a child process): a clear line and a non-zero exit before any engine starts.</summary>
public sealed class BenchCliTests
{
    [Theory]
    [InlineData(new[] { "bench", "pipeline", "--peer", "--with-labeling" }, 2, "--with-labeling is not supported with --peer")]
    [InlineData(new[] { "bench", "ingest", "--peer", "--rounds", "0" }, 1, "--rounds must be at least 1.")]
    [InlineData(new[] { "bench", "ingest", "--kind", "reaction" }, 2, "--kind reaction is for --peer")]
    [InlineData(new[] { "bench", "labeling", "--events", "400000" }, 1, "--events must be between 8,000 and 250,000.")]
    [InlineData(new[] { "bench", "labeling", "--rounds", "0" }, 1, "--rounds must be at least 1.")]
    public async Task ArgumentsThatCannotRun_AreRefusedWithTheOptionNamed(string[] arguments, int exitCode, string message)
    {
        var (code, stdout, stderr) = await E2E.RunCliAsync(arguments);

        Assert.Equal(exitCode, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("starting", stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(false, "bench", "labeling", "--seconds", "1")]
    [InlineData(true, "demo")]
    public async Task AMachineThatWasNotSetUp_IsToldWhatToRun_WithoutAStackTrace(bool takesData, params string[] arguments)
    {
        var empty = Directory.CreateTempSubdirectory("feedbackstream-no-engines-");
        try
        {
            var (code, stdout, stderr) = await E2E.RunCliAsync(
                takesData ? [.. arguments, "--data", Path.Combine(empty.FullName, "data")] : arguments,
                new Dictionary<string, string?> { [ChDbLibrary.EnginesDirVariable] = empty.FullName, [ChDbLibrary.LibraryPathVariable] = null });

            Assert.Equal(2, code);
            Assert.Contains("Run scripts/setup.sh", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }
}
