using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// A worker frozen (SIGSTOP) for twice its lease has lost the job it ran: the controller took it back meanwhile. When
/// it wakes it must not run the function on to the end and only then be refused: it knows its own deadline for the
/// lease has passed (and the renewal would say the lease is gone), so the function's token is cancelled at once, within
/// one renewal interval of waking, as the function itself observes, and nothing is recorded for that attempt.
/// </summary>
[TestFixture]
public sealed class Waking_a_worker_that_lost_its_lease
{
    private const string From = "waking";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RenewalInterval = Lease / 3;

    [Test]
    public async Task Should_see_its_function_cancelled_within_one_renewal_interval_of_waking()
    {
        var modules = await LeaseProbeModule.NewModulesFolderAsync();
        var records = Directory.CreateTempSubdirectory("exesys-lease-records-").FullName;
        try
        {
            var settings = TestSettings.For(TestRedis.NewPrefix("waking"))
                .With("ExeSys:Jobs:LeaseDuration", "00:00:03")
                .With("ExeSys:Worker:ModuleStableFor", "00:00:00");
            await using var deployment = await ExeSysDeployment.Build(settings).WithModulesFolder(modules).WithController("controller").StartAsync();
            var worker = deployment.StartWorker("sleeper");
            await Eventually.WaitForAsync(deployment.Client.FunctionsAsync,
                functions => functions.Any(f => f.Name == LeaseProbeModule.Probe && f.Workers.Contains("sleeper")),
                deployment.StartTimeout, "the worker to load the lease probe module");

            var data = System.Text.Json.JsonSerializer.Serialize(new { dir = records, ms = 60_000 });
            var submitted = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(From, "long", LeaseProbeModule.Probe, data));
            Assert.That(submitted.Code, Is.EqualTo(202), submitted.Text);
            await Eventually.WaitForAsync(() => deployment.StatusAsync(From, "long"), s => s.GetValueOrDefault("st") == "2",
                TimeSpan.FromSeconds(30), "the worker to start the job");

            long thawedAt;
            Signals.Freeze(worker.Pid);
            try
            {
                await Task.Delay(Lease * 2);
                // The controller took the lease back while the worker slept.
                await Eventually.WaitForAsync(() => deployment.StatusAsync(From, "long"), s => s.GetValueOrDefault("st") == "0",
                    TimeSpan.FromSeconds(10), "the controller to take the frozen worker's job back");
            }
            finally
            {
                thawedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                Signals.Thaw(worker.Pid);
            }

            var cancelled = await Eventually.WaitForAsync(
                () => Task.FromResult(LeaseProbeModule.Records(records).Where(r => r.Attempt == 1).ToList()),
                r => r.Count > 0,
                TimeSpan.FromSeconds(10),
                "the function's first attempt to see its token cancelled");
            await Eventually.WaitForAsync(() => worker.Output.Contains("Lost the lease of waking:long attempt 1", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), "the worker to log that it lost the lease");
            var seenAfter = TimeSpan.FromMilliseconds(cancelled[0].AtMs - thawedAt);
            await TestContext.Out.WriteLineAsync($"The function saw its cancellation {seenAfter.TotalMilliseconds:0} ms after the worker was thawed.");

            using (Assert.EnterMultipleScope())
            {
                Assert.That(cancelled.Select(r => r.What), Is.All.EqualTo("cancelled"), "attempt 1 was cancelled, not run to its end");
                Assert.That(seenAfter, Is.LessThanOrEqualTo(RenewalInterval), "cancelled within one renewal interval of waking");
                Assert.That(worker.Output, Does.Not.Contain("Refused the late"), "nothing was recorded for the lost attempt");
                Assert.That(worker.HasExited, Is.False);
            }
        }
        finally
        {
            Directory.Delete(modules, recursive: true);
            Directory.Delete(records, recursive: true);
        }
    }
}
