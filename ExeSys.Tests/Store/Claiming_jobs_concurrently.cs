using System.Collections.Concurrent;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// Many claimers on separate connections race for the same queue. The claim (queue_claim.lua then job_start.lua)
/// and the finish (job_finish.lua) are atomic, so every job must be claimed once, run once and finish once.
/// </summary>
[TestFixture]
public sealed class Claiming_jobs_concurrently
{
    private const int Jobs = 2000;
    private const int Claimers = 8;
    private readonly ConcurrentDictionary<JobRef, int> _claims = new();
    private readonly ConcurrentDictionary<string, int> _perWorker = new();
    private readonly ConcurrentBag<string> _refusedFinishes = [];
    private StoreHarness _store = null!;
    private readonly List<ConnectionMultiplexer> _connections = [];
    private readonly Dictionary<JobRef, string> _data = [];

    [OneTimeSetUp]
    public async Task Submit_and_race_claimers()
    {
        var options = new JobOptions { LeaseDuration = TimeSpan.FromMinutes(5) };
        _store = new StoreHarness(TestRedis.NewPrefix("claims"), options, TimeProvider.System);
        for (var i = 0; i < Jobs; i++)
        {
            _data[new JobRef("racer", $"job-{i}")] = $$"""{"i":{{i}},"s":"payload-{{i}}"}""";
        }

        await Task.WhenAll(_data.Select(d => _store.SubmitAsync(StoreHarness.Command(d.Key.From, d.Key.JobId, d.Value))));

        for (var i = 0; i < 4; i++)
        {
            _connections.Add(await TestRedis.ConnectAsync());
        }

        var seed = Environment.TickCount;
        await TestContext.Out.WriteLineAsync($"random seed {seed}");
        await Task.WhenAll(Enumerable.Range(0, Claimers).Select(n =>
            Task.Run(() => ClaimUntilEmptyAsync(_store.On(_connections[n % _connections.Count], options, TimeProvider.System), $"worker-{n}", new Random(seed + n)))));
        foreach (var connection in _connections)
        {
            // Inflight entries are dropped fire-and-forget after each finish; a PING behind them on the same connection flushes them.
            await connection.GetDatabase().PingAsync();
        }
    }

    [OneTimeTearDown]
    public async Task Close()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private async Task ClaimUntilEmptyAsync(StoreHarness store, string workerId, Random random)
    {
        while (true)
        {
            var claimed = await store.ClaimAsync(workerId, random.Next(1, 65));
            if (claimed.Count == 0)
            {
                return; // Every job was queued before the race began, so an empty claim means an empty queue.
            }

            foreach (var job in claimed)
            {
                _claims.AddOrUpdate(job.Job, 1, (_, n) => n + 1);
                _perWorker.AddOrUpdate(workerId, 1, (_, n) => n + 1);
            }

            var finished = await Task.WhenAll(claimed.Select(job => store.CompleteAsync(job, job.DataJson)));
            for (var i = 0; i < claimed.Count; i++)
            {
                if (!finished[i])
                {
                    _refusedFinishes.Add($"{claimed[i].Job} attempt {claimed[i].Attempt}");
                }
            }
        }
    }

    [Test]
    public async Task Should_claim_every_job_exactly_once()
    {
        await TestContext.Out.WriteLineAsync($"claims per worker: {string.Join(", ", _perWorker.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_claims, Has.Count.EqualTo(Jobs), "jobs claimed at least once");
            Assert.That(_claims.Where(c => c.Value != 1).Select(c => $"{c.Key} x{c.Value}"), Is.Empty, "jobs claimed more than once");
            Assert.That(_perWorker.Values.Sum(), Is.EqualTo(Jobs));
            Assert.That(_refusedFinishes, Is.Empty, "a valid claim's result was refused");
        }
    }

    [Test]
    public async Task Should_finish_every_job_in_state_3_after_one_attempt_with_its_own_result()
    {
        var snapshots = await Task.WhenAll(_data.Keys.Select(_store.GetAsync));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(snapshots, Has.None.Null, "a job was lost");
            Assert.That(snapshots.Where(s => s!.State != JobState.DataAvailable).Select(s => $"{s!.Job} {s.State}"), Is.Empty);
            Assert.That(snapshots.Where(s => s!.Attempts != 1).Select(s => $"{s!.Job} attempts {s.Attempts}"), Is.Empty);
            Assert.That(snapshots.Where(s => s!.ResultJson != _data[s.Job]).Select(s => $"{s!.Job}: {s.ResultJson}"), Is.Empty);
        }
    }

    [Test]
    public async Task Should_leave_the_queue_and_the_leases_empty()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await _store.ReadyCountAsync(), Is.Zero);
            Assert.That(await _store.InflightCountAsync(), Is.Zero);
        }
    }
}
