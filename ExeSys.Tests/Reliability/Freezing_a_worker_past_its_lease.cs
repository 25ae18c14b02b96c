using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// A worker that freezes (SIGSTOP: a GC pause, a suspended VM) while it runs a job stops renewing the lease. The
/// controller gives the job to another worker, which finishes it. When the frozen worker wakes it knows its lease is
/// lost (its own deadline for it passed while it was frozen), so it records nothing for its attempt, not even a late
/// result for the fence to refuse: the result stays the one the second worker recorded.
/// </summary>
[TestFixture]
public sealed class Freezing_a_worker_past_its_lease
{
    private const string From = "frozen";
    private const string JobId = "sleeps-3s";

    [Test]
    public async Task Should_have_another_worker_finish_the_job_and_the_frozen_worker_record_nothing()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("frozen")).With("ExeSys:Jobs:LeaseDuration", "00:00:02");
        await using var deployment = await ExeSysDeployment.Build(settings).StartAsync();
        var frozen = deployment.StartWorker("worker-a");
        deployment.StartController("controller");
        await deployment.WaitForWorkerAsync(frozen);

        var submitted = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(From, JobId, "sleep", "3000"));
        Assert.That(submitted.Code, Is.EqualTo(202), submitted.Text);
        await Eventually.WaitForAsync(() => deployment.StatusAsync(From, JobId), s => s.GetValueOrDefault("st") == "2",
            TimeSpan.FromSeconds(30), "worker A to start the job");

        Dictionary<string, string> finishedByB;
        string? resultOfB;
        Signals.Freeze(frozen.Pid);
        try
        {
            var rescuer = deployment.StartWorker("worker-b");
            var done = await deployment.WaitForJobAsync(From, JobId, r => r.State == 3, ExeSysDeployment.ProcessStartTimeout,
                "worker B to finish the job after A's lease expired");
            finishedByB = await deployment.StatusAsync(From, JobId);
            resultOfB = await deployment.DataAvailableAsync(From, JobId);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(done.Attempts, Is.EqualTo(2), "A's attempt, then B's");
                Assert.That(finishedByB["wk"], Is.EqualTo(rescuer.Name));
                Assert.That(done.Get("data").GetProperty("slept_ms").GetInt32(), Is.EqualTo(3000));
            }
        }
        finally
        {
            Signals.Thaw(frozen.Pid);
        }

        // A's sleep ended long ago, but so did its lease: on waking it drops the attempt instead of recording it.
        await Eventually.WaitForAsync(() => frozen.Output.Contains($"Lost the lease of {From}:{JobId} attempt 1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "worker A to log that it lost the lease");
        var after = await deployment.StatusAsync(From, JobId);
        var reply = await deployment.GetJobAsync(From, JobId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(frozen.Output, Does.Not.Contain("Refused the late"), "A tried to record nothing");
            Assert.That(after["st"], Is.EqualTo("3"));
            Assert.That(after["at"], Is.EqualTo("2"));
            Assert.That(after["wk"], Is.EqualTo("worker-b"), "the recorded result is still B's");
            Assert.That(after["ft"], Is.EqualTo(finishedByB["ft"]), "the finish time was not rewritten");
            Assert.That(await deployment.DataAvailableAsync(From, JobId), Is.EqualTo(resultOfB));
            Assert.That(reply.State, Is.EqualTo(3));
            Assert.That(reply.Attempts, Is.EqualTo(2));
            Assert.That(frozen.HasExited, Is.False, "the frozen worker carries on after its refused result");
        }
    }
}
