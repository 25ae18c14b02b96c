using System.Net;
using System.Text.RegularExpressions;
using ExeSys.Tests.Infrastructure.Workflows;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// A workflow run's page in a real browser: its graph follows the run live (the console's feed, no polling), a node
/// opens with Enter, conditions are labelled on their edges, and an operator can cancel the run; a read-only key
/// gets no buttons to act with.
/// </summary>
[TestFixture]
public sealed class Watching_a_run_in_the_console : ConsoleBrowserFixture
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    // b waits for an event the test posts once the page shows the run, so the page sees b change by the live feed.
    private const string Diamond = """
        {
          "a": {"cmd": "echo", "data": {"step": "a"}, "next": ["b", "c"]},
          "b": {"cmd": "wait_event", "data": "EVENT", "next": ["d"]},
          "c": {"cmd": "echo", "data": {"step": "c"}, "next": ["d"]},
          "d": {"cmd": "echo", "data": {"step": "d"}, "next": ["end_job"]}
        }
        """;

    private const string Branch = """
        {
          "check": {"cmd": "echo", "data": {"status": "open"},
                    "next": [{"to": "ship", "when": {"path": "status", "equals": "paid"}}, "log"]},
          "ship":  {"cmd": "echo", "next": ["end_job"]},
          "log":   {"cmd": "echo", "next": ["end_job"]}
        }
        """;

    private const string Waiting = """
        {
          "hold": {"cmd": "sleep", "data": 60000, "next": ["after"]},
          "after": {"cmd": "echo", "next": ["end_job"]}
        }
        """;

    private static ILocator Node(IPage page, string name) =>
        page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex($"^Node {Regex.Escape(name)}:") });

    private async Task<string> SubmitAsync(string from, string nodes)
    {
        var id = "run-" + Guid.NewGuid().ToString("N")[..10];
        var reply = await Deployment.PostAsync("/workflows", RunBody.Graph(from, id, nodes));
        Assert.That(reply.Status, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Accepted), reply.Text);
        return id;
    }

    [Test]
    public async Task Should_colour_each_node_of_a_diamond_as_it_runs_until_all_are_done()
    {
        var eventName = "console-" + Guid.NewGuid().ToString("N");
        var id = await SubmitAsync("console-diamond", Diamond.Replace("EVENT", eventName, StringComparison.Ordinal));
        var page = await OpenConsoleAsync(AdminKey, $"#/runs/console-diamond/{id}");

        // b waits (standby) for its event while c is done; d waits for b.
        await Expect(Node(page, "c")).ToHaveAttributeAsync("data-state", "data_available", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Expect(Node(page, "b")).ToHaveAttributeAsync("data-state", "standby", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Expect(Node(page, "d")).Not.ToHaveAttributeAsync("data-state", "data_available");
        var posted = await Deployment.PostAsync("/events", $$"""{"event": "{{eventName}}", "data": {"paid": true} }""");
        Assert.That((int)posted.Status, Is.LessThan(300), posted.Text);

        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await Expect(Node(page, name)).ToHaveAttributeAsync("data-state", "data_available", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
            await Expect(Node(page, name)).ToHaveAccessibleNameAsync($"Node {name}: data_available");
        }

        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("done");

        // Keyboard: a node is focusable and Enter opens its details: data, result, attempts.
        await Node(page, "d").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var detail = page.GetByRole(AriaRole.Complementary);
        await Expect(detail.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToContainTextAsync("Node d");
        await Expect(detail).ToContainTextAsync("\"step\": \"d\"");
        await Expect(detail).ToContainTextAsync("Attempts1");
        var timeline = page.GetByRole(AriaRole.Group, new() { NameRegex = new Regex("^Timeline of 4 nodes") });
        await Expect(timeline).ToBeVisibleAsync();

        // The timeline's rows too: Tab to one, Enter opens that node. The timeline redraws as the page refreshes, and
        // the focused row keeps the focus through a redraw.
        var row = timeline.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^b: data_available") });
        await row.FocusAsync();
        await Expect(row).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(detail.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToContainTextAsync("Node b");
    }

    [Test]
    public async Task Should_label_a_conditional_edge_and_show_the_skipped_node_apart()
    {
        var id = await SubmitAsync("console-branch", Branch);
        var page = await OpenConsoleAsync(AdminKey, $"#/runs/console-branch/{id}");

        await Expect(Node(page, "ship")).ToHaveAttributeAsync("data-state", "skipped", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Expect(Node(page, "log")).ToHaveAttributeAsync("data-state", "data_available", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Expect(page.GetByText("status equals \"paid\"", new() { Exact = true })).ToBeVisibleAsync();
    }

    [Test]
    public async Task Should_cancel_a_running_run_from_its_page()
    {
        var id = await SubmitAsync("console-cancel", Waiting);
        var page = await OpenConsoleAsync(AdminKey, $"#/runs/console-cancel/{id}");
        await Expect(Node(page, "hold")).ToHaveAttributeAsync("data-state", "processing", new() { Timeout = (float)RunTimeout.TotalMilliseconds });

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm cancel" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("cancelled", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" })).ToHaveCountAsync(0);
        var run = await Deployment.ReadRunAsync("console-cancel", id);
        Assert.That(run.Phase, Is.EqualTo("cancelled"), run.Text);
    }

    [Test]
    public async Task Should_show_no_pause_resume_or_cancel_buttons_to_a_read_only_key()
    {
        var id = await SubmitAsync("console-reader", Waiting);
        var page = await OpenConsoleAsync(ReadOnlyKey, $"#/runs/console-reader/{id}");
        await Expect(Node(page, "hold")).ToHaveAttributeAsync("data-state", "processing", new() { Timeout = (float)RunTimeout.TotalMilliseconds });

        using (Assert.EnterMultipleScope())
        {
            foreach (var name in new[] { "Pause", "Resume", "Cancel run", "Confirm cancel" })
            {
                Assert.That(await page.GetByRole(AriaRole.Button, new() { Name = name }).CountAsync(), Is.Zero, name);
            }
        }

        await Deployment.PostAsync($"/workflows/console-reader/{id}/cancel");
    }

    [Test]
    public async Task Should_open_a_run_by_its_client_and_job_id_from_the_workflows_page()
    {
        // Until the runs list endpoint is served, the page says so (and the browser logs its 404).
        ExpectConsoleError("/console/api/runs");
        var id = await SubmitAsync("console-open", Branch);
        var page = await OpenConsoleAsync(AdminKey, "#/runs");

        await page.GetByLabel("Client (from)").FillAsync("console-open");
        await page.GetByLabel("Run job_id").FillAsync(id);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open run" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex($"#/runs/console-open/{id}$"));
        await Expect(Node(page, "check")).ToBeVisibleAsync();
    }

    [Test]
    public async Task Should_draw_a_thousand_node_run_and_open_any_node_of_it()
    {
        // Ten layers of a hundred: each node leads to two of the next layer, the last layer to end_job.
        var nodes = new List<string>();
        for (var layer = 0; layer < 10; layer++)
        {
            for (var i = 0; i < 100; i++)
            {
                var next = layer == 9 ? "\"end_job\"" : $"\"n{layer + 1}_{i}\", \"n{layer + 1}_{(i + 1) % 100}\"";
                nodes.Add($"\"n{layer}_{i}\": {{\"cmd\": \"echo\", \"next\": [{next}]}}");
            }
        }

        var id = await SubmitAsync("console-big", "{" + string.Join(",", nodes) + "}");
        var page = await OpenConsoleAsync(AdminKey, $"#/runs/console-big/{id}");

        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Node n") })).ToHaveCountAsync(1000);
        await page.GetByRole(AriaRole.Button, new() { Name = "Fit" }).ClickAsync();
        await Expect(Node(page, "n9_99")).ToHaveAttributeAsync("data-state", "data_available", new() { Timeout = 60_000 });
        await Node(page, "n9_99").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Complementary).GetByRole(AriaRole.Heading, new() { Level = 2 })).ToContainTextAsync("Node n9_99");
    }
}
