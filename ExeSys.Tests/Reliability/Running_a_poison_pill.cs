using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// A poison pill: a job whose function kills every worker that runs it (here Environment.FailFast, as a stack overflow,
/// an out-of-memory kill or a native crash would). Each lost lease is a failed attempt, so after MaxAttempts the job
/// ends in state 4 with an error that says its worker was lost that many times, instead of taking a worker down with
/// every lease for ever, and the workers left keep serving other jobs. Real processes: an API, a controller and three
/// workers, of which the pill kills two.
/// </summary>
[TestFixture]
public sealed class Running_a_poison_pill
{
    private const string From = "poison";
    private static readonly string[] WorkerIds = ["pill-a", "pill-b", "pill-c"];

    [Test]
    public async Task Should_fail_the_job_after_max_attempts_while_the_fleet_keeps_serving_other_jobs()
    {
        var modules = await LeaseProbeModule.NewModulesFolderAsync();
        try
        {
            var settings = TestSettings.For(TestRedis.NewPrefix("poison"))
                .With("ExeSys:Jobs:LeaseDuration", "00:00:02")
                .With("ExeSys:Jobs:MaxAttempts", "2")
                .With("ExeSys:Worker:ModuleStableFor", "00:00:00");
            await using var deployment = await ExeSysDeployment.Build(settings).WithModulesFolder(modules).WithController("controller").StartAsync();
            var workers = WorkerIds.Select(id => deployment.StartWorker(id)).ToList();
            await Eventually.WaitForAsync(deployment.Client.FunctionsAsync,
                functions => functions.Any(f => f.Name == LeaseProbeModule.FailFast && WorkerIds.All(f.Workers.Contains)),
                deployment.StartTimeout, "every worker to load the fail_fast module");

            var pill = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(From, "pill", LeaseProbeModule.FailFast, "null"));
            Assert.That(pill.Code, Is.EqualTo(202), pill.Text);

            // Other jobs, one after another, while the pill takes workers down: each must be served.
            var served = new List<Reply>();
            var failed = await Eventually.WaitForAsync(
                async () =>
                {
                    served.Add(await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(From, $"other-{served.Count}", "echo", "1"), "?wait=10s"));
                    return await deployment.GetJobAsync(From, "pill");
                },
                r => r.State == 4,
                TimeSpan.FromSeconds(60),
                "the poison pill to fail");
            var status = await deployment.StatusAsync(From, "pill");
            var after = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(From, "after", "echo", "1"), "?wait=10s");
            await Task.Delay(TimeSpan.FromSeconds(3));
            var queues = await deployment.QueueSizesAsync();
            if (failed.State != 4 || after.Code != 200)
            {
                await deployment.WriteLogsAsync();
            }

            using (Assert.EnterMultipleScope())
            {
                Assert.That(failed.Attempts, Is.EqualTo(2));
                Assert.That(failed.Get("error").GetString(), Does.EndWith("its worker was lost 2 times, and no attempts remain"));
                Assert.That(failed.Get("errors").GetArrayLength(), Is.EqualTo(2), failed.Text);
                Assert.That(failed.Get("errors")[0].GetString(), Does.Match("^worker pill-[abc] was lost at attempt 1 \\(its lease expired\\)$"));
                Assert.That(status["st"], Is.EqualTo("4"));
                Assert.That(workers.Count(w => w.HasExited), Is.EqualTo(2), "the pill killed one worker per attempt, and no more");
                Assert.That(served.Select(r => r.Code), Is.All.EqualTo(200), "every other job was served meanwhile");
                Assert.That(after.Code, Is.EqualTo(200), after.Text);
                Assert.That(queues, Is.EqualTo((0L, 0L, 0L)), "the pill is neither queued nor leased again");
            }
        }
        finally
        {
            Directory.Delete(modules, recursive: true);
        }
    }
}
