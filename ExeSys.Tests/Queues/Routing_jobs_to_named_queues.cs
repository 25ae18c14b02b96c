using System.Text.Json;
using System.Text.Json.Nodes;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Queues;

/// <summary>
/// Named queues, routing, pause and resume, and jobs nobody can run, on real processes: an API, a controller, a plain
/// worker of the default queue and a worker that serves only the queue <c>gpu</c> with the shout module. The
/// configuration routes <c>shout</c> to <c>gpu</c> only, and names two functions no worker offers at first:
/// <c>hello</c> (waits for ever) and <c>render</c> (waits at most 1 s).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Routing_jobs_to_named_queues
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private ExeSysDeployment _deployment = null!;
    private readonly List<string> _folders = [];

    [OneTimeSetUp]
    public async Task Start_a_default_and_a_gpu_worker()
    {
        var shout = await ShoutModule.GetAsync();
        var settings = TestSettings.For(TestRedis.NewPrefix("named"))
            .With("ExeSys:Queues:Routes:shout", "gpu")
            .With("ExeSys:Queues:Routes:hello", "default")
            .With("ExeSys:Queues:Routes:render", "default")
            .With("ExeSys:Queues:UnservedTimeouts:render", "00:00:01")
            .With("ExeSys:Queues:Names:0", "gpu");
        _deployment = await ExeSysDeployment.Build(settings).WithController("controller").WithWorker("plain", "plain-worker").StartAsync();
        var gpu = _deployment.StartWorker("gpu-worker", s => s
            .With("ExeSys:Worker:Queues:0", "gpu")
            .With("ExeSys:Worker:ModulesFolder", FolderWith(shout, "shout")));
        await _deployment.WaitForWorkerAsync(gpu);
        await _deployment.WaitForWorkersAsync("plain-worker", "gpu-worker");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _deployment.DisposeAsync();
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private string FolderWith(string module, string name)
    {
        var folder = Directory.CreateTempSubdirectory("exesys-named-").FullName;
        _folders.Add(folder);
        ModuleBuilds.CopyModule(module, Path.Combine(folder, name));
        return folder;
    }

    private static string Command(string from, string jobId, string cmd, string data, string? queue = null)
    {
        var command = JsonNode.Parse(SysCmdHttp.Command(from, jobId, cmd, data))!.AsObject();
        if (queue is not null)
        {
            command["queue"] = queue;
        }

        return command.ToJsonString();
    }

    private async Task<Reply> RunAsync(string from, string jobId, string cmd, string data, string? queue = null)
    {
        var reply = await _deployment.PostAsync("/sys_cmd?wait=10s", Command(from, jobId, cmd, data, queue));
        return reply.Code == 202 ? await _deployment.WaitForJobAsync(from, jobId, Timeout) : reply;
    }

    private async Task<JsonElement> QueueAsync(string name)
    {
        var reply = await _deployment.GetAsync($"/queues/{name}");
        Assert.That(reply.Code, Is.EqualTo(200), reply.Text);
        return reply.Body;
    }

    [Test]
    public async Task Should_give_a_gpu_only_worker_only_the_jobs_of_its_queue()
    {
        var shouted = await RunAsync("routing", "shout-1", "shout", "\"quiet\"");
        var named = await RunAsync("routing", "echo-on-gpu", "echo", "42", queue: "gpu");
        var defaults = new List<Dictionary<string, string>>();
        for (var i = 0; i < 20; i++)
        {
            await RunAsync("routing", $"echo-{i}", "echo", $"{i}");
            defaults.Add(await _deployment.StatusAsync("routing", $"echo-{i}"));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(shouted.Body.GetProperty("data").GetString(), Is.EqualTo("QUIET"));
            Assert.That((await _deployment.StatusAsync("routing", "shout-1"))["wk"], Is.EqualTo("gpu-worker"), "shout is routed to gpu");
            Assert.That((await _deployment.StatusAsync("routing", "echo-on-gpu"))["wk"], Is.EqualTo("gpu-worker"), "a submit may name a queue for an unrouted function");
            Assert.That((await _deployment.StatusAsync("routing", "echo-on-gpu"))["q"], Is.EqualTo("gpu"), "the named queue is kept with the job");
            Assert.That(defaults.Select(s => s["wk"]), Is.All.EqualTo("plain-worker"), "the gpu worker serves only gpu");
            Assert.That(defaults.Select(s => s["st"]), Is.All.EqualTo("3"));
        }
    }

    [Test]
    public async Task Should_refuse_a_queue_the_function_is_not_routed_to_and_change_nothing()
    {
        var before = await _deployment.SnapshotAsync(jobsOnly: true);

        var wrong = await _deployment.PostAsync("/sys_cmd", Command("routing", "shout-default", "shout", "\"x\"", queue: "default"));
        var unknown = await _deployment.PostAsync("/sys_cmd", Command("routing", "echo-nowhere", "echo", "1", queue: "nowhere"));
        var invalid = await _deployment.PostAsync("/sys_cmd", Command("routing", "echo-bad", "echo", "1", queue: "GPU!"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(wrong.Code, Is.EqualTo(400), wrong.Text);
            Assert.That(wrong.Body.GetProperty("errors").GetProperty("queue")[0].GetString(), Does.Contain("'shout' is routed to queue(s) 'gpu'"));
            Assert.That(unknown.Code, Is.EqualTo(400), unknown.Text);
            Assert.That(unknown.Body.GetProperty("errors").GetProperty("queue")[0].GetString(), Does.Contain("'nowhere' is not configured"));
            Assert.That(invalid.Code, Is.EqualTo(400), invalid.Text);
            Assert.That((await _deployment.SnapshotAsync(jobsOnly: true)).ChangesSince(before), Is.Empty, "a refused submit writes nothing");
        }
    }

    [Test]
    public async Task Should_start_nothing_new_from_a_paused_queue_and_finish_what_runs()
    {
        // A job running on the gpu worker while the queue is paused finishes.
        var running = await _deployment.PostAsync("/sys_cmd", Command("pausing", "sleeper", "sleep", "1500", queue: "gpu"));
        Assert.That(running.Code, Is.EqualTo(202), running.Text);
        await _deployment.WaitForJobAsync("pausing", "sleeper", r => r.Body.GetProperty("state").GetInt32() == 2, Timeout, "the sleeper to run");

        var paused = await _deployment.PostAsync("/queues/gpu/pause");
        var waiting = await _deployment.PostAsync("/sys_cmd", Command("pausing", "held", "shout", "\"later\""));
        var slept = await _deployment.WaitForJobAsync("pausing", "sleeper", Timeout);

        // The queue shows the held job; it is still waiting after the running one ended and the worker went idle.
        var shown = await Eventually.WaitForAsync(() => QueueAsync("gpu"), q => q.GetProperty("depth").GetInt64() == 1 && q.GetProperty("in_flight").GetInt64() == 0, Timeout, "GET /queues/gpu to show the held job");
        var held = await _deployment.GetJobAsync("pausing", "held");

        var resumed = await _deployment.PostAsync("/queues/gpu/resume");
        var done = await _deployment.WaitForJobAsync("pausing", "held", Timeout);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused.Code, Is.EqualTo(200), paused.Text);
            Assert.That(paused.Body.GetProperty("changed").GetBoolean(), Is.True);
            Assert.That(waiting.Code, Is.EqualTo(202), waiting.Text);
            Assert.That(slept.Body.GetProperty("state").GetInt32(), Is.EqualTo(3), "the running job finished");
            Assert.That(held.Body.GetProperty("state").GetInt32(), Is.Zero, "nothing new started from the paused queue");
            Assert.That(shown.GetProperty("paused").GetBoolean(), Is.True);
            Assert.That(shown.GetProperty("functions").GetProperty("shout").GetInt64(), Is.EqualTo(1));
            Assert.That(shown.GetProperty("oldest_waiting_ms").GetInt64(), Is.GreaterThanOrEqualTo(0));
            Assert.That(shown.GetProperty("workers").EnumerateArray().Select(w => w.GetString()), Is.EqualTo((string[])["gpu-worker"]));
            Assert.That(shown.GetProperty("limits").ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(resumed.Code, Is.EqualTo(200), resumed.Text);
            Assert.That(done.Body.GetProperty("data").GetString(), Is.EqualTo("LATER"), "resume starts it");
            Assert.That((await QueueAsync("gpu")).GetProperty("paused").GetBoolean(), Is.False);
        }
    }

    [Test]
    public async Task Should_list_every_queue_and_refuse_an_unknown_one_with_404()
    {
        var list = await _deployment.GetAsync("/queues");
        var pause = await _deployment.PostAsync("/queues/nowhere/pause");
        var get = await _deployment.GetAsync("/queues/nowhere");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Code, Is.EqualTo(200), list.Text);
            Assert.That(list.Body.EnumerateArray().Select(q => q.GetProperty("name").GetString()), Is.SupersetOf((string[])["default", "gpu"]));
            Assert.That(list.Body.EnumerateArray().First(q => q.GetProperty("name").GetString() == "default").GetProperty("workers").EnumerateArray().Select(w => w.GetString()),
                Does.Contain("plain-worker").And.Not.Contain("gpu-worker"), "the gpu worker serves only gpu");
            Assert.That(pause.Code, Is.EqualTo(404), pause.Text);
            Assert.That(pause.Body.GetProperty("title").GetString(), Is.EqualTo("No such queue"));
            Assert.That(get.Code, Is.EqualTo(404), get.Text);
        }
    }

    [Test]
    public async Task Should_fail_a_job_nobody_offers_once_its_unserved_timeout_passes()
    {
        var submitted = await _deployment.PostAsync("/sys_cmd", Command("unserved", "render-1", "render", "1"));
        var failed = await _deployment.WaitForJobAsync("unserved", "render-1", Timeout);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(submitted.Code, Is.EqualTo(202), "a routed function is accepted while nobody offers it");
            Assert.That(failed.Body.GetProperty("state").GetInt32(), Is.EqualTo(4));
            Assert.That(failed.Body.GetProperty("error").GetString(), Is.EqualTo("No live worker offers function 'render' (waited 1s in queue 'default')"));
        }
    }

    [Test]
    public async Task Should_keep_a_job_nobody_offers_waiting_until_a_worker_that_offers_it_starts()
    {
        var submitted = await _deployment.PostAsync("/sys_cmd", Command("unserved", "hello-1", "hello", "\"late\""));
        // What must not happen cannot be waited for: this is several of the controller's ticks and the workers' idle
        // polls (200 ms each), in which a worker without hello would have taken it, or the controller failed it.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var waiting = await _deployment.GetJobAsync("unserved", "hello-1");

        var folder = FolderWith((await ModuleBuilds.GetAsync()).HelloV1, "hello");
        var hello = _deployment.StartWorker("hello-worker", s => s.With("ExeSys:Worker:ModulesFolder", folder));
        await _deployment.WaitForWorkerAsync(hello);
        var done = await _deployment.WaitForJobAsync("unserved", "hello-1", Timeout);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(submitted.Code, Is.EqualTo(202), submitted.Text);
            Assert.That(waiting.Body.GetProperty("state").GetInt32(), Is.Zero, "it waits in its queue: no worker without hello took it");
            Assert.That(done.Body.GetProperty("state").GetInt32(), Is.EqualTo(3), done.Text);
            Assert.That(done.Body.GetProperty("data").GetProperty("greeting").GetString(), Is.EqualTo("Hello, late!"));
            Assert.That((await _deployment.StatusAsync("unserved", "hello-1"))["at"], Is.EqualTo("1"), "no attempt was used while it waited");
        }
    }
}
