using FeedbackStream.Client.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Client.Tests;

public sealed class OptionsAndRegistrationTests
{
    private static FeedbackStreamClientOptions Valid() => new()
    {
        Endpoint = new Uri("https://feedback.example.com/"),
        ApiKey = "key",
        AppId = "chat-web",
    };

    [Fact]
    public void Validate_DefaultsWithTheRequiredSettings_AreValid()
    {
        var options = Valid();

        Assert.Empty(options.Validate());
        Assert.Equal((500, 100_000, BufferFullMode.Drop), (options.MaxBatchEvents, options.MaxBufferedEvents, options.BufferFullMode));
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), (options.FlushInterval, options.RequestTimeout));
    }

    public static TheoryData<string, Action<FeedbackStreamClientOptions>> Invalid => new()
    {
        { nameof(FeedbackStreamClientOptions.Endpoint), o => o.Endpoint = null },
        { nameof(FeedbackStreamClientOptions.Endpoint), o => o.Endpoint = new Uri("ftp://feedback.example.com/") },
        { nameof(FeedbackStreamClientOptions.ApiKey), o => o.ApiKey = "" },
        { nameof(FeedbackStreamClientOptions.ApiKey), o => o.ApiKey = "key\r\nX-Injected: 1" },
        { nameof(FeedbackStreamClientOptions.AppId), o => o.AppId = "Chat Web" },
        { nameof(FeedbackStreamClientOptions.MaxBatchEvents), o => o.MaxBatchEvents = 0 },
        { nameof(FeedbackStreamClientOptions.MaxBufferedEvents), o => o.MaxBufferedEvents = 0 },
        { nameof(FeedbackStreamClientOptions.FlushInterval), o => o.FlushInterval = TimeSpan.Zero },
        { nameof(FeedbackStreamClientOptions.RequestTimeout), o => o.RequestTimeout = TimeSpan.FromSeconds(-1) },
        { nameof(FeedbackStreamClientOptions.MaxBackoff), o => o.MaxBackoff = TimeSpan.FromMilliseconds(10) },
        { nameof(FeedbackStreamClientOptions.MaxAttempts), o => o.MaxAttempts = 0 },
        { nameof(FeedbackStreamClientOptions.MaxRetryDuration), o => (o.MaxAttempts, o.MaxRetryDuration) = (null, null) },
        { nameof(FeedbackStreamClientOptions.BufferFullMode), o => o.BufferFullMode = (BufferFullMode)42 },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Constructor_WithInvalidOptions_ThrowsNamingTheSetting(string setting, Action<FeedbackStreamClientOptions> breakIt)
    {
        var options = Valid();
        breakIt(options);

        var error = Assert.Throws<ArgumentException>(() => new FeedbackStreamClient(options));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddFeedbackStreamClient_BindsTheSection_AndRegistersOneSingletonTheContainerDisposes()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeedbackStream:Endpoint"] = "http://gateway.test/",
            ["FeedbackStream:ApiKey"] = "test-key",
            ["FeedbackStream:AppId"] = "chat-web",
            ["FeedbackStream:MaxBatchEvents"] = "50",
            ["FeedbackStream:FlushInterval"] = "00:00:05",
            ["FeedbackStream:BufferFullMode"] = "Wait",
        }).Build();
        using var gateway = new StubGateway();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new ManualTimeProvider());
        services.AddFeedbackStreamClient(
            o => configuration.GetSection(FeedbackStreamClientOptions.SectionName).Bind(o),
            httpClient: _ => new HttpClient(gateway, disposeHandler: false));

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var client = provider.GetRequiredService<FeedbackStreamClient>();
        var options = provider.GetRequiredService<IOptions<FeedbackStreamClientOptions>>().Value;
        Assert.Same(client, provider.GetRequiredService<FeedbackStreamClient>());
        Assert.Equal((50, TimeSpan.FromSeconds(5), BufferFullMode.Wait), (options.MaxBatchEvents, options.FlushInterval, options.BufferFullMode));
        Assert.Equal(new Uri("http://gateway.test/v1/events"), client.EventsUri);

        client.ReactionSet("user-1", "conv-1", "resp-1", Contracts.Reaction.Like);
        await Until.CompletesAsync(provider.DisposeAsync().AsTask(), "the container disposes the client");

        Assert.Single(gateway.Requests);
        Assert.Equal(1, client.Statistics.Accepted);
    }

    [Fact]
    public void AddFeedbackStreamClient_WithInvalidOptions_FailsValidationWhenResolved()
    {
        var services = new ServiceCollection();
        services.AddFeedbackStreamClient(o => o.AppId = "chat-web");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<FeedbackStreamClientOptions>>().Value);

        Assert.Contains(error.Failures, f => f.Contains(nameof(FeedbackStreamClientOptions.Endpoint), StringComparison.Ordinal));
    }
}
