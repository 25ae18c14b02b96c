using ExeSys.Core.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// Whether a script in a job's slot (<c>{job_id}</c>) may also take the queue slot's keys (<c>{queue}</c>), saving a
/// round trip: the one place this is decided, for each script that can. Only on a single Redis, with
/// <see cref="RedisOptions.CombineSlots"/> on, and only once the connection has said it is not a cluster; until then
/// every script keeps to one slot.
/// </summary>
public sealed class RedisTopology(IConnectionMultiplexer redis, IOptions<RedisOptions> options, RetentionPolicy retention)
{
    private readonly bool _combineSlots = options.Value.CombineSlots;

    /// <summary>0 not known yet, 1 a single Redis, 2 a cluster.</summary>
    private int _topology;

    /// <summary>
    /// Whether job_submit.lua also enqueues the job it creates. Only for a submit <paramref name="alone"/> in this
    /// process (the latency case): concurrent submits keep the two steps, since their enqueues share one
    /// queue_enqueue.lua call (<see cref="RedisQueueSlot.EnqueueAsync"/>), which costs Redis far less per job than one
    /// enqueue inside every job's script.
    /// </summary>
    public bool SubmitEnqueues(bool alone) => alone && CombinesSlots;

    /// <summary>
    /// Whether job_submit.lua and workflow_submit.lua add a new job or run to its tenant's console index themselves
    /// (RedisKeys.RecentJobs, RecentRuns): every submit on a single Redis, concurrent ones too, since the index costs the
    /// script one XADD and saves a call. Otherwise the caller adds them in the index's own slot (RedisJobIndex).
    /// </summary>
    public bool SubmitIndexes => CombinesSlots;

    /// <summary>Whether queue_claim.lua also starts the jobs it claims (as job_start.lua would), one round trip per batch.</summary>
    public bool ClaimStarts => CombinesSlots;

    /// <summary>
    /// Whether workflow_control.lua puts a run it cancels on the archive backlog itself, in the step that ends it
    /// (only with history on: <see cref="RetentionPolicy.Archives"/>). Otherwise the caller adds it after the script.
    /// </summary>
    public bool ControlBacklogs => retention.Archives && CombinesSlots;

    private bool CombinesSlots
    {
        get
        {
            if (!_combineSlots)
            {
                return false;
            }

            var topology = Volatile.Read(ref _topology);
            if (topology == 0)
            {
                var servers = redis.GetServers();
                if (servers.Length == 0 || !servers.All(s => s.IsConnected))
                {
                    return false;
                }

                topology = servers.Any(s => s.ServerType == ServerType.Cluster) ? 2 : 1;
                Volatile.Write(ref _topology, topology);
            }

            return topology == 1;
        }
    }
}
