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
public sealed partial class Watching_a_run_in_the_console : ConsoleBrowserFixture
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    // b and c sleep, so the page sees them processing before they are done.
    private const string Diamond = """
        {
          "a": {"cmd": "echo", "data": {"step": "a"}, "next": ["b", "c"]},
          "b": {"cmd": "sleep", "data": 2500, "next": ["d"]},
          "c": {"cmd": "sleep", "data": 2500, "next": ["d"]},
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
        var id = await SubmitAsync("console-diamond", Diamond);
        var page = await OpenConsoleAsync(AdminKey, $"#/runs/console-diamond/{id}");

        await Expect(Node(page, "b")).ToHaveAttributeAsync("data-state", "processing");
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
        await Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Timeline of 4 nodes") })).ToBeVisibleAsync();
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
}
