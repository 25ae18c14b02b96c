using System.Globalization;
using ExeSys.Bench.Load;
using ExeSys.Bench.Measurement;
using ExeSys.Bench.Options;
using ExeSys.Bench.Target;
using ExeSys.Core.Jobs;
using ExeSys.Core.Redis;
using StackExchange.Redis;

namespace ExeSys.Bench.Scenarios;

/// <summary>What every scenario needs: the options, the system under test, the HTTP client and the meters.</summary>
internal sealed class BenchContext(BenchOptions options, TargetSystem target, JobClient client, string runId, TextWriter log)
{
    private const int DeleteBatch = 2_000;

    public BenchOptions Options => options;

    public TargetSystem Target => target;

    public JobClient Client => client;

    public TextWriter Log => log;

    public RedisKeys Keys { get; } = new(options.KeyPrefix);

    public CostMeter Meter { get; } = new(target.RedisServer, target.Processes);

    public IDatabase Redis => target.Redis.GetDatabase();

    /// <summary>A job id prefix unique to this run, scenario, repetition and phase, so no two jobs ever share an id.</summary>
    public string JobIdPrefix(string scenario, int repetition, string phase) => $"{runId}-{scenario}-r{repetition}-{phase}";

    public Task<CommandMonitor> StartMonitorAsync() => CommandMonitor.StartAsync(target.RedisEndpoint, target.Redis, target.Processes);

    /// <summary>
    /// On a shared machine, waits (up to --wait-quiet) until the cores are idle apart from the system under test's
    /// own background work, so that a measurement does not start in the middle of someone else's build.
    /// </summary>
    public async Task WaitForQuietAsync(CancellationToken cancellationToken)
    {
        const double QuietCores = 0.15;
        if (options.WaitQuiet <= TimeSpan.Zero || ProcessCpu.ReadMachine() is null)
        {
            return;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var reported = false;
        while (true)
        {
            var before = ProcessCpu.ReadMachine()!.Value;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var busy = (ProcessCpu.ReadMachine()!.Value.Busy - before.Busy).TotalSeconds;
            var waited = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (busy <= QuietCores)
            {
                if (reported)
                {
                    await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  machine quiet after {waited.TotalSeconds:0} s"));
                }

                return;
            }

            if (waited >= options.WaitQuiet)
            {
                await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  machine still busy ({busy:F2} cores) after {waited.TotalSeconds:0} s; measuring anyway"));
                return;
            }

            if (!reported)
            {
                await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  machine busy ({busy:F2} cores in use by others); waiting up to {options.WaitQuiet.TotalSeconds:0} s ..."));
                reported = true;
            }
        }
    }

    /// <summary>
    /// Deletes finished bench jobs, so one scenario's jobs do not weigh on the next (the retained scenario's
    /// "empty" Redis really is empty of jobs in own-process mode). Only jobs whose result was seen are deleted.
    /// </summary>
    public async Task DeleteJobsAsync(IEnumerable<string> jobIds)
    {
        var db = Redis;
        var pending = new List<Task>();
        foreach (var chunk in jobIds.Chunk(DeleteBatch))
        {
            var keys = chunk.Select(id => Keys.Status(new JobRef(JobClient.From, id))).ToArray();

            pending.Add(db.KeyDeleteAsync(keys));
            if (pending.Count >= 8)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    /// <summary>
    /// Deletes finished workflow runs of <paramref name="graph"/>'s shape: the run's own job, each node's job, the
    /// workflow hash (with the start data), and the run's entry in the client's run list.
    /// </summary>
    public async Task DeleteWorkflowRunsAsync(IReadOnlyCollection<string> jobIds, WorkflowGraph graph)
    {
        var db = Redis;
        var names = graph.NodeNames.ToList();
        foreach (var chunk in jobIds.Chunk(Math.Max(1, DeleteBatch / (names.Count + 2))))
        {
            var keys = new List<RedisKey>();
            foreach (var jobId in chunk)
            {
                foreach (var job in names.Append(JobClient.From).Select(n => new JobRef(n, jobId)))
                {
                    keys.Add(Keys.Status(job));
                }

                keys.Add(Keys.Workflow(jobId));
            }

            await db.KeyDeleteAsync([.. keys]);
            await db.SortedSetRemoveAsync(Keys.ClientRuns(JobClient.From), [.. chunk.Select(id => (RedisValue)id)]);
        }
    }
}
