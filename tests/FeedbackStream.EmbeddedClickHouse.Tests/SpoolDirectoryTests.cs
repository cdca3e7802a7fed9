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
}
