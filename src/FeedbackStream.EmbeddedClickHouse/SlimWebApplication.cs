using Microsoft.AspNetCore.Builder;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>
/// A slim ASP.NET Core builder that does not watch its content root. The default builder reloads appsettings files on
/// change by watching the working directory and everything under it, and the embedded engines keep their data there
/// (<c>.feedbackstream/</c>), so every part ClickHouse writes and every Kafka segment roll woke a watcher thread in each
/// process. Configuration here is read once at start; a changed setting takes a restart.
/// </summary>
public static class SlimWebApplication
{
    public static WebApplicationBuilder CreateBuilder() =>
        WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
}
