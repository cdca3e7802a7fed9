using Microsoft.Extensions.Configuration;

namespace FeedbackStream.EmbeddedClickHouse.Tests;

public sealed class SlimWebApplicationTests
{
    [Fact]
    public void SettingsFiles_AreReadOnce_SoNothingWatchesTheWorkingDirectoryWhereTheEnginesKeepTheirData()
    {
        var builder = SlimWebApplication.CreateBuilder();

        var files = ((IConfigurationBuilder)builder.Configuration).Sources.OfType<FileConfigurationSource>().ToList();

        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.False(f.ReloadOnChange, $"{f.Path} reloads on change"));
    }
}
