using System.Net;
using System.Text.Json;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Workflows;

/// <summary>Graphs are checked at submit time: a 400 ProblemDetails names the offending nodes, and nothing is written.</summary>
[TestFixture]
public sealed class Submitting_an_invalid_graph : On_the_shared_cluster
{
    private static IEnumerable<TestCaseData> InvalidGraphs()
    {
        yield return new TestCaseData(
            """
            {
              "intake": {"cmd": "echo", "next": ["loop_a"]},
              "loop_a": {"cmd": "echo", "next": ["loop_b"]},
              "loop_b": {"cmd": "echo", "next": ["loop_a", "end_job"]}
            }
            """, null, "nodes", "loop_a,loop_b").SetArgDisplayNames("a cycle behind a start node");
        yield return new TestCaseData(
            """
            {
              "loop_a": {"cmd": "echo", "next": ["loop_b"]},
              "loop_b": {"cmd": "echo", "next": ["loop_a", "end_job"]}
            }
            """, null, null, "loop_a,loop_b").SetArgDisplayNames("a graph that is only a cycle");
        yield return new TestCaseData(
            """
            {
              "intake": {"cmd": "echo", "next": ["ghost", "end_job"]}
            }
            """, null, "nodes.intake", "intake,ghost").SetArgDisplayNames("an edge to an unknown node");
        yield return new TestCaseData(
            """
            {
              "intake": {"cmd": "echo", "next": ["end_job"]},
              "orphan": {"cmd": "echo", "next": ["end_job"]}
            }
            """, """["intake"]""", "nodes.orphan", "orphan").SetArgDisplayNames("a node no path reaches");
        yield return new TestCaseData(
            """
            {
              "intake": {"cmd": "echo", "next": ["convert"]},
              "convert": {"cmd": "no_such_function", "next": ["end_job"]}
            }
            """, null, "nodes.convert", "convert,no_such_function").SetArgDisplayNames("an unknown function");
    }

    [TestCaseSource(nameof(InvalidGraphs))]
    public async Task Should_answer_400_naming_the_offending_nodes_and_write_nothing(string nodes, string? start, string? errorKey, string named)
    {
        var (from, id) = (NewId("invalid"), NewId("run"));
        var before = await RunFootprint.TakeAsync(Cluster.Prefix, from, id);

        var reply = await Cluster.SubmitRunAsync(RunBody.Graph(from, id, nodes, startJson: start), "?wait=1s");

        var after = await RunFootprint.TakeAsync(Cluster.Prefix, from, id);
        var read = await Cluster.GetAsync($"/workflows/{from}/{id}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest), reply.Text);
            Assert.That(reply.MediaType, Is.EqualTo("application/problem+json"));
            var errors = reply.Has("errors") ? reply.Get("errors").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetRawText()) : [];
            if (errorKey is not null)
            {
                Assert.That(errors.Keys, Does.Contain(errorKey), reply.Text);
            }

            foreach (var name in named.Split(','))
            {
                Assert.That(reply.Field("detail"), Does.Contain(name), $"the detail names {name}: {reply.Text}");
            }

            Assert.That(after, Is.EqualTo(before), "nothing of the run is written");
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), read.Text);
        }
    }

    [Test]
    public async Task Should_answer_400_for_a_node_name_given_twice_and_write_nothing()
    {
        // JSON allows a repeated property name; a graph cannot have two nodes of one name. Built as text, since
        // JsonNode refuses to hold such an object.
        var (from, id) = (NewId("invalid"), NewId("run"));
        var body = $$$"""
            {"from": "{{{from}}}", "job_id": "{{{id}}}", "nodes": {
              "twin": {"cmd": "echo", "next": ["end_job"]},
              "twin": {"cmd": "sum", "next": ["end_job"]}
            }}
            """;

        var reply = await Cluster.SubmitRunAsync(body);

        var after = await RunFootprint.TakeAsync(Cluster.Prefix, from, id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest), reply.Text);
            Assert.That(reply.Field("detail"), Does.Contain("twin"), reply.Text);
            Assert.That(after, Is.Empty, "nothing of the run is written");
        }
    }

    [Test]
    public async Task Should_refuse_to_register_an_invalid_definition()
    {
        var name = NewId("cyclic");

        var reply = await Cluster.PutAsync($"/workflows/definitions/{name}", """
            {"nodes": {
              "intake": {"cmd": "echo", "next": ["loop_a"]},
              "loop_a": {"cmd": "echo", "next": ["loop_b"]},
              "loop_b": {"cmd": "echo", "next": ["loop_a", "end_job"]}
            }}
            """);
        var list = await Cluster.GetAsync("/workflows/definitions");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest), reply.Text);
            Assert.That(reply.Field("detail"), Does.Contain("loop_a").And.Contain("loop_b"), reply.Text);
            Assert.That(list.Body.ValueKind, Is.EqualTo(JsonValueKind.Object), list.Text);
            Assert.That(list.Has(name), Is.False, list.Text);
        }
    }
}
