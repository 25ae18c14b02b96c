using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Processes;

/// <summary>A worker process killed (SIGKILL) while it runs a job: the lease expires, the controller requeues the job, another worker runs it.</summary>
[TestFixture]
public sealed class Killing_a_worker_mid_job : ProcessFixture
{
    protected override TestSettings Configure(TestSettings settings) => settings.With("ExeSys:Jobs:LeaseDuration", "00:00:02");

    [Test]
    public async Task Should_have_another_worker_run_the_job_after_the_lease_expires()
    {
        var doomed = Processes.Start(ExeSysRole.Worker, "doomed-worker", Settings.With("ExeSys:Worker:Id", "doomed"));
        await WaitForReadyAsync(workers: 1, controllers: 0);
        await SysCmdHttp.PostAsync(Api.Client, SysCmdHttp.Command("crash", "survivor", "sleep", "1000"));
        await WaitForJobAsync("crash", "survivor", r => r.State == 2, TimeSpan.FromSeconds(30), "the doomed worker to start the job");

        doomed.Crash();
        await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Processes.Start(ExeSysRole.Worker, "rescuer-worker", Settings.With("ExeSys:Worker:Id", "rescuer"));
        Processes.Start(ExeSysRole.Controller, "controller", Settings);

        var done = await WaitForJobAsync("crash", "survivor", r => r.State == 3, ProcessStartTimeout, "another worker to finish the job");
        var store = new StoreHarness(Settings.Prefix, new JobOptions(), TimeProvider.System);
        var snapshot = await store.GetAsync(new JobRef("crash", "survivor"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(done.Attempts, Is.EqualTo(2), "one attempt on the killed worker, one on the rescuer");
            Assert.That(done.Get("data").GetProperty("slept_ms").GetInt32(), Is.EqualTo(1000));
            Assert.That(snapshot!.Worker, Is.EqualTo("rescuer"));
        }
    }
}
