using ClickHouse.Driver;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Pipeline;

/// <summary>Registration of the pipeline worker.</summary>
public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Adds the pipeline worker bound from the <c>Pipeline</c> section. <paramref name="clickHouse"/> gives the client
    /// of FeedbackStream's database (embedded or server). The host registers the Kafka options once.
    /// </summary>
    public static IServiceCollection AddFeedbackPipeline(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, ClickHouseClient> clickHouse)
    {
        services.AddOptions<PipelineOptions>().Bind(configuration.GetSection(PipelineOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PipelineStatus>();
        services.AddSingleton<IEventSink>(sp => new ClickHouseEventSink(clickHouse(sp)));
        services.AddSingleton<PipelineWorker>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PipelineWorker>());
        return services;
    }
}
