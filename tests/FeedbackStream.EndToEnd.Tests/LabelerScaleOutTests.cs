using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using FeedbackStream.Cli;
using FeedbackStream.Hosting;
using FeedbackStream.Contracts;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;
using FeedbackStream.Mining;
using FeedbackStream.Storage;
using FeedbackStream.Storage.Labels;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// Three labeller processes (<c>feedbackstream serve --role labeler</c>) share the partitions of a Kafka cluster served
/// by this test process; one is killed with SIGKILL mid-stream and started again. Every settled response ends up with
/// one current label, the labelling work stays close to a single worker's, and each process did a share of it.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed partial class LabelerScaleOutTests(EngineFixture engine)
{
    private const string Topic = "feedback.events.v1";

    private static CancellationToken Ct => E2E.Ct;

    [Fact]
    public async Task ThreeLabellerProcesses_OneKilledAndRestarted_EverySettledResponseLabelled_WorkNotDoubled()
    {
        const int conversations = 3000;
        using var cluster = KafkaMockCluster.Start(3);
        cluster.CreateTopic(Topic, 6);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, cancellationToken: Ct);
        var database = E2E.NewDatabase();
        using (var admin = engine.Server.CreateClient())
        {
            await new Migrator(admin, database).MigrateAsync(Ct);
        }

        // The pipeline runs in this process; the labellers are separate processes reaching ClickHouse over HTTP.
        await using var pipeline = await E2E.StartHostAsync(engine, HostRoles.Pipeline, new()
        {
            ["Kafka:BootstrapServers"] = cluster.BootstrapServers,
            ["ClickHouse:Database"] = database,
        });
        string[] arguments =
        [
            "serve", "--role", "labeler",
            $"--Kafka:BootstrapServers={cluster.BootstrapServers}",
            "--ClickHouse:Mode=Server",
            $"--ClickHouse:ConnectionString={listener.ConnectionString()}",
            $"--ClickHouse:Database={database}",
            "--Mining:SettleWindow=00:00:02",
            "--Labeling:Interval=00:00:00.250",
            "--Labeling:SessionTimeout=00:00:06",
            "--Logging:LogLevel:FeedbackStream.Pipeline.Labeling=Debug",
        ];
        var slots = new[] { Labeller.Start(arguments), Labeller.Start(arguments), Labeller.Start(arguments) };
        var restarted = (Labeller?)null;
        try
        {
            await Wait.UntilAsync(() => slots.All(s => s.Assigned), TimeSpan.FromSeconds(60), "three labellers own partitions", Ct);
            using var client = engine.Server.CreateClient(database);
            var producing = Task.Run(() => Produce(cluster.BootstrapServers, conversations, TimeSpan.FromSeconds(20)), Ct);

            // Mid-stream: the first labeller to have written 100 conversations' labels is killed, with more on the way.
            await Wait.UntilAsync(() => slots.Any(s => s.Conversations >= 100), TimeSpan.FromSeconds(120), "a labeller labelled 100 conversations", Ct);
            var victim = Array.FindIndex(slots, s => s.Conversations >= 100);
            (slots[victim], slots[2]) = (slots[2], slots[victim]);
            await slots[2].KillAsync();
            restarted = Labeller.Start(arguments);
            await producing;

            var policy = new SettlePolicy(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
            var invariant = new LabelInvariant(client);
            var deadline = Stopwatch.StartNew();
            var check = await invariant.CheckAsync(policy, DateTimeOffset.UtcNow, 5, Ct);
            while ((check.SettledResponses != conversations || check.Violations != 0) && deadline.Elapsed < TimeSpan.FromSeconds(180))
            {
                await Task.Delay(500, Ct);
                check = await invariant.CheckAsync(policy, DateTimeOffset.UtcNow, 5, Ct);
            }

            Assert.True(check.SettledResponses == conversations && check.Violations == 0,
                $"after {deadline.Elapsed.TotalSeconds:F0} s: {check.SettledResponses} settled, {check.Missing} missing, {check.Stale} stale; e.g. " +
                string.Join("; ", check.Examples.Select(v => $"{v.Kind} {v.ConversationId} p{v.KafkaPartition} {v.LastActivity:O}")) +
                $"; work {slots[0].Conversations}/{slots[1].Conversations}/{slots[2].Conversations}/{restarted.Conversations}; stored {await E2E.ScalarAsync(client, "SELECT count() FROM events_raw")}" +
                $"; restarted labeller said: {restarted.Tail}");

            Assert.Equal((ulong)conversations, await E2E.ScalarAsync(client, "SELECT count() FROM response_labels FINAL"));
            Assert.Equal((ulong)conversations / 2, await E2E.ScalarAsync(client, "SELECT countIf(love) FROM response_labels FINAL"));
            var work = new[] { slots[0].Conversations, slots[1].Conversations, slots[2].Conversations + restarted.Conversations };
            var total = work.Sum();
            TestContext.Current.SendDiagnosticMessage(
                $"labelling work: {string.Join(" / ", work)} conversations (total {total}, {total / (double)conversations:0.000}x of {conversations}); repaired by sweeps: {slots.Sum(s => s.Repaired) + restarted.Repaired}");
            Assert.True(total <= conversations * 1.2, $"labelling work {total} exceeds 1.2x the {conversations} conversations: {string.Join(" / ", work)}");
            Assert.All(work, w => Assert.True(w >= conversations / 10, $"a process did too little of the work: {string.Join(" / ", work)}"));
        }
        finally
        {
            foreach (var labeller in slots.Append(restarted))
            {
                if (labeller is not null)
                {
                    await labeller.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Conversations of a served response and, for every other one, a love; produced evenly over <paramref name="over"/>.</summary>
    private static void Produce(string bootstrap, int count, TimeSpan over)
    {
        using var producer = E2E.Producer(bootstrap);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var at = DateTimeOffset.UtcNow;
            var c = $"so-{i:D5}";
            var events = new List<FeedbackEvent> { FeedbackEvent.Create($"{c}-s", E2E.App, at, $"u{i % 300}", c, new ResponseServed($"{c}-r", 0, "An answer to read.", "m1", PromptText: $"question {i % 400}")) };
            if (i % 2 == 0)
            {
                events.Add(FeedbackEvent.Create($"{c}-l", E2E.App, at.AddMilliseconds(50), $"u{i % 300}", c, new ReactionSet($"{c}-r", Reaction.Love, 20_000)));
            }

            foreach (var e in events)
            {
                producer.Produce(Topic, new Message<string, byte[]> { Key = c, Value = FeedbackJson.Serialize(e with { ReceivedAt = DateTimeOffset.UtcNow }) });
            }

            var behind = TimeSpan.FromTicks(over.Ticks * (i + 1) / count) - watch.Elapsed;
            if (behind > TimeSpan.FromMilliseconds(5))
            {
                producer.Flush(Ct);
                Thread.Sleep(behind);
            }
        }

        producer.Flush(Ct);
    }

    /// <summary>One labeller process; it counts the work it logs (one debug line per labelled chunk).</summary>
    private sealed partial class Labeller : IAsyncDisposable
    {
        private readonly Process _process;
        private long _conversations;
        private long _repaired;
        private readonly Queue<string> _tail = new();
        private volatile bool _assigned;

        private Labeller(Process process) => _process = process;

        public long Conversations => Interlocked.Read(ref _conversations);

        public long Repaired => Interlocked.Read(ref _repaired);

        public bool Assigned => _assigned;

        /// <summary>The last lines the process wrote to standard error (for failure messages).</summary>
        public string Tail
        {
            get
            {
                lock (_tail)
                {
                    return string.Join(" | ", _tail);
                }
            }
        }

        public static Labeller Start(IEnumerable<string> arguments)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "feedbackstream.dll"));
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            var labeller = new Labeller(Process.Start(start) ?? throw new InvalidOperationException("could not start a labeller"));
            labeller._process.ErrorDataReceived += (_, e) => labeller.Read(e.Data);
            labeller._process.OutputDataReceived += (_, _) => { };
            labeller._process.BeginErrorReadLine();
            labeller._process.BeginOutputReadLine();
            return labeller;
        }

        public async Task KillAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(Ct);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }

            _process.Dispose();
        }

        private void Read(string? line)
        {
            if (line is null)
            {
                return;
            }

            if (!line.StartsWith("dbug", StringComparison.Ordinal))
            {
                lock (_tail)
                {
                    _tail.Enqueue(line.Length > 300 ? line[..300] : line);
                    if (_tail.Count > 8)
                    {
                        _tail.Dequeue();
                    }
                }
            }

            if (AssignedSome().IsMatch(line))
            {
                _assigned = true;
            }

            var match = Labelled().Match(line);
            if (match.Success)
            {
                var n = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                Interlocked.Add(ref _conversations, n);
                if (match.Groups[2].Value == "True")
                {
                    Interlocked.Add(ref _repaired, n);
                }
            }
        }

        [GeneratedRegex(@"Labeller assigned partitions \d")]
        private static partial Regex AssignedSome();

        [GeneratedRegex(@"labelled conversations=(\d+) labels=\d+ pairs=\d+ repair=(True|False)")]
        private static partial Regex Labelled();
    }
}
