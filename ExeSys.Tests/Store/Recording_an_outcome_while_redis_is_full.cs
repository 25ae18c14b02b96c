using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// At maxmemory with noeviction, Redis refuses every write with "OOM command not allowed". A worker that finished a
/// job then must not drop its result (the job would run again after its lease): recording retries with backoff while
/// the lease holds, and records the outcome once memory is freed. It stops when the worker says the lease is lost.
/// Each test runs on a redis-server of its own, since it fills that server's memory.
/// </summary>
[TestFixture]
public sealed class Recording_an_outcome_while_redis_is_full
{
    private RedisServer _server = null!;
    private ConnectionMultiplexer _connection = null!;
    private StoreHarness _store = null!;

    [SetUp]
    public async Task Start_a_redis_of_its_own()
    {
        _server = await RedisServer.StartAsync(TimeSpan.FromSeconds(20));
        _connection = await ConnectionMultiplexer.ConnectAsync(_server.Endpoint);
        _store = new StoreHarness(TestRedis.NewPrefix("full"), new JobOptions { LeaseDuration = TimeSpan.FromMinutes(1) }, TimeProvider.System, _connection);
    }

    [TearDown]
    public async Task Stop_it()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Task<RedisResult> SetMaxMemoryAsync(string bytes) => _connection.GetDatabase().ExecuteAsync("CONFIG", "SET", "maxmemory", bytes);

    private async Task<ClaimedJob> Claim_a_job(string jobId)
    {
        await _store.SubmitAsync(StoreHarness.Command("full", jobId));
        return (await _store.ClaimAsync("worker", 1)).Single();
    }

    [Test]
    public async Task Should_keep_retrying_the_result_and_record_it_once_memory_is_freed()
    {
        var claimed = await Claim_a_job("retried");
        await SetMaxMemoryAsync("1");
        Task<bool> recording;
        bool stillTrying;
        try
        {
            recording = _store.Worker.CompleteAsync(claimed, "\"done\"", []);
            stillTrying = await Task.WhenAny(recording, Task.Delay(TimeSpan.FromSeconds(1.5))) != recording;
        }
        finally
        {
            await SetMaxMemoryAsync("0");
        }

        var recorded = await recording.WaitAsync(TimeSpan.FromSeconds(20));
        var final = await _store.GetAsync(claimed.Job);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stillTrying, Is.True, "recording gave up (or succeeded) while Redis refused every write");
            Assert.That(recorded, Is.True);
            Assert.That(final!.State, Is.EqualTo(JobState.DataAvailable));
            Assert.That(final.ResultJson, Is.EqualTo("\"done\""));
            Assert.That(final.Attempts, Is.EqualTo(1), "recorded at the first attempt");
        }
    }

    [Test]
    public async Task Should_stop_retrying_when_the_lease_is_lost_and_record_nothing()
    {
        var claimed = await Claim_a_job("lost");
        await SetMaxMemoryAsync("1");
        using var lost = new CancellationTokenSource();
        Task<bool> recording;
        try
        {
            recording = _store.Worker.FailAsync(claimed, "boom", retryAt: null, lost.Token);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            await lost.CancelAsync();
            Assert.That(async () => await recording.WaitAsync(TimeSpan.FromSeconds(10)), Throws.InstanceOf<OperationCanceledException>());
        }
        finally
        {
            await SetMaxMemoryAsync("0");
        }

        var after = await _store.GetAsync(claimed.Job);
        Assert.That(after!.State, Is.EqualTo(JobState.Processing), "nothing recorded: the job waits for its lease to expire");
    }
}
