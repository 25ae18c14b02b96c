using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;

namespace ExeSys.Tests.Processes;

[TestFixture]
public sealed class Running_a_worker_process : ProcessFixture
{
    private TestSettings WorkerSettings(string id) => Settings.With("ExeSys:Worker:Id", id);

    [Test]
    public async Task Should_advertise_its_functions_and_run_jobs()
    {
        Processes.Start(ExeSysRole.Worker, "worker", WorkerSettings("proc-worker"));
        await WaitForReadyAsync(workers: 1, controllers: 0);

        var functions = await SysCmdHttp.GetAsync(Api.Client, "/functions");
        var reply = await SysCmdHttp.PostAsync(Api.Client, SysCmdHttp.Command("proc", "job-1", "test_cmd", "\"senatoremonti\""), "?wait=10s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(functions.Body.EnumerateArray().Select(f => f.GetProperty("name").GetString()), Is.SupersetOf(BuiltinFunctionNames.Original));
            Assert.That(functions.Text, Does.Contain("proc-worker"));
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Text);
            Assert.That(reply.Get("data").GetString(), Is.EqualTo("senatoremonti"));
        }
    }

    [Test]
    public async Task Should_finish_its_running_job_leave_and_exit_0_on_SIGTERM()
    {
        var worker = Processes.Start(ExeSysRole.Worker, "worker", WorkerSettings("draining-worker"));
        await WaitForReadyAsync(workers: 1, controllers: 0);
        await SysCmdHttp.PostAsync(Api.Client, SysCmdHttp.Command("proc", "long", "sleep", "1500"));
        await WaitForJobAsync("proc", "long", r => r.State == 2, TimeSpan.FromSeconds(30), "the worker to start the job");

        worker.Terminate();
        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var job = await SysCmdHttp.GetAsync(Api.Client, "/jobs/proc/long");
        var ready = await ReadyAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.Zero, worker.Output);
            Assert.That(job.State, Is.EqualTo(3), $"the running job should finish during the shutdown grace: {job.Text}");
            Assert.That(job.Attempts, Is.EqualTo(1));
            Assert.That(ready.Get("workers").GetInt32(), Is.Zero, "a stopped worker should leave the registry at once");
        }
    }

    [Test]
    public async Task Should_give_back_a_job_it_cannot_finish_within_the_grace_and_exit_0()
    {
        var worker = Processes.Start(ExeSysRole.Worker, "worker", WorkerSettings("impatient-worker").With("ExeSys:Worker:ShutdownGrace", "00:00:00.200"));
        await WaitForReadyAsync(workers: 1, controllers: 0);
        await SysCmdHttp.PostAsync(Api.Client, SysCmdHttp.Command("proc", "too-long", "sleep", "60000"));
        await WaitForJobAsync("proc", "too-long", r => r.State == 2, TimeSpan.FromSeconds(30), "the worker to start the job");

        worker.Terminate();
        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var job = await SysCmdHttp.GetAsync(Api.Client, "/jobs/proc/too-long");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.Zero, worker.Output);
            Assert.That(job.State, Is.Zero, $"the cut-off job should be back in state 0 for another worker: {job.Text}");
        }
    }
}
