using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>Definitions registered by name, through the API or as a file in the workflows folder, started with per-run data.</summary>
[TestFixture]
public sealed class Starting_a_named_definition : On_the_shared_cluster
{
    // With run data x: first = 1 + x, second = 10 + first = 11 + x.
    private const string TwoSums = """
        {"nodes": {
          "first":  {"cmd": "sum", "data": 1,  "next": ["second"]},
          "second": {"cmd": "sum", "data": 10, "next": ["end_job"]}
        }}
        """;

    private static readonly string[] FirstThenSecond = ["first", "second"];

    [Test]
    public async Task Should_start_a_definition_registered_through_the_api_with_each_runs_own_data()
    {
        var (name, from) = (NewId("def"), NewId("client"));
        var (run5, run100) = (NewId("run"), NewId("run"));

        var saved = await Cluster.PutAsync($"/workflows/definitions/{name}", TwoSums);
        var list = await Cluster.GetAsync("/workflows/definitions");
        await Task.WhenAll(
            Cluster.SubmitRunAsync(RunBody.Named(from, run5, name, "5")),
            Cluster.SubmitRunAsync(RunBody.Named(from, run100, name, "100")));
        var five = await Cluster.WaitForRunAsync(from, run5);
        var hundred = await Cluster.WaitForRunAsync(from, run100);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved.Status, Is.EqualTo(HttpStatusCode.NoContent), saved.Text);
            Assert.That(list.Has(name), Is.True, list.Text);
            Assert.That(list.Get(name).GetProperty("nodes").GetProperty("second").GetProperty("data").GetInt32(), Is.EqualTo(10), list.Text);
            Assert.That((five.Phase, five.Data.GetInt64()), Is.EqualTo(("done", 16L)), five.Text);
            Assert.That((hundred.Phase, hundred.Data.GetInt64()), Is.EqualTo(("done", 111L)), hundred.Text);
            Assert.That(five.Nodes.Select(n => n.Name), Is.EqualTo(FirstThenSecond), five.Text);
        }
    }

    [Test]
    public async Task Should_start_a_definition_dropped_into_the_workflows_folder()
    {
        var (name, from, id) = (NewId("file"), NewId("client"), NewId("run"));

        // Written aside and moved in, as a deployment would, so the API never reads half a file.
        var staging = Path.Combine(Cluster.WorkflowsFolder, name + ".json.partial");
        await File.WriteAllTextAsync(staging, TwoSums);
        File.Move(staging, Path.Combine(Cluster.WorkflowsFolder, name + ".json"));

        var list = await Eventually.WaitForAsync(
            () => Cluster.GetAsync("/workflows/definitions"),
            r => r.Has(name),
            TimeSpan.FromSeconds(30),
            $"the API to register {name}.json from the workflows folder");
        var reply = await Cluster.SubmitRunAsync(RunBody.Named(from, id, name, "7"));
        var run = await Cluster.WaitForRunAsync(from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.Has(name), Is.True, list.Text);
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.Accepted), reply.Text);
            Assert.That((run.Phase, run.Data.GetInt64()), Is.EqualTo(("done", 18L)), run.Text);
        }
    }

    [Test]
    public async Task Should_check_the_functions_of_a_definition_when_a_run_starts()
    {
        // Registering does not check functions (the workers offering them may not be up yet); starting a run does.
        var (name, from, id) = (NewId("def"), NewId("client"), NewId("run"));
        var saved = await Cluster.PutAsync($"/workflows/definitions/{name}", """
            {"nodes": {"convert": {"cmd": "no_such_function", "next": ["end_job"]}}}
            """);

        var reply = await Cluster.SubmitRunAsync(RunBody.Named(from, id, name, "1"));
        var footprint = await RunFootprint.TakeAsync(Cluster.Prefix, from, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved.Status, Is.EqualTo(HttpStatusCode.NoContent), saved.Text);
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest), reply.Text);
            Assert.That(reply.Field("detail"), Does.Contain("convert").And.Contain("no_such_function"), reply.Text);
            Assert.That(footprint, Is.Empty, "nothing of the run is written");
        }
    }

    [Test]
    public async Task Should_answer_404_for_a_name_that_is_not_registered()
    {
        var (from, id) = (NewId("client"), NewId("run"));

        var reply = await Cluster.SubmitRunAsync(RunBody.Named(from, id, NewId("nothing"), "1"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.NotFound), reply.Text);
            Assert.That(reply.Field("detail"), Does.Contain("/workflows/definitions"), reply.Text);
        }
    }
}
