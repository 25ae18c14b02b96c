using ExeSys.Core.Configuration;
using ExeSys.Core.History;
using ExeSys.Core.Jobs;
using ExeSys.Core.Limits;
using ExeSys.Core.Queues;
using ExeSys.Core.Redis;
using ExeSys.Core.Registry;
using ExeSys.Core.Schedules;
using ExeSys.Core.Storage;
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
    /// <param name="queues">Routing settings (ExeSys:Queues); default: every function in the queue <c>default</c>.</param>
    /// <param name="limits">The limits the client routes jobs into limited lanes by (<see cref="JobLanes"/>); publish them with <see cref="Limits"/>.</param>
    public StoreHarness(string prefix, JobOptions options, TimeProvider time, IConnectionMultiplexer? redis = null, RedisOptions? redisOptions = null, MongoOptions? mongo = null, QueueOptions? queues = null, LimitsOptions? limits = null)
    {
        Prefix = prefix;
        Keys = new RedisKeys(prefix);
        Redis = redis ?? TestRedis.Connection;
        var retention = new RetentionPolicy(Options.Create(options), Options.Create(mongo ?? new MongoOptions()));
        Retention = retention;
        var clock = new RedisClock(time);
        var topology = new RedisTopology(Redis, Options.Create(redisOptions ?? new RedisOptions()), retention);
        Routing = new QueueRouting(Options.Create(queues ?? new QueueOptions()));
        Registry = new RedisProcessRegistry(Redis, Keys);
        Offers = new OfferDirectory(Registry, Keys, time, NullLogger<OfferDirectory>.Instance);
        var queue = new RedisQueueSlot(Redis, Keys, Options.Create(options), retention, clock, Offers, Routing);
        Queue = queue;
        Lanes = new JobLanes(Options.Create(limits ?? new LimitsOptions()), Routing);
        var release = new RedisLeaseRelease(Redis, Keys, queue, retention, clock, Lanes);
        Archive = new RedisArchiveBacklog(Redis, Keys, retention, clock);
        Events = new RedisEventStore(Redis, Keys, queue, Options.Create(options), clock, Routing);
        Latches = new RedisLatchStore(Redis, Keys, queue, Options.Create(options), clock, Routing);
        Limits = new RedisLimits(Redis, Keys, Options.Create(limits ?? new LimitsOptions()), Routing);
        Client = new RedisJobClient(Redis, Keys, queue, topology, retention, clock, Archive, Routing, Lanes, Options.Create(options));
        Worker = new RedisWorkerConnection(Redis, Keys, queue, topology, retention, clock, release, Lanes, NullLogger<RedisWorkerConnection>.Instance);
        Maintenance = new RedisStoreMaintenance(Redis, Keys, queue, release, retention, clock, Routing, Lanes, Offers, NullLogger<RedisStoreMaintenance>.Instance);
        Schedules = new RedisScheduleStore(Redis, Keys, clock, Options.Create(new ScheduleOptions()));
        Workflows = new RedisWorkflowClient(Redis, Keys, queue, topology, retention, clock, Archive, Lanes, Options.Create(options));
        ScheduleFiring = new ScheduleFiring(Schedules, Client, Workflows, new RedisWorkflowDefinitions(Redis, Keys), clock,
            Options.Create(new ScheduleOptions()), Options.Create(options), NullLogger<ScheduleFiring>.Instance);
    }

    /// <summary>The schedules in Redis, on the harness's clock.</summary>
    public RedisScheduleStore Schedules { get; }

    public RedisWorkflowClient Workflows { get; }

    /// <summary>One controller's schedule pass (<see cref="ScheduleFiring.RunOnceAsync"/>), on the harness's clock.</summary>
    public ScheduleFiring ScheduleFiring { get; }

    public string Prefix { get; }

    /// <summary>The lanes jobs wait in under the harness's limits.</summary>
    public JobLanes Lanes { get; }

    /// <summary>The functions the harness's workers offer when a test names none: those the store tests submit.</summary>
    public static readonly IReadOnlyList<string> Functions = ["echo", "sleep", "wait_event", "noop", "fail"];

    public QueueRouting Routing { get; }

    /// <summary>The limits in Redis: publish the harness's (as the controller does), read them back.</summary>
    public RedisLimits Limits { get; }

    public RedisProcessRegistry Registry { get; }

    public OfferDirectory Offers { get; }

    public RedisQueueSlot Queue { get; }

    /// <summary>A worker of the default queue offering <see cref="Functions"/>.</summary>
    public static WorkerOffer Offer { get; } = new([QueueKeys.DefaultName], Functions);

    /// <summary>
    /// Advertises a worker in the registry, as its heartbeat does: its queues, functions and offer signature, so
    /// enqueues may hand it jobs of those functions.
    /// </summary>
    public Task AdvertiseAsync(string workerId, WorkerOffer? offer = null)
    {
        offer ??= Offer;
        return Registry.HeartbeatAsync(
            new ProcessAdvert(workerId, "worker", "test", Environment.ProcessId, DateTimeOffset.UnixEpoch, offer.Functions, 1, 0, Queues: offer.Queues, Signature: offer.Signature),
            TimeSpan.FromMinutes(5));
    }

    /// <summary>The worker waits for a handoff in the default queue, advertised first (<see cref="AdvertiseAsync"/>).</summary>
    public async Task WaitForHandoffAsync(string workerId, TimeSpan wait, WorkerOffer? offer = null)
    {
        offer ??= Offer;
        if (wait > TimeSpan.Zero)
        {
            await AdvertiseAsync(workerId, offer);
        }

        await Worker.WaitForHandoffAsync(workerId, QueueKeys.DefaultName, offer.Signature, wait);
    }

    /// <summary>A claim from the default queue by a worker offering <see cref="Functions"/> and every function with waiting jobs.</summary>
    public async Task<ClaimBatch> ClaimBatchAsync(string workerId, int max, TimeSpan handoffWait = default)
    {
        var waiting = await Redis.GetDatabase().SortedSetRangeByRankAsync(Keys.Default.Lanes);
        var offer = new WorkerOffer([QueueKeys.DefaultName], Functions.Concat(waiting.Select(w => (string)w!)));
        // The idle set is the one of the harness's standard offer, where AdvertiseAsync says it waits.
        return await Worker.ClaimAsync(workerId, offer.Signature == Offer.Signature ? offer : offer, QueueKeys.DefaultName, max, handoffWait);
    }

    public Task<IReadOnlyList<ClaimedJob>> StartHandedOffAsync(string workerId, JobRef job) => Worker.StartHandedOffAsync(workerId, QueueKeys.DefaultName, job);

    public RedisKeys Keys { get; }

    public IConnectionMultiplexer Redis { get; }

    public RetentionPolicy Retention { get; }

    /// <summary>wait_event's side (a job's look) and the API's (a post).</summary>
    public RedisEventStore Events { get; }

    /// <summary>The latches of wait_acquire, wait_release and wait_countdown.</summary>
    public RedisLatchStore Latches { get; }

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

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string workerId, int max) => (await ClaimBatchAsync(workerId, max)).Jobs;

    public Task<bool> CompleteAsync(ClaimedJob job, string resultJson) => Worker.CompleteAsync(job, resultJson, []);

    public Task<bool> FailAsync(ClaimedJob job, string message) => Worker.FailAsync(job, message, retryAt: null);

    public Task<JobSnapshot?> GetAsync(JobRef job) => Client.GetAsync(job, watch: false);

    public Task<long> ReadyCountAsync() => Redis.GetDatabase().ReadyCountAsync(Keys.Default);

    /// <summary>The default queue's idle sets' sizes, summed over every offer signature.</summary>
    public Task<long> IdleCountAsync() => Redis.GetDatabase().SortedSetLengthAsync(Keys.Default.Idle(Offer.Signature));

    public Task<long> InflightCountAsync() => Redis.GetDatabase().SortedSetLengthAsync(Keys.Inflight);
}
