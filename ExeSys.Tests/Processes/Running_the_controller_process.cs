using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Processes;

[TestFixture]
public sealed class Running_the_controller_process : ProcessFixture
{
    [Test]
    public async Task Should_heartbeat_and_take_back_an_expired_lease()
    {
        // A job claimed by a worker that then vanished: nobody renews its one-second lease.
        var store = new StoreHarness(Settings.Prefix, new JobOptions { LeaseDuration = TimeSpan.FromSeconds(1) }, TimeProvider.System);
        var job = new JobRef("orphans", "abandoned");
        await store.SubmitAsync(StoreHarness.Command(job.From, job.JobId));
        await store.ClaimAsync("vanished-worker", 1);

        Processes.Start(ExeSysRole.Controller, "controller", Settings);

        var ready = await WaitForReadyAsync(workers: 0, controllers: 1);
        // Recovery is two scripts (the job's slot, then the queue's), so the test waits for both to have run.
        var recovered = await Eventually.WaitForAsync(
            async () => (Job: await store.GetAsync(job), Ready: await store.ReadyCountAsync(), Inflight: await store.InflightCountAsync()),
            s => s.Job?.State == JobState.Start && s.Ready == 1 && s.Inflight == 0,
            ProcessStartTimeout,
            "the controller to put the abandoned job back on the queue (state 0, queued, lease gone)");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ready.Get("controllers").GetInt32(), Is.EqualTo(1));
            Assert.That(recovered.Job!.Worker, Is.Null);
        }
    }

    [Test]
    public async Task Should_leave_the_registry_and_exit_0_on_SIGTERM()
    {
        var controller = Processes.Start(ExeSysRole.Controller, "controller", Settings);
        await WaitForReadyAsync(workers: 0, controllers: 1);

        controller.Terminate();
        var exitCode = await controller.WaitForExitAsync(TimeSpan.FromSeconds(20));

        var after = await ReadyAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.Zero, controller.Output);
            Assert.That(after.Get("controllers").GetInt32(), Is.Zero, "a stopped controller should leave the registry at once");
            Assert.That(controller.Output, Does.Contain("stopped"));
        }
    }
}
