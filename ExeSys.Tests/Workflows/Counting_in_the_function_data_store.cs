using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Fixtures;
using ExeSys.Tests.Infrastructure.Workflows;
using StackExchange.Redis;

namespace ExeSys.Tests.Workflows;

/// <summary>
/// The original sample test_cmd_workflow_1 keeps a counter in the functions' own data store: the hash
/// workflow_test_key:&lt;data[0]&gt;, field text_data, in database 1 (the original's function database), never among
/// ExeSys's keys in database 0.
/// </summary>
[TestFixture]
public sealed class Counting_in_the_function_data_store : On_the_shared_cluster
{
    [Test]
    public async Task Should_count_every_step_of_an_original_chain_in_database_1_and_return_each_steps_data()
    {
        var (id, counter) = (NewId("counted"), NewId("counter"));
        string Step(string from, string to) => SysCmdHttp.Command(from, id, "test_cmd_workflow_1", $"[\"{counter}\",7]", to);
        await Cluster.PostStepAsync(Step("c1", "c2"), withWorkflowHeader: false);
        await Cluster.PostStepAsync(Step("c2", "c3"), withWorkflowHeader: true);
        await Cluster.PostStepAsync(Step("c3", "end_job"), withWorkflowHeader: true);

        var last = await Cluster.WaitForJobAsync("c3", id);
        var count = await TestRedis.Connection.GetDatabase(1).HashGetAsync($"workflow_test_key:{counter}", "text_data");
        var inExeSysDatabase = await TestRedis.Connection.GetDatabase(0).KeyExistsAsync($"workflow_test_key:{counter}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That((last.State, last.Get("data").GetRawText()), Is.EqualTo((3, $"[\"{counter}\",7]")), last.Text);
            Assert.That(count, Is.EqualTo((RedisValue)3), "each of the three steps added 1");
            Assert.That(inExeSysDatabase, Is.False, "function data stays out of ExeSys's database");
        }
    }

    [Test]
    public async Task Should_answer_a_bad_data_shape_with_a_readable_error_without_retrying()
    {
        var id = NewId("badshape");
        await SysCmdHttp.PostAsync(Cluster.Client, SysCmdHttp.Command("counted", id, "test_cmd_workflow_1", "{\"not\":\"an array\"}"));

        var failed = await Cluster.WaitForJobAsync("counted", id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.State, Is.EqualTo(4), failed.Text);
            Assert.That(failed.Field("error"), Does.Contain("item 0 is a string or a number"), failed.Text);
            Assert.That(failed.Attempts, Is.EqualTo(1), failed.Text);
        }
    }
}
