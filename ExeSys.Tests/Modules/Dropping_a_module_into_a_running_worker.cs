using System.Diagnostics;
using System.Security.Cryptography;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Modules;

/// <summary>
/// Modules copied into, over and out of the modules folder of a real worker process, which is never restarted:
/// the API, the controller and the worker are real processes, and clients only use the API.
/// </summary>
[TestFixture]
public sealed class Dropping_a_module_into_a_running_worker
{
    private const string WorkerId = "modules-worker";

    // A module loads once its files have stayed unchanged this long; the folder is re-read at least this often.
    private static readonly TimeSpan StableFor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Rescan = TimeSpan.FromMilliseconds(300);

    // A module whose folder is gone keeps its functions this long (ExeSys:Worker:ModuleRemoveGrace).
    private static readonly TimeSpan RemoveGrace = TimeSpan.FromSeconds(2);

    // Loading takes StableFor plus a rescan or two; the rest is slack for a loaded machine.
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(20);

    private BuiltModules _modules = null!;
    private string _folder = null!;
    private ExeSysDeployment _cluster = null!;

    private HttpClient Client => _cluster.Client;

    private ExeSysProcess Worker => _cluster.Processes.All.Single(p => p.Name == WorkerId);

    [OneTimeSetUp]
    public async Task Start_a_worker_on_an_empty_modules_folder()
    {
        _modules = await ModuleBuilds.GetAsync();
        _folder = Directory.CreateTempSubdirectory("exesys-modules-").FullName;
        var settings = TestSettings.For(TestRedis.NewPrefix("modules"))
            .With("ExeSys:Worker:ModulesRescan", Rescan.ToString())
            .With("ExeSys:Worker:ModuleStableFor", StableFor.ToString())
            .With("ExeSys:Worker:ModuleRemoveGrace", RemoveGrace.ToString())
            .With("ExeSys:Worker:HeartbeatInterval", "00:00:00.500")
            .With("ExeSys:Jobs:LeaseDuration", "00:00:02");
        _cluster = await ExeSysDeployment.Build(settings)
            .WithModulesFolder(_folder)
            .WithController("controller")
            .WithPlainClient(TimeSpan.FromSeconds(60))
            .StartAsync();
        _cluster.StartWorker(WorkerId);
        await _cluster.WaitForWorkersAsync(WorkerId);
    }

    [OneTimeTearDown]
    public async Task Stop_the_processes()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [SetUp]
    public async Task Start_from_an_empty_modules_folder()
    {
        foreach (var module in Directory.GetDirectories(_folder))
        {
            Directory.Delete(module, recursive: true);
        }

        await Eventually.WaitForAsync(
            Client.ModulesAsync,
            rows => rows.Where(r => r.Worker == WorkerId).All(r => r.Module == "builtin"),
            LoadTimeout,
            "the worker to have only its built-in functions");
    }

