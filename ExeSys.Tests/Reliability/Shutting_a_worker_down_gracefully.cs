using System.Diagnostics;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// SIGTERM, the way an orchestrator stops a worker: it stops claiming, lets running jobs finish within
/// ShutdownGrace, gives back at once what did not finish (not after a lease expiry), and exits 0.
/// No controller runs in these tests, so nothing but the worker itself can put a job back on the queue.
/// </summary>
[TestFixture]
public sealed class Shutting_a_worker_down_gracefully
{
    private const string From = "graceful";

    [Test]
    public async Task Should_finish_a_short_running_job_and_exit_0()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("drain")).With("ExeSys:Worker:ShutdownGrace", "00:00:10");
        await using var deployment = await ExeSysDeployment.Build(settings).StartAsync();
        var worker = deployment.StartWorker("draining-worker");
        await deployment.WaitForWorkerAsync(worker);

        var submitted = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(From, "one-second", "sleep", "1000"));
        Assert.That(submitted.Code, Is.EqualTo(202), submitted.Text);
        await Eventually.WaitForAsync(() => deployment.StatusAsync(From, "one-second"), s => s.GetValueOrDefault("st") == "2",
            TimeSpan.FromSeconds(30), "the worker to start the job");

        worker.Terminate();
        var exit = await worker.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var job = await deployment.GetJobAsync(From, "one-second");
        var status = await deployment.StatusAsync(From, "one-second");
        await Eventually.WaitForAsync(deployment.QueueSizesAsync, s => s == (0, 0, 0), TimeSpan.FromSeconds(10), "nothing to be left queued or in flight");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.EqualTo(0), "exit code after SIGTERM");
            Assert.That(job.State, Is.EqualTo(3), "the running job finished before the worker exited");
            Assert.That(job.Attempts, Is.EqualTo(1));
            Assert.That(job.Get("data").GetProperty("slept_ms").GetInt32(), Is.EqualTo(1000));
            Assert.That(status["wk"], Is.EqualTo(worker.Name));
        }
    }

    [Test]
    public async Task Should_give_back_a_long_job_at_once_when_the_grace_runs_out_and_exit_0()
    {
        // The lease is a minute long: only the worker's own hand-back can put the job back within seconds.
        var lease = TimeSpan.FromSeconds(60);
        var settings = TestSettings.For(TestRedis.NewPrefix("giveback"))
            .With("ExeSys:Jobs:LeaseDuration", "00:01:00")
            .With("ExeSys:Worker:ShutdownGrace", "00:00:01");
        await using var deployment = await ExeSysDeployment.Build(settings).StartAsync();
        var leaving = deployment.StartWorker("leaving-worker");
        await deployment.WaitForWorkerAsync(leaving);

        var submitted = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(From, "thirty-seconds", "sleep", "30000"));
        Assert.That(submitted.Code, Is.EqualTo(202), submitted.Text);
        await Eventually.WaitForAsync(() => deployment.StatusAsync(From, "thirty-seconds"), s => s.GetValueOrDefault("st") == "2",
            TimeSpan.FromSeconds(30), "the first worker to start the job");
        var staying = deployment.StartWorker("staying-worker");
        await deployment.WaitForWorkerAsync(staying);
        Assert.That((await deployment.StatusAsync(From, "thirty-seconds"))["wk"], Is.EqualTo(leaving.Name), "the job is still on the first worker");

        var clock = Stopwatch.StartNew();
        leaving.Terminate();
        var exit = await leaving.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var exitedAfter = clock.Elapsed;
        var takenOver = await Eventually.WaitForAsync(() => deployment.StatusAsync(From, "thirty-seconds"),
            s => s.GetValueOrDefault("st") == "2" && s.GetValueOrDefault("wk") == staying.Name,
            TimeSpan.FromSeconds(20), "the other worker to pick the job up");
        var pickedUpAfter = clock.Elapsed;
        await TestContext.Out.WriteLineAsync(
            $"SIGTERM -> exit {exit} after {exitedAfter.TotalSeconds:0.00} s; the other worker had the job {pickedUpAfter.TotalSeconds:0.00} s after SIGTERM (lease {lease.TotalSeconds:0} s).");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.EqualTo(0), "exit code after SIGTERM");
            Assert.That(exitedAfter, Is.LessThan(TimeSpan.FromSeconds(6)), "grace 1 s, then cancel and hand back");
            Assert.That(pickedUpAfter, Is.LessThan(TimeSpan.FromSeconds(10)), "given back at once, not after the lease");
            Assert.That(takenOver["at"], Is.EqualTo("2"), "the cut-off attempt counts; the new one is the second");
            Assert.That(leaving.Output, Does.Contain("giving 1 unfinished job(s) back to the queue"));
        }
    }
}
