using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// A release at zero is several calls: count down (the latch's slot), then tell each waiter (its job's slot) and wake it
/// (the queue's). When the releasing process dies after the first call, no waiter is woken; and a latch whose last hold
/// lapses reaches zero with no release at all. Either way a wait_countdown only waits longer, never for ever: it looks
/// again within ExeSys:Jobs:LatchRecheck (1 s here) and finds the zero. Real API, controller and worker processes.
/// </summary>
[TestFixture]
public sealed class Losing_a_latchs_wake_up
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);
    private ExeSysDeployment _deployment = null!;

    [OneTimeSetUp]
    public async Task Start_exesys_with_a_one_second_recheck()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("latchcut")).With("ExeSys:Jobs:LatchRecheck", "00:00:01");
        _deployment = await ExeSysDeployment.Build(settings).WithController("latchcut-controller").WithWorker("latchcut-worker")
            .WaitForRegistration().WaitForFunctions("wait_countdown").StartAsync();
    }

    [OneTimeTearDown]
    public Task Stop_everything() => _deployment.DisposeAsync().AsTask();

    [Test]
    public async Task Should_finish_a_countdown_whose_release_died_before_waking_it()
    {
        var (latch, countdownId) = (NewId("cut"), NewId("countdown"));
        await RunAsync(NewId("acquire"), "wait_acquire", $$"""{"name":"{{latch}}","holder":"only"}""");
        await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("latchcut", countdownId, "wait_countdown", $"\"{latch}\""));
        await WaitForWaiterAsync(countdownId);

        // What the release's first call does (its holder leaves the latch), and nothing after it.
        var db = _deployment.Redis.GetDatabase();
        var cut = await db.SortedSetRemoveAsync(_deployment.Keys.LatchHolders(latch), "only");
        var done = await _deployment.WaitForJobAsync("latchcut", countdownId, Within);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cut, Is.True);
            Assert.That((done.State, done.Get("data").GetProperty("count").GetInt32()), Is.EqualTo((3, 0)), done.Text);
            Assert.That(await db.KeyExistsAsync(_deployment.Keys.LatchWaiters(latch)), Is.False, "the look that found the zero removed its waiter");
        }
    }

    [Test]
    public async Task Should_finish_a_countdown_once_the_last_hold_has_lapsed_without_a_release()
    {
        var (latch, countdownId) = (NewId("lapse"), NewId("countdown"));
        var acquired = await RunAsync(NewId("acquire"), "wait_acquire", $$"""{"name":"{{latch}}","hold_ms":5000}""");
        await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("latchcut", countdownId, "wait_countdown", $"\"{latch}\""));
        var waiting = await _deployment.WaitForJobAsync("latchcut", countdownId, r => r.State is 1 or 3, Within, "the countdown to wait or finish");

        var done = await _deployment.WaitForJobAsync("latchcut", countdownId, Within);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(acquired.Get("data").GetProperty("count").GetInt32(), Is.EqualTo(1), acquired.Text);
            Assert.That(waiting.State, Is.EqualTo(1), "the hold still counted when the countdown first looked: " + waiting.Text);
            Assert.That(done.State, Is.EqualTo(3), done.Text);
            Assert.That(await _deployment.Redis.GetDatabase().KeyExistsAsync(_deployment.Keys.LatchHolders(latch)), Is.False, "the lapsed hold took the latch's key with it");
        }
    }

    private async Task<Reply> RunAsync(string id, string cmd, string dataJson)
    {
        await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("latchcut", id, cmd, dataJson));
        return await _deployment.WaitForJobAsync("latchcut", id, Within);
    }

    private Task<Reply> WaitForWaiterAsync(string countdownId) =>
        _deployment.WaitForJobAsync("latchcut", countdownId, r => r.State == 1, Within, "wait_countdown to defer itself");

    private static string NewId(string hint) => $"{hint}-{Guid.NewGuid():N}";
}
