using System.Reflection;
using System.Runtime.InteropServices;

namespace FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

/// <summary>Starts FeedbackStream.KafkaPeer (built with this project) as a separate process.</summary>
internal static class KafkaPeer
{
    private static readonly Lazy<string> PeerPath = new(FindPeer);
    private static readonly Lazy<string> DotNet = new(FindDotNet);

    public static ChildProcess Start(params string[] arguments) =>
        ChildProcess.Start(DotNet.Value, [PeerPath.Value, .. arguments]);

    /// <summary>Hosts a mock cluster in a peer and returns it with its announcement.</summary>
    public static async Task<(ChildProcess Peer, KafkaMockClusterReady Ready)> StartHostAsync(
        int brokers,
        IEnumerable<string> topics,
        CancellationToken cancellationToken)
    {
        var args = new List<string> { "host", "--brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var topic in topics)
        {
            args.Add("--topic");
            args.Add(topic);
        }

        var peer = Start([.. args]);
        try
        {
            var line = await peer.WaitForLineAsync(l => KafkaMockClusterReady.TryParse(l, out _), TimeSpan.FromSeconds(30), "the cluster announcement", cancellationToken);
            KafkaMockClusterReady.TryParse(line, out var ready);
            return (peer, ready!);
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    private static string FindPeer()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("FEEDBACKSTREAM_KAFKA_PEER");
        var recorded = typeof(KafkaPeer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "KafkaPeerPath")?.Value;
        foreach (var candidate in new[] { fromEnvironment, recorded })
        {
            if (!string.IsNullOrEmpty(candidate) && File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"FeedbackStream.KafkaPeer.dll not found (recorded path '{recorded}'). Build tests/FeedbackStream.EmbeddedKafka.Tests " +
            "(it builds the peer too) or set FEEDBACKSTREAM_KAFKA_PEER.");
    }

    private static string FindDotNet()
    {
        // The test host is an apphost, not dotnet itself: find the muxer of the runtime running us.
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory();
        var root = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        var muxer = Path.Combine(root, name);
        return File.Exists(muxer) ? muxer : name;
    }
}
