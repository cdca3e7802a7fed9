using Confluent.Kafka;
using FeedbackStream.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackStream.EmbeddedKafka.Tests;

/// <summary>The configuration passthrough: any librdkafka property, applied after the code's defaults.</summary>
public sealed class KafkaOptionsTests
{
    [Fact]
    public void CreateProducerConfig_ClientPassthrough_OverridesTheCodeDefaults()
    {
        var options = new KafkaOptions { BootstrapServers = "b1:9092,b2:9092", ClientId = "gateway" };
        options.Client["enable.idempotence"] = "false";
        options.Client["security.protocol"] = "SASL_SSL";
        options.Client["sasl.mechanism"] = "SCRAM-SHA-512";

        var config = options.CreateProducerConfig(c =>
        {
            c.EnableIdempotence = true;
            c.Acks = Acks.All;
        });

        Assert.Equal("b1:9092,b2:9092", config.BootstrapServers);
        Assert.Equal("gateway", config.ClientId);
        Assert.False(config.EnableIdempotence);
        Assert.Equal(Acks.All, config.Acks);

        // Passthrough values stay text in librdkafka's own spelling (Confluent's typed getters cannot
        // read "SASL_SSL" back); librdkafka itself accepts them when the client is built.
        Assert.Equal("SASL_SSL", config.Get("security.protocol"));
        Assert.Equal("SCRAM-SHA-512", config.Get("sasl.mechanism"));
        config.BootstrapServers = "127.0.0.1:1";
        config.Set("sasl.username", "u");
        config.Set("sasl.password", "p");
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        Assert.NotNull(producer.Name);
    }

    [Fact]
    public void CreateConfigs_TypeSections_OverrideClientSectionAndStayOutOfOtherClientTypes()
    {
        var options = new KafkaOptions { BootstrapServers = "b:9092" };
        options.Client["linger.ms"] = "20";
        options.Client["socket.timeout.ms"] = "1000";
        options.Producer["linger.ms"] = "50";
        options.Consumer["fetch.wait.max.ms"] = "10";
        options.Admin["socket.timeout.ms"] = "2000";

        var producer = options.CreateProducerConfig();
        var consumer = options.CreateConsumerConfig("group-a");
        var admin = options.CreateAdminClientConfig();

        Assert.Equal(50, producer.LingerMs);
        Assert.Null(producer.Get("fetch.wait.max.ms"));
        Assert.Equal(10, consumer.FetchWaitMaxMs);
        Assert.Equal("group-a", consumer.GroupId);
        Assert.Equal(1000, consumer.SocketTimeoutMs);
        Assert.Equal(2000, admin.SocketTimeoutMs);
        Assert.Null(admin.Get("fetch.wait.max.ms"));
    }

    [Fact]
    public void CreateConsumerConfig_PassthroughCanEvenReplaceTheBootstrapServersAndGroup()
    {
        var options = new KafkaOptions { BootstrapServers = "named:9092" };
        options.Client["bootstrap.servers"] = "passthrough:9092";
        options.Consumer["group.id"] = "from-configuration";

        var consumer = options.CreateConsumerConfig("from-code");

        Assert.Equal("passthrough:9092", consumer.BootstrapServers);
        Assert.Equal("from-configuration", consumer.GroupId);
    }

    [Fact]
    public void CreateProducerConfig_EmptyPropertyName_IsRejectedWithTheSection()
    {
        var options = new KafkaOptions { BootstrapServers = "b:9092" };
        options.Producer[" "] = "x";

        var error = Assert.Throws<InvalidOperationException>(() => options.CreateProducerConfig());

        Assert.Contains("Kafka:Producer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithAnUnknownPassthroughProperty_FailsWhenTheClientIsBuilt()
    {
        var options = new KafkaOptions { BootstrapServers = "127.0.0.1:1" };
        options.Client["no.such.property"] = "1";

        var error = Assert.Throws<InvalidOperationException>(() => new ProducerBuilder<Null, string>(options.CreateProducerConfig()).Build());

        Assert.Contains("no.such.property", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddKafkaOptions_BindsDottedPropertyNamesFromConfiguration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = "kafka-1:9092",
                ["Kafka:Topic"] = "feedback.events.v2",
                ["Kafka:TopicPartitions"] = "12",
                ["Kafka:Client:api.version.request"] = "false",
                ["Kafka:Client:broker.version.fallback"] = "0.9.0.1",
                ["Kafka:Producer:enable.idempotence"] = "false",
                ["Kafka:Consumer:session.timeout.ms"] = "10000",
            })
            .Build();
        using var services = new ServiceCollection().AddKafkaOptions(configuration).Services.BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<KafkaOptions>>().Value;
        var producer = options.CreateProducerConfig(c => c.EnableIdempotence = true);
        var consumer = options.CreateConsumerConfig("g");

        Assert.Equal("feedback.events.v2", options.Topic);
        Assert.Equal(12, options.TopicPartitions);
        Assert.Equal("false", producer.Get("api.version.request"));
        Assert.Equal("0.9.0.1", consumer.Get("broker.version.fallback"));
        Assert.False(producer.EnableIdempotence);
        Assert.Equal(10_000, consumer.SessionTimeoutMs);
        Assert.Null(producer.Get("session.timeout.ms"));
    }

    [Fact]
    public void AddKafkaOptions_WithoutBootstrapServers_FailsValidation()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Kafka:Topic"] = "t" })
            .Build();
        using var services = new ServiceCollection().AddKafkaOptions(configuration).Services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<KafkaOptions>>().Value);

        Assert.Contains(nameof(KafkaOptions.BootstrapServers), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clone_CopiesTheDictionaries_SoChangingTheCopyLeavesTheOriginal()
    {
        var options = new KafkaOptions { BootstrapServers = "b:9092" };
        options.Client["a"] = "1";

        var copy = options.Clone();
        copy.Client["a"] = "2";
        copy.Consumer["b"] = "3";

        Assert.Equal("1", options.Client["a"]);
        Assert.Empty(options.Consumer);
        Assert.Equal("b:9092", copy.BootstrapServers);
    }
}
