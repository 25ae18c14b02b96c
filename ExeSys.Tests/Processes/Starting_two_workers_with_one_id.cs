using System.Diagnostics;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.Processes;

/// <summary>
/// ExeSys:Worker:Id names a worker's own channel, on which a submit starts jobs for it directly: two live workers
/// with one id would both run every such job. The second is refused at start, with a message and exit code 3. A
/// worker restarted with the id of one that crashed still starts, once the dead one's heartbeat has lapsed
/// (3 × HeartbeatInterval at most).
/// </summary>
[TestFixture]
public sealed class Starting_two_workers_with_one_id
{
    private static TestSettings Settings(string prefix) =>
        TestSettings.For(TestRedis.NewPrefix(prefix)).With("ExeSys:Worker:HeartbeatInterval", "00:00:00.500");

    [Test]
    public async Task Should_refuse_the_second_worker_with_a_message_and_exit_code_3()
    {
        await using var deployment = await ExeSysDeployment.Build(Settings("twins")).StartAsync();
        var first = deployment.StartWorker("twin");
        await deployment.WaitForWorkerAsync(first);

        var second = deployment.Processes.Start(ExeSysRole.Worker, "twin-second", deployment.Settings.With("ExeSys:Worker:Id", "twin"));
        var exit = await second.WaitForExitAsync(ExeSysDeployment.ProcessStartTimeout);
        var job = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command("twins", "after", "echo", "1"), "?wait=10s");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.EqualTo(3), $"the second worker's exit code:{Environment.NewLine}{second.Output}");
            Assert.That(second.Output, Does.Contain("Worker id twin is already taken by another live worker process"));
            Assert.That(second.Output, Does.Contain("ExeSys:Worker:Id must be unique"));
            Assert.That(first.HasExited, Is.False, "the first worker carries on");
            Assert.That(job.Code, Is.EqualTo(200), job.Text);
            Assert.That((await deployment.StatusAsync("twins", "after"))["wk"], Is.EqualTo("twin"));
        }
    }

    [Test]
    public async Task Should_start_a_worker_with_the_id_of_one_that_crashed_once_its_heartbeat_lapses()
    {
        await using var deployment = await ExeSysDeployment.Build(Settings("phoenix")).StartAsync();
        var dead = deployment.StartWorker("phoenix");
        await deployment.WaitForWorkerAsync(dead);
        dead.Crash();
        await dead.WaitForExitAsync(TimeSpan.FromSeconds(10));

        var clock = Stopwatch.StartNew();
        var restarted = deployment.Processes.Start(ExeSysRole.Worker, "phoenix-again", deployment.Settings.With("ExeSys:Worker:Id", "phoenix"));
        // Until it has joined, the id's channel has no listener: a job a submit started for the dead worker's idle wait
        // would wait for its lease (there is no controller here), so the job is sent once the new worker runs.
        await Eventually.WaitForAsync(
            () => restarted.HasExited
                ? throw new InvalidOperationException($"The restarted worker exited with {restarted.ExitCode}:{Environment.NewLine}{restarted.Output}")
                : restarted.Output.Contains("Worker phoenix started", StringComparison.Ordinal),
            ExeSysDeployment.ProcessStartTimeout,
            "the restarted worker to start");
        var job = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command("phoenix", "reborn", "echo", "1"), "?wait=10s");
        await TestContext.Out.WriteLineAsync($"The restarted worker ran a job {clock.Elapsed.TotalSeconds:0.0} s after it was started.");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.Code, Is.EqualTo(200), job.Text);
            Assert.That(restarted.HasExited, Is.False);
            Assert.That((await deployment.StatusAsync("phoenix", "reborn"))["wk"], Is.EqualTo("phoenix"));
        }
    }
}
