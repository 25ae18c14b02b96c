using System.Globalization;
using ExeSys.Core.Configuration;
using ExeSys.Core.Jobs;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Reliability;

/// <summary>
/// Races that must end with one job and one result: many clients sending the same new job at the same instant, and
/// a worker recording its result at the very moment the controller decides its lease has expired.
/// </summary>
[TestFixture]
public sealed class Racing_on_one_job
{
    private const int Senders = 50;
    private const int Rounds = 10;

    [Test]
    public async Task Should_create_and_run_one_job_when_fifty_clients_send_it_at_once()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("resend"));
        await using var deployment = await ExeSysDeployment.Build(settings).StartAsync();
        var worker = deployment.StartWorker("race-worker");
        await deployment.WaitForWorkerAsync(worker);

        // One connection per sender, opened beforehand, so the fifty requests really arrive together.
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => SysCmdHttp.GetAsync(deployment.Client, "/health/live")));

        for (var round = 0; round < Rounds; round++)
        {
            var jobId = $"same-job-{round.ToString(CultureInfo.InvariantCulture)}";
            var command = SysCmdHttp.Command("racer", jobId, "echo", $"{{\"round\":{round.ToString(CultureInfo.InvariantCulture)}}}");
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var sends = Enumerable.Range(0, Senders).Select(async _ =>
            {
                await go.Task;
                return await SysCmdHttp.PostAsync(deployment.Client, command);
            }).ToList();
            go.SetResult();
            var replies = await Task.WhenAll(sends);

            var done = await deployment.WaitForJobAsync("racer", jobId, r => r.State == 3, TimeSpan.FromSeconds(30), $"job {jobId} to finish");
            var status = await deployment.StatusAsync("racer", jobId);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(replies.Select(r => r.Code), Is.All.EqualTo(202).Or.EqualTo(200), string.Join(Environment.NewLine, replies.Where(r => r.Code is not (200 or 202))));
                Assert.That(replies.Count(r => r.Location is not null), Is.EqualTo(1), "exactly one send created the job (only that reply carries Location)");
                Assert.That(done.Attempts, Is.EqualTo(1), "the job ran once");
                Assert.That(status["at"], Is.EqualTo("1"));
                Assert.That(done.Get("data").GetProperty("round").GetInt32(), Is.EqualTo(round));
            }
        }

        await Eventually.WaitForAsync(deployment.QueueSizesAsync, s => s == (0, 0, 0), TimeSpan.FromSeconds(10), "nothing to be left queued or in flight");
    }

    /// <summary>
    /// Two hundred claimed jobs whose leases have just run out: each worker's completion and the controller's recovery
    /// are sent at the same moment, on two connections. Whichever wins, every job ends in state 3 with one result:
    /// either the first attempt's (the recovery then only drops the lease) or, if the recovery came first, the
    /// first attempt's completion is refused and a second claim's result is the one recorded.
    /// </summary>
    [Test]
    public async Task Should_record_exactly_one_result_when_a_completion_races_a_lease_expiry()
    {
        const int jobs = 200;
        var options = new JobOptions { LeaseDuration = TimeSpan.FromSeconds(1) };
        await using var workerConnection = await TestRedis.ConnectAsync();
        await using var controllerConnection = await TestRedis.ConnectAsync();
        var setup = new StoreHarness(TestRedis.NewPrefix("expiry"), options, TimeProvider.System);
        var worker = setup.On(workerConnection, options, TimeProvider.System);
        var controller = setup.On(controllerConnection, options, TimeProvider.System);

        var refs = Enumerable.Range(0, jobs).Select(i => new JobRef("racer", $"lease-{i.ToString(CultureInfo.InvariantCulture)}")).ToList();
        foreach (var job in refs)
        {
            await setup.SubmitAsync(StoreHarness.Command(job.From, job.JobId, "\"input\""));
        }

        var claimed = (await worker.ClaimAsync("worker-a", jobs)).ToList();
        Assert.That(claimed, Has.Count.EqualTo(jobs));

        // Wait on Redis's own clock (leases are on it) until every lease has run out, without recovering any yet.
        var db = TestRedis.Connection.GetDatabase();
        var lastDeadline = (await db.SortedSetRangeByRankWithScoresAsync(setup.Keys.Inflight, -1, -1)).Single().Score;
        await Eventually.WaitForAsync(async () => await RedisNowMsAsync(db) > lastDeadline, TimeSpan.FromSeconds(10), "every lease to expire");

        // The worker completes from the last lease to the first while the controller recovers from the first to the
        // last (recovery lists expired leases in order), one call at a time on each side: early jobs go back to the
        // queue, late ones are completed, and where the two meet they race on the same job.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var completing = Task.Run(async () =>
        {
            await go.Task;
            var outcomes = new List<(ClaimedJob Job, bool Recorded)>();
            foreach (var job in claimed.OrderByDescending(j => j.Job.Member, StringComparer.Ordinal))
            {
                outcomes.Add((job, await worker.CompleteAsync(job, $"\"first attempt of {job.Job.JobId}\"")));
            }

            return outcomes;
        });
        var recovering = Task.Run(async () =>
        {
            await go.Task;
            while (await controller.Maintenance.RecoverExpiredLeasesAsync(1) > 0)
            {
            }
        });
        go.SetResult();
        var outcomes = await completing;
        await recovering;

        // Whatever the recovery put back, a second worker runs now.
        var second = new List<ClaimedJob>();
        IReadOnlyList<ClaimedJob> batchOfSecond;
        while ((batchOfSecond = await controller.ClaimAsync("worker-b", jobs)).Count > 0)
        {
            second.AddRange(batchOfSecond);
        }

        foreach (var job in second)
        {
            Assert.That(await controller.CompleteAsync(job, $"\"second attempt of {job.Job.JobId}\""), Is.True);
        }

        var firstWon = outcomes.Where(o => o.Recorded).Select(o => o.Job.Job).ToHashSet();
        await TestContext.Out.WriteLineAsync(
            $"{jobs} races: the completion won {firstWon.Count}, the lease expiry won {jobs - firstWon.Count} (then a second attempt recorded its result).");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(firstWon, Has.Count.InRange(1, jobs - 1), "both sides won some races");
            Assert.That(second.Select(j => j.Job), Is.EquivalentTo(refs.Where(r => !firstWon.Contains(r))),
                "exactly the jobs whose first result was refused ran again");
            foreach (var job in refs)
            {
                var snapshot = await setup.GetAsync(job);
                var expected = firstWon.Contains(job) ? ("first attempt of", 1) : ("second attempt of", 2);
                Assert.That(snapshot!.State, Is.EqualTo(JobState.DataAvailable), job.Member);
                Assert.That(snapshot.ResultJson, Is.EqualTo($"\"{expected.Item1} {job.JobId}\""), job.Member);
                Assert.That(snapshot.Attempts, Is.EqualTo(expected.Item2), job.Member);
            }

            Assert.That(await setup.ReadyCountAsync(), Is.Zero, "nothing is queued again after its result was recorded");
        }

        // The only leases left are acks in flight (dropped fire-and-forget) or entries of ended jobs, which recovery drops.
        await Eventually.WaitForAsync(async () =>
        {
            await controller.Maintenance.RecoverExpiredLeasesAsync(100);
            return await setup.InflightCountAsync() == 0 && await setup.ReadyCountAsync() == 0;
        }, TimeSpan.FromSeconds(10), "recovery to drop the leases of the ended jobs without queueing them again");
    }

    private static async Task<double> RedisNowMsAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return (long)time[0] * 1000.0 + ((long)time[1] / 1000);
    }
}
