using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;

namespace ExeSys.Tests.Security;

/// <summary>
/// The README's order-42 graph: 'paid' waits for a payment event, then 'ship' runs. A single job (no Operation header,
/// not a node) that shares the run's job_id and names a node as its 'to' must not promote that node (the run would end
/// "shipped" with no payment) nor fail it (the run would hang for good). It holds in open mode, without any key.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Hijacking_a_run_with_a_single_job : On_a_worker_with_one_slot
{
    private static string Order(string from, string id, string payment) => RunBody.Graph(from, id, $$"""
        {
          "paid": {"cmd": "wait_event", "data": {"event": "{{payment}}", "when": {"path": "order", "equals": 42} }, "next": ["ship"]},
          "ship": {"cmd": "echo", "data": "shipped", "next": ["end_job"]}
        }
        """);

    [TestCase("ship", "echo")]
    [TestCase("paid", "test_error_cmd")]
    public async Task Should_leave_the_graph_run_waiting_for_its_event(string to, string cmd)
    {
        var (shop, id, payment) = (NewId("shop"), NewId("order-42"), NewId("payment"));
        await Cluster.SubmitRunAsync(Order(shop, id, payment));
        await Cluster.WaitForRunStateAsync(shop, id, r => r["paid"].State == 1, "the payment wait to defer itself");

        var mallory = NewId("mallory");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command(mallory, id, cmd, "1", to: to));
        var hijack = await Cluster.WaitForJobAsync(mallory, id);
        var during = await Cluster.ReadRunAsync(shop, id);

        await Cluster.PostAsync("/events", $$"""{"event":"{{payment}}","data":{"order":42} }""");
        var done = await Cluster.WaitForRunAsync(shop, id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(hijack.State, Is.AnyOf(3, 4), hijack.Text);
            Assert.That((during.Phase, during["paid"].State, during["ship"].State), Is.EqualTo(("running", 1, 1)),
                "the single job touched no node of the run: " + during.Text);
            Assert.That((done.Phase, done.State, done.Data.GetString()), Is.EqualTo(("done", 3, "shipped")), "the run went on with its payment: " + done.Text);
        }
    }
}
