using ClickHouse.Driver;
using Microsoft.Extensions.Configuration;
using FeedbackStream.Mining;
using FeedbackStream.Pipeline.Labeling;
using FeedbackStream.Storage;
using FeedbackStream.Storage.Labels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        services.TryAddSingleton(sp => new PipelineProgress(clickHouse(sp)));
        services.AddSingleton<IEventSink>(sp => new ClickHouseEventSink(clickHouse(sp), sp.GetRequiredService<PipelineProgress>()));
        services.AddSingleton<PipelineWorker>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PipelineWorker>());
        return services;
    }

    /// <summary>
    /// Adds the labeller (sections <c>Mining</c> and <c>Labeling</c>): a Kafka consumer group of its own that labels
    /// settled responses, records denoising decisions and mines preference pairs from the events in ClickHouse.
    /// <paramref name="followups"/> scores follow-ups. The host registers the Kafka options once.
    /// </summary>
    public static IServiceCollection AddFeedbackLabeling(
        this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, ClickHouseClient> clickHouse, Func<IServiceProvider, IFollowupScorer> followups)
    {
        services.AddOptions<MiningOptions>().Bind(configuration.GetSection("Mining")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MiningOptions>, MiningOptionsValidator>());
        services.AddOptions<LabelingOptions>().Bind(configuration.GetSection(LabelingOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new LabelRepository(clickHouse(sp)));
        services.AddSingleton(sp => new LabelInvariant(clickHouse(sp)));
        services.TryAddSingleton(sp => new PipelineProgress(clickHouse(sp)));
        services.AddSingleton(followups);
        services.AddSingleton<LabelingStatus>();
        services.AddSingleton<LabelingWorker>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<LabelingWorker>());
        return services;
    }
}

/// <summary>Refuses to start with a denoising setting out of range, naming the setting and why.</summary>
internal sealed class MiningOptionsValidator : IValidateOptions<MiningOptions>
{
    public ValidateOptionsResult Validate(string? name, MiningOptions options) =>
        options.Denoising.Validate() is { } problem ? ValidateOptionsResult.Fail($"Mining:Denoising: {problem}") : ValidateOptionsResult.Success;
}
