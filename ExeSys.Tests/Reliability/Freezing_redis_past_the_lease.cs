using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// Redis frozen (SIGSTOP) for twice the lease while a worker runs jobs: no renewal gets through, and once Redis is
/// back the controller takes every lease back and the jobs run again. The worker must not go on running the old
/// attempts meanwhile: past its own deadline for each lease (one lease after the last renewal it sent that succeeded)
/// it cancels the function, before Redis is even back, so no job's function completes twice. The functions count
/// their own executions, in files, since Redis is frozen.
/// </summary>
[TestFixture]
public sealed class Freezing_redis_past_the_lease
{
    private const string From = "redisfreeze";
    private const int Jobs = 8;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    [Test]
    public async Task Should_cancel_the_running_functions_before_redis_is_back_and_complete_no_job_twice()
    {
        var modules = await LeaseProbeModule.NewModulesFolderAsync();
        var records = Directory.CreateTempSubdirectory("exesys-lease-records-").FullName;
        await using var redis = await PersistentRedis.StartAsync();
        await using var connection = await redis.ConnectAsync();
        try
        {
            var settings = TestSettings.For(TestRedis.NewPrefix("redisfreeze"))
                .With("ExeSys:Jobs:LeaseDuration", "00:00:02")
                .With("ExeSys:Worker:ModuleStableFor", "00:00:00");
            await using var deployment = await ExeSysDeployment.Build(settings)
                .OnRedis(redis.Endpoint, connection).WithModulesFolder(modules).WithController("controller").StartAsync();
            var worker = deployment.StartWorker("through-the-freeze");
            await Eventually.WaitForAsync(deployment.Client.FunctionsAsync,
                functions => functions.Any(f => f.Name == LeaseProbeModule.Probe && f.Workers.Contains("through-the-freeze")),
                deployment.StartTimeout, "the worker to load the lease probe module");

            // Each function runs for three leases: longer than the freeze, so without the worker's own deadline every
            // first attempt would go on running through it.
            var data = System.Text.Json.JsonSerializer.Serialize(new { dir = records, ms = 6_000 });
            for (var i = 0; i < Jobs; i++)
            {
                var submitted = await SysCmdHttp.PostAsync(deployment.Client, SysCmdHttp.Command(From, $"job-{i}", LeaseProbeModule.Probe, data));
                Assert.That(submitted.Code, Is.EqualTo(202), submitted.Text);
            }

            await Eventually.WaitForAsync(
                async () => (await Task.WhenAll(Enumerable.Range(0, Jobs).Select(i => deployment.StatusAsync(From, $"job-{i}")))).All(s => s.GetValueOrDefault("st") == "2"),
                TimeSpan.FromSeconds(30), "the worker to start every job");

            long thawedAt;
            redis.Freeze();
            try
            {
                await Task.Delay(Lease * 2);
            }
            finally
            {
                thawedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                redis.Thaw();
            }

            var finished = await Task.WhenAll(Enumerable.Range(0, Jobs).Select(i => deployment.WaitForJobAsync(From, $"job-{i}", TimeSpan.FromSeconds(60))));
            var seen = LeaseProbeModule.Records(records);
            if (finished.Any(r => r.State != 3))
            {
                await deployment.WriteLogsAsync();
            }

            using (Assert.EnterMultipleScope())
            {
                Assert.That(finished.Select(r => r.State), Is.All.EqualTo(3), "every job finished");
                for (var i = 0; i < Jobs; i++)
                {
                    var job = $"job-{i}";
                    Assert.That(seen.Count(r => r.JobId == job && r.What == "completed"), Is.EqualTo(1), $"{job} completed once");
                    Assert.That(seen.Where(r => r.JobId == job && r.Attempt == 1).Select(r => r.What), Is.EqualTo((string[])["cancelled"]), $"{job}'s first attempt was cancelled");
                    Assert.That(seen.Where(r => r.JobId == job && r.Attempt == 1).Select(r => r.AtMs), Is.All.LessThan(thawedAt),
                        $"{job}'s first attempt was cancelled while Redis was still frozen, before the controller could give the job out again");
                }

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
