using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Kafka;

/// <summary>Registration of <see cref="KafkaOptions"/>.</summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="KafkaOptions"/> from the <c>Kafka</c> section of <paramref name="configuration"/>
    /// (including the <c>Client</c>, <c>Producer</c>, <c>Consumer</c> and <c>Admin</c> passthrough
    /// sections) and validates the data annotations when the host starts.
    /// </summary>
    public static OptionsBuilder<KafkaOptions> AddKafkaOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddOptions<KafkaOptions>()
            .Bind(configuration.GetSection(KafkaOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }
}