    [TearDown]
    public async Task Show_the_logs_of_a_failed_test()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await _cluster.WriteLogsAsync();
        }
    }

    [Test]
    public async Task Should_load_it_then_serve_a_new_version_to_new_jobs_while_old_jobs_finish_then_withdraw_it()
    {
        var hello = Path.Combine(_folder, "hello");

        // Dropped in: callable through /sys_cmd, listed with its module and version.
        ModuleBuilds.CopyModule(_modules.HelloV1, hello);
        var v1 = await WaitForFunctionAsync("hello", f => f.Version == "1.0.0", "hello 1.0.0 to be offered");
        var first = await Client.SubmitAsync("modules", "hello-v1", "hello", "\"ExeSys\"", wait: "10s");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(v1.Module, Is.EqualTo("hello"));
            Assert.That(v1.Workers, Is.EqualTo(new[] { WorkerId }));
            Assert.That(first.State, Is.EqualTo(3), first.Text);
            Assert.That(first.Get("data").GetProperty("version").GetString(), Is.EqualTo("1.0.0"), first.Text);
            Assert.That(first.Get("data").GetProperty("greeting").GetString(), Is.EqualTo("Hello, ExeSys!"), first.Text);
        }

        // A module function gets the functions' data store: the host's StackExchange.Redis IDatabase, one type across load contexts.
        var visitor = $"visitor-{Guid.NewGuid():N}";
        var visit1 = await Client.SubmitAsync("modules", $"{visitor}-1", "visit_count", $"\"{visitor}\"", wait: "10s");
        var visit2 = await Client.SubmitAsync("modules", $"{visitor}-2", "visit_count", $"\"{visitor}\"", wait: "10s");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(visit1.Text, Does.Contain("\"visits\":1"), visit1.Text);
            Assert.That(visit2.Text, Does.Contain("\"visits\":2"), visit2.Text);
            Assert.That(await TestRedis.Connection.GetDatabase(1).StringGetAsync($"visits:{visitor}"), Is.EqualTo((StackExchange.Redis.RedisValue)2));
        }

        // Replaced while a job runs on version 1: new jobs get version 2, the running job finishes on version 1.
        await Client.SubmitAsync("modules", "slow-v1", "slow_version", "4000");
        await Client.WaitForJobAsync("modules", "slow-v1", r => r.State == 2, LoadTimeout, "slow_version to start on version 1");
        ModuleBuilds.CopyModule(_modules.HelloV2, hello);
        var v2 = await WaitForFunctionAsync("hello", f => f.Version == "2.0.0", "hello 2.0.0 to replace 1.0.0");
        var slowWhenReplaced = await Client.JobAsync("modules", "slow-v1");
        var second = await Client.SubmitAsync("modules", "hello-v2", "hello", "\"ExeSys\"", wait: "10s");
        var slow = await Client.WaitForJobAsync("modules", "slow-v1", r => r.State >= 3, LoadTimeout, "slow_version to finish");
        var modules = await Client.ModulesAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(slowWhenReplaced.State, Is.EqualTo(2), $"slow_version should still be running when version 2 loads: {slowWhenReplaced.Text}");
            Assert.That(v2.Module, Is.EqualTo("hello"));
            Assert.That(second.State, Is.EqualTo(3), second.Text);
            Assert.That(second.Get("data").GetProperty("version").GetString(), Is.EqualTo("2.0.0"), "a new job runs on the new version");
            Assert.That(slow.State, Is.EqualTo(3), slow.Text);
            Assert.That(slow.Get("data").GetProperty("version").GetString(), Is.EqualTo("1.0.0"), "the running job finishes on the version it started on");
            Assert.That(slow.Attempts, Is.EqualTo(1), "the running job was not interrupted and run again");
            Assert.That(modules, Has.One.Matches<ModuleRow>(m => m.Worker == WorkerId && m.Module == "hello" && m.Version == "2.0.0" && m.Status == "loaded"));
        }

        // Deleted: withdrawn once the folder has stayed gone for the grace, so a new job for it is refused.
        var logBeforeDelete = Worker.Output.Length;
        Directory.Delete(hello, recursive: true);
        var remaining = await Eventually.WaitForAsync(
            Client.FunctionsAsync,
            functions => !functions.Any(f => f.Name is "hello" or "word_count" or "slow_version"),
            LoadTimeout,
            "the module's functions to be withdrawn");
        var refused = await Client.SubmitAsync("modules", "hello-gone", "hello", "\"ExeSys\"");
        var echo = await Client.SubmitAsync("modules", "echo-after", "echo", "\"still here\"", wait: "10s");
        var deleteLog = Worker.Output[logBeforeDelete..];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleteLog, Does.Contain("Module hello's folder is gone or empty; its functions stay offered"), "the grace is logged");
            Assert.That(deleteLog.IndexOf("Module hello was removed", StringComparison.Ordinal), Is.GreaterThan(deleteLog.IndexOf("Module hello's folder is gone", StringComparison.Ordinal)),
                "the functions are withdrawn after the grace, not at once");
            Assert.That(refused.Code, Is.EqualTo(422), refused.Text);
            Assert.That(remaining.Select(f => f.Name), Does.Contain("echo"));
            Assert.That(echo.Get("data").GetString(), Is.EqualTo("still here"), echo.Text);
            Assert.That(Worker.HasExited, Is.False, "the worker was never restarted");
        }
    }

    [Test]
    public async Task Should_show_a_garbage_dll_a_throwing_module_and_a_duplicate_name_as_failed_and_keep_every_other_function_working()
    {
        ModuleBuilds.CopyModule(_modules.HelloV1, Path.Combine(_folder, "hello"));
        Directory.CreateDirectory(Path.Combine(_folder, "garbage"));
        await File.WriteAllBytesAsync(Path.Combine(_folder, "garbage", "Garbage.dll"), RandomNumberGenerator.GetBytes(16 * 1024));
        ModuleBuilds.CopyModule(_modules.Boom, Path.Combine(_folder, "boom"));
        ModuleBuilds.CopyModule(_modules.Copycat, Path.Combine(_folder, "z-copycat"));

        var rows = await Eventually.WaitForAsync(
            Client.ModulesAsync,
            all => Mine(all).Count(r => r.Module is "hello" or "garbage" or "boom" or "z-copycat") == 4,
            LoadTimeout,
            "the worker to report all four modules");
        var garbage = Mine(rows).Single(r => r.Module == "garbage");
        var boom = Mine(rows).Single(r => r.Module == "boom");
        var copycat = Mine(rows).Single(r => r.Module == "z-copycat");
        var hello = Mine(rows).Single(r => r.Module == "hello");

        var echo = await Client.SubmitAsync("broken", "echo", "echo", "{\"still\":\"working\"}", wait: "10s");
        var greeting = await Client.SubmitAsync("broken", "hello", "hello", "\"broken world\"", wait: "10s");
        var words = await Client.SubmitAsync("broken", "words", "word_count", "\"one two three\"", wait: "10s");
        var boomJob = await Client.SubmitAsync("broken", "boom", "boom");
        var functions = await Client.FunctionsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(garbage.Status, Is.EqualTo("failed"), garbage.ToString());
            Assert.That(garbage.Error, Does.Contain("not a valid .NET assembly"), "the reason should say what is wrong with the file");
            Assert.That(garbage.Functions, Is.Empty);
            Assert.That(boom.Status, Is.EqualTo("failed"), boom.ToString());
            Assert.That(boom.Error, Does.Contain(ModuleBuilds.BoomReason), "the reason should be the static constructor's own message, not just 'a type initializer threw'");
            Assert.That(boom.Functions, Is.Empty);
            Assert.That(copycat.Status, Is.EqualTo("failed"), copycat.ToString());
            Assert.That(copycat.Error, Is.EqualTo("function 'hello' is already provided by module 'hello'"));
            Assert.That(hello.Status, Is.EqualTo("loaded"), hello.ToString());

            Assert.That(echo.Get("data").GetProperty("still").GetString(), Is.EqualTo("working"), echo.Text);
            Assert.That(greeting.Text, Does.Contain("\"greeting\":\"Hello, broken world!\""), "hello is HelloModule's, not the copycat's");
            Assert.That(words.Get("data").GetInt32(), Is.EqualTo(3), words.Text);
            Assert.That(boomJob.Code, Is.EqualTo(422), $"a failed module offers no function: {boomJob.Text}");
            Assert.That(functions.Select(f => f.Name), Is.SupersetOf(BuiltinFunctionNames.Original.Append("hello")).And.No.Member("boom"));
            Assert.That(Worker.Output, Does.Contain("Module boom failed to load").And.Contain("Module garbage failed to load").And.Contain("Module z-copycat failed to load"), "the reasons are logged");
            Assert.That(Worker.HasExited, Is.False);
        }
    }

    [Test]
    public async Task Should_keep_running_jobs_on_the_working_version_when_a_reload_fails_until_a_good_version_loads()
    {
        var hello = Path.Combine(_folder, "hello");
        ModuleBuilds.CopyModule(_modules.HelloV1, hello);
        await WaitForFunctionAsync("hello", f => f.Version == "1.0.0", "hello 1.0.0 to be offered");

        // A broken assembly replaces the working one and stays: the reload fails, version 1 keeps serving.
        var logBefore = Worker.Output.Length;
        await File.WriteAllBytesAsync(Path.Combine(hello, "HelloModule.dll"), RandomNumberGenerator.GetBytes(16 * 1024));
        var broken = await Eventually.WaitForAsync(
            Client.ModulesAsync,
            rows => Mine(rows).Any(r => r.Module == "hello" && r.Error is not null),
            LoadTimeout,
            "the worker to report the failed reload");
        var duringFailure = new List<Reply>();
        for (var i = 0; i < 5; i++)
        {
            duringFailure.Add(await Client.SubmitAsync("reload", $"broken-{i}", "hello", "\"v1\"", wait: "10s"));
        }

        var log = Worker.Output[logBefore..];

        // A good copy of version 2 replaces the broken files.
        ModuleBuilds.CopyModule(_modules.HelloV2, hello);
        var rows = await Eventually.WaitForAsync(
            Client.ModulesAsync,
            all => Mine(all).Any(r => r.Module == "hello" && r.Version == "2.0.0" && r.Error is null),
            LoadTimeout,
            "hello 2.0.0 to replace the broken files");
        var after = await Client.SubmitAsync("reload", "good-v2", "hello", "\"v2\"", wait: "10s");

        var row = Mine(broken).Single(r => r.Module == "hello");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(row.Status, Is.EqualTo("loaded"), row.ToString());
            Assert.That(row.Version, Is.EqualTo("1.0.0"), "the working version stays loaded and offered");
            Assert.That(row.Functions, Does.Contain("hello"), row.ToString());
            Assert.That(row.Error, Does.Contain("HelloModule.dll").And.Contain("not a valid .NET assembly").And.Contain("still serving version 1.0.0"), "GET /modules says which file failed and why");
            Assert.That(duringFailure.Select(r => r.State), Is.All.EqualTo(3), string.Join(Environment.NewLine, duringFailure.Select(r => r.Text)));
            Assert.That(duringFailure.Select(r => r.Get("data").GetProperty("version").GetString()), Is.All.EqualTo("1.0.0"), "jobs run on the working version");
            Assert.That(log, Does.Contain("Module hello failed to reload from").And.Contain("HelloModule.dll").And.Contain("Version 1.0.0 stays loaded"), "the failure is logged with the file and the reason");
            Assert.That(log, Does.Not.Contain("Module hello was removed"));
            Assert.That(Mine(rows).Single(r => r.Module == "hello").Status, Is.EqualTo("loaded"));
            Assert.That(after.State, Is.EqualTo(3), after.Text);
            Assert.That(after.Get("data").GetProperty("version").GetString(), Is.EqualTo("2.0.0"), after.Text);
        }
    }

    [Test]
    public async Task Should_not_fail_a_job_submitted_while_the_module_folder_is_removed_and_copied_again()
    {
        var hello = Path.Combine(_folder, "hello");
        ModuleBuilds.CopyModule(_modules.HelloV1, hello);
        await WaitForFunctionAsync("hello", f => f.Version == "1.0.0", "hello 1.0.0 to be offered");
        var replies = new System.Collections.Concurrent.ConcurrentBag<Reply>();
        var finished = 0;
        using var stop = new CancellationTokenSource();
        async Task SubmitAsync(int submitter)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var jobId = $"s{submitter}-{n}";
                var reply = await Client.SubmitAsync("rm-cp", jobId, "hello", "\"window\"", wait: "10s");
                replies.Add(reply.Code == 202 ? await Client.WaitForJobAsync("rm-cp", jobId, r => r.State >= 3, LoadTimeout, $"job {jobId} to end") : reply);
                Interlocked.Increment(ref finished);
            }
        }

        var submitters = Enumerable.Range(1, 3).Select(i => Task.Run(() => SubmitAsync(i))).ToList();
        try
        {
            // rm -rf; a gap in which the worker sees the folder gone and jobs keep coming; then cp -r of version 2.
            Directory.Delete(hello, recursive: true);
            await Eventually.WaitForAsync(
                Client.ModulesAsync,
                rows => !Mine(rows).Any(r => r.Module == "hello" && r.Error?.Contains("gone", StringComparison.Ordinal) != true),
                LoadTimeout,
                "the worker to see the hello folder gone");
            var inGap = Volatile.Read(ref finished) + 5;
            await Eventually.WaitForAsync(() => Volatile.Read(ref finished) >= inGap, LoadTimeout, "jobs to finish while the folder is gone");
            ModuleBuilds.CopyModule(_modules.HelloV2, hello);
            await WaitForFunctionAsync("hello", f => f.Version == "2.0.0", "hello 2.0.0 to load");
            var afterwards = Volatile.Read(ref finished) + 5;
            await Eventually.WaitForAsync(() => Volatile.Read(ref finished) >= afterwards, LoadTimeout, "jobs to finish on version 2");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(submitters);
        }

        var all = replies.ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(all.Where(r => r.State != 3).Select(r => r.Text), Is.Empty, "no job fails in the rm+cp window");
            Assert.That(all.Count(r => r.State == 3 && r.Get("data").GetProperty("version").GetString() == "1.0.0"), Is.GreaterThan(0), "jobs ran on version 1 in the window");
            Assert.That(all.Count(r => r.State == 3 && r.Get("data").GetProperty("version").GetString() == "2.0.0"), Is.GreaterThan(0), "jobs ran on version 2 after it");
        }
    }

    [Test]
    public async Task Should_wait_until_a_slowly_copied_module_is_complete_before_loading_it()
    {
        // Each piece lands after a pause longer than a rescan (the worker looks at every half-written state) and
        // shorter than StableFor (none of them lasts long enough to count as finished).
        var pause = TimeSpan.FromMilliseconds(450);
        var target = Path.Combine(_folder, "hello");
        var dll = await File.ReadAllBytesAsync(Path.Combine(_modules.HelloV1, "HelloModule.dll"));
        var logBefore = Worker.Output.Length;
        var gaps = new List<TimeSpan>();

        // A thread of its own: a starved thread pool must not stretch the pauses past StableFor.
        var copier = new Thread(() =>
        {
            var clock = Stopwatch.StartNew();
            void Step(Action write)
            {
                write();
                gaps.Add(clock.Elapsed);
                clock.Restart();
                Thread.Sleep(pause);
            }

            Directory.CreateDirectory(target);
            Step(() => File.Copy(Path.Combine(_modules.HelloV1, "HelloModule.deps.json"), Path.Combine(target, "HelloModule.deps.json")));
            using (var stream = new FileStream(Path.Combine(target, "HelloModule.dll"), FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite))
            {
                void Write(int from, int count)
                {
                    stream.Write(dll, from, count);
                    stream.Flush();
                }

                Step(() => Write(0, 512));
                Step(() => Write(512, dll.Length / 2));
                Step(() => Write(512 + (dll.Length / 2), dll.Length - 512 - (dll.Length / 2)));
            }

            File.Copy(Path.Combine(_modules.HelloV1, "HelloModule.pdb"), Path.Combine(target, "HelloModule.pdb"));
        });
        copier.Start();
        var sawFailed = false;
        while (copier.IsAlive)
        {
            sawFailed |= Mine(await Client.ModulesAsync()).Any(r => r.Module == "hello" && r.Status == "failed");
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        copier.Join();
        await WaitForFunctionAsync("hello", f => f.Version == "1.0.0", "the completed module to load");
        var reply = await Client.SubmitAsync("slow-copy", "hello", "hello", "\"patience\"", wait: "10s");
        var log = Worker.Output[logBefore..];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(gaps.Max(), Is.LessThan(StableFor), $"the copier itself stalled; gaps between writes: {string.Join(", ", gaps.Select(g => g.TotalMilliseconds))} ms");
            Assert.That(sawFailed, Is.False, "a module still being copied should never be loaded, so never show as failed");
            Assert.That(log, Does.Not.Contain("Module hello failed to load"));
            Assert.That(reply.Get("data").GetProperty("greeting").GetString(), Is.EqualTo("Hello, patience!"), reply.Text);
            Assert.That(Worker.HasExited, Is.False);
        }
    }

    private static IEnumerable<ModuleRow> Mine(IEnumerable<ModuleRow> rows) => rows.Where(r => r.Worker == WorkerId);

    private async Task<FunctionRow> WaitForFunctionAsync(string name, Func<FunctionRow, bool> isDone, string what)
    {
        var functions = await Eventually.WaitForAsync(
            Client.FunctionsAsync,
            all => all.Any(f => f.Name == name && isDone(f)),
            LoadTimeout,
            what);
        return functions.Single(f => f.Name == name);
    }
}
