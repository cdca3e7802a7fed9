namespace FeedbackStream.EndToEnd.Tests;

/// <summary>The benchmarks' argument checks as a user meets them (<c>feedbackstream bench ...</c> as a child process): a clear line and a non-zero exit before any engine starts.</summary>
public sealed class BenchCliTests
{
    [Theory]
    [InlineData(new[] { "bench", "pipeline", "--peer", "--with-labeling" }, 2, "--with-labeling is not supported with --peer")]
    [InlineData(new[] { "bench", "ingest", "--peer", "--rounds", "0" }, 1, "--rounds must be at least 1.")]
    [InlineData(new[] { "bench", "ingest", "--kind", "reaction" }, 2, "--kind reaction is for --peer")]
    public async Task ArgumentsThatCannotRun_AreRefusedWithTheOptionNamed(string[] arguments, int exitCode, string message)
    {
        var (code, stdout, stderr) = await E2E.RunCliAsync(arguments);

        Assert.Equal(exitCode, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("starting", stdout, StringComparison.OrdinalIgnoreCase);
    }
}
