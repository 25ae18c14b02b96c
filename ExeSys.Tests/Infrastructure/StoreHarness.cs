using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// The Redis job store (<see cref="RedisJobClient"/>, <see cref="RedisWorkerConnection"/>, <see cref="RedisStoreMaintenance"/>)
/// built directly on a real multiplexer and the test Redis, under a prefix of its own, with the clock and job options a
/// test chooses. The store verbs go through here, so a change of their signatures touches one file.
/// </summary>
public sealed class StoreHarness
{
    /// <param name="mongo">History settings; with a connection string the scripts keep ended jobs for the archiver (no MongoDB is contacted).</param>
    /// <param name="limits">The limits the client routes jobs into lanes by (<see cref="JobLanes"/>); publish them with <see cref="Limits"/>.</param>
    public StoreHarness(string prefix, JobOptions options, TimeProvider time, IConnectionMultiplexer? redis = null, RedisOptions? redisOptions = null, MongoOptions? mongo = null, LimitsOptions? limits = null)
    {
        Prefix = prefix;
        Keys = new RedisKeys(prefix);
        Redis = redis ?? TestRedis.Connection;
        var retention = new RetentionPolicy(Options.Create(options), Options.Create(mongo ?? new MongoOptions()));
        Retention = retention;
        var clock = new RedisClock(time);
        var topology = new RedisTopology(Redis, Options.Create(redisOptions ?? new RedisOptions()), retention);
        var queue = new RedisQueueSlot(Redis, Keys, Options.Create(options), retention, clock);
        var release = new RedisLeaseRelease(Redis, Keys, queue, retention, clock);
        Archive = new RedisArchiveBacklog(Redis, Keys, retention, clock);
        Events = new RedisEventStore(Redis, Keys, queue, Options.Create(options), clock);
        Limits = new RedisLimits(Redis, Keys, Options.Create(limits ?? new LimitsOptions()));
        Client = new RedisJobClient(Redis, Keys, queue, topology, retention, clock, Archive, new JobLanes(Options.Create(limits ?? new LimitsOptions())), Options.Create(options));
        Worker = new RedisWorkerConnection(Redis, Keys, queue, topology, retention, clock, release, NullLogger<RedisWorkerConnection>.Instance);
        Maintenance = new RedisStoreMaintenance(Redis, Keys, release, NullLogger<RedisStoreMaintenance>.Instance);
    }

    public string Prefix { get; }

    public RedisKeys Keys { get; }

    public IConnectionMultiplexer Redis { get; }

    public RetentionPolicy Retention { get; }

    /// <summary>The limits in Redis: publish the harness's (as the controller does), read them back.</summary>
    public RedisLimits Limits { get; }

    /// <summary>wait_event's side (a job's look) and the API's (a post).</summary>
    public RedisEventStore Events { get; }

    /// <summary>The archiver's side (MongoDB history): the backlog, reading a job for the archive, marking it archived.</summary>
    public RedisArchiveBacklog Archive { get; }

    /// <summary>The API's side: submit, read, stop.</summary>
    public RedisJobClient Client { get; }

    /// <summary>A worker's side: claim, start, finish, renew, release.</summary>
    public RedisWorkerConnection Worker { get; }

    /// <summary>The controller's side: expired leases, due retries.</summary>
    public RedisStoreMaintenance Maintenance { get; }

    /// <summary>The same prefix, options and clock on another connection: for races that must really run in parallel.</summary>
    public StoreHarness On(IConnectionMultiplexer redis, JobOptions options, TimeProvider time) => new(Prefix, options, time, redis);

    public static JobCommand Command(string from, string jobId, string dataJson = "null", JobPriority priority = JobPriority.Normal, string cmd = "echo") =>
        new(new JobRef(from, jobId), "end_job", cmd, dataJson, priority);

    public Task<SubmitOutcome> SubmitAsync(JobCommand command) => Client.SubmitAsync(command, watch: false);

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string workerId, int max) => (await Worker.ClaimAsync(workerId, max)).Jobs;

    public Task<bool> CompleteAsync(ClaimedJob job, string resultJson) => Worker.CompleteAsync(job, resultJson, []);

    public Task<bool> FailAsync(ClaimedJob job, string message) => Worker.FailAsync(job, message, retryAt: null);

    public Task<JobSnapshot?> GetAsync(JobRef job) => Client.GetAsync(job, watch: false);

    public Task<long> ReadyCountAsync() => Redis.GetDatabase().SortedSetLengthAsync(Keys.Ready);

    public Task<long> InflightCountAsync() => Redis.GetDatabase().SortedSetLengthAsync(Keys.Inflight);
}
