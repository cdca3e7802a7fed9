namespace FeedbackStream.EmbeddedClickHouse.Tests;

/// <summary>The folder INSERT bodies are spooled to does not outlive its owner.</summary>
public sealed class SpoolDirectoryTests
{
    [Fact]
    public void SpoolDirectory_IsCreated_ThenRemovedWithItsFiles()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"fs-spool-test-{Guid.NewGuid():N}");
        var core = new ClickHouseHttpCore(null!, folder);
        Assert.True(Directory.Exists(core.SpoolDirectory));
        File.WriteAllText(Path.Combine(folder, "insert-left-over.bin"), "x");
        core.DeleteSpoolDirectory();
        Assert.False(Directory.Exists(folder));
        core.DeleteSpoolDirectory();
    }

    [Fact]
    public void TwoCoresInOneProcess_HaveTheirOwnSpoolFolders_RemovingOneLeavesTheOther()
    {
        // Several hosts of one process share the engine; disposing one must not remove the folder the others spool to.
        var first = new ClickHouseHttpCore(null!);
        var second = new ClickHouseHttpCore(null!);
        Assert.NotEqual(first.SpoolDirectory, second.SpoolDirectory);
        Assert.Contains($"feedbackstream-ch-{Environment.ProcessId}-", first.SpoolDirectory, StringComparison.Ordinal);
        first.DeleteSpoolDirectory();
        Assert.True(Directory.Exists(second.SpoolDirectory));
        second.DeleteSpoolDirectory();
    }

    [Fact]
    public void SpoolFolderOfAProcessThatIsGone_IsRemovedByTheNextCore()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var abandoned = Path.Combine(root, $"feedbackstream-ch-{int.MaxValue - 7}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(abandoned);
        var core = new ClickHouseHttpCore(null!);
        Assert.False(Directory.Exists(abandoned));
        core.DeleteSpoolDirectory();
    }
}
