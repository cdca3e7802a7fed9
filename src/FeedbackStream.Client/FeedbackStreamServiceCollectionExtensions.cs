using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Client;

/// <summary>Registers <see cref="FeedbackStreamClient"/> in a service collection.</summary>
public static class FeedbackStreamServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FeedbackStreamClient"/> as a singleton with options set by <paramref name="configure"/>,
    /// validated when the host starts (and at the latest when the client is first resolved). To bind the
    /// <see cref="FeedbackStreamClientOptions.SectionName"/> section, call the binder inside <paramref name="configure"/>:
    /// <c>o =&gt; configuration.GetSection(FeedbackStreamClientOptions.SectionName).Bind(o)</c>.
    /// A registered <see cref="TimeProvider"/> is used. The container disposes the client, which delivers what is buffered.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (may be called after other configuration, e.g. to add <see cref="FeedbackStreamClientOptions.OnRejected"/>).</param>
    /// <param name="httpClient">
    /// Supplies the <see cref="HttpClient"/> to use, e.g. from an <c>IHttpClientFactory</c> or with a custom handler; it
    /// stays the supplier's. Without it the client owns an <see cref="HttpClient"/> with renewed pooled connections.
    /// </param>
    public static IServiceCollection AddFeedbackStreamClient(
        this IServiceCollection services,
        Action<FeedbackStreamClientOptions> configure,
        Func<IServiceProvider, HttpClient>? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<FeedbackStreamClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FeedbackStreamClientOptions>, FeedbackStreamClientOptionsValidator>());
        services.TryAddSingleton(sp => new FeedbackStreamClient(
            sp.GetRequiredService<IOptions<FeedbackStreamClientOptions>>().Value,
            httpClient?.Invoke(sp),
            sp.GetService<TimeProvider>()));
        return services;
    }
}

/// <summary>Runs <see cref="FeedbackStreamClientOptions.Validate"/> for the options pipeline.</summary>
internal sealed class FeedbackStreamClientOptionsValidator : IValidateOptions<FeedbackStreamClientOptions>
{
    public ValidateOptionsResult Validate(string? name, FeedbackStreamClientOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
