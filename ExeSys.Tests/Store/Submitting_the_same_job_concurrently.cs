using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>Submit-if-new is one Lua script: of many simultaneous submits of one new job id, exactly one creates it.</summary>
[TestFixture]
public sealed class Submitting_the_same_job_concurrently
{
    private const int Submitters = 50;
    private readonly List<ConnectionMultiplexer> _connections = [];

    [OneTimeSetUp]
    public async Task Open_connections()
    {
        for (var i = 0; i < 5; i++)
        {
            _connections.Add(await TestRedis.ConnectAsync());
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

    private async Task<(StoreHarness Store, SubmitOutcome[] Outcomes)> RaceAsync(Func<int, JobCommand> command)
    {
        var options = new JobOptions();
        var store = new StoreHarness(TestRedis.NewPrefix("same"), options, TimeProvider.System);
        var stores = _connections.Select(c => store.On(c, options, TimeProvider.System)).ToArray();
        using var start = new ManualResetEventSlim();
        var racers = Enumerable.Range(0, Submitters).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await stores[i % stores.Length].SubmitAsync(command(i));
        })).ToArray();
        start.Set();
        return (store, await Task.WhenAll(racers));
    }

    [Test]
    public async Task Should_create_exactly_one_job_from_identical_submits()
    {
        var (store, outcomes) = await RaceAsync(_ => StoreHarness.Command("twin", "one", """{"same":true}"""));

        var snapshot = await store.GetAsync(new JobRef("twin", "one"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes.Count(o => o.Status == SubmitStatus.Created), Is.EqualTo(1));
            Assert.That(outcomes.Count(o => o.Status == SubmitStatus.Existing), Is.EqualTo(Submitters - 1));
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(1), "the job was queued more than once");
            Assert.That(snapshot!.State, Is.EqualTo(JobState.Start));
            Assert.That(snapshot.Attempts, Is.Zero);
        }
    }

    [Test]
    public async Task Should_keep_the_first_of_conflicting_submits_and_refuse_the_rest()
    {
        var (store, outcomes) = await RaceAsync(i => StoreHarness.Command("twin", "contested", $$"""{"submitter":{{i}}}"""));

        var created = outcomes.Where(o => o.Status == SubmitStatus.Created).ToList();
        var snapshot = await store.GetAsync(new JobRef("twin", "contested"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(created, Has.Count.EqualTo(1));
            Assert.That(outcomes.Count(o => o.Status == SubmitStatus.Conflict), Is.EqualTo(Submitters - 1));
            Assert.That(snapshot!.DataJson, Is.EqualTo(created.Single().Snapshot!.DataJson), "a losing submit overwrote the job");
            Assert.That(outcomes.Where(o => o.Status == SubmitStatus.Conflict).Select(o => o.Snapshot!.DataJson), Is.All.EqualTo(snapshot.DataJson));
            Assert.That(await store.ReadyCountAsync(), Is.EqualTo(1));
        }
    }
}
