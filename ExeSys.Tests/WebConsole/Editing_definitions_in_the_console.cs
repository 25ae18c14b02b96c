using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// Named definitions in a real browser: an admin uploads or edits one and saves it, seeing the API's own validation
/// errors beside the text; the saved definition is drawn as a graph and a run of it starts from its page. A read-only
/// key can look but has nothing to save with.
/// </summary>
[TestFixture]
public sealed class Editing_definitions_in_the_console : ConsoleBrowserFixture
{
    private const string Good = """
        {"nodes": {
          "check": {"cmd": "echo", "next": [{"to": "ship", "when": {"path": "status", "equals": "paid"}}, "note"]},
          "ship":  {"cmd": "echo", "next": ["end_job"]},
          "note":  {"cmd": "echo", "data": "noted", "next": ["end_job"]}
        }}
        """;

    // An edge to a node that does not exist: the API's parser names it.
    private const string Bad = """{"nodes": {"first": {"cmd": "echo", "next": ["nowhere"]}}}""";

    private static string NewName(string what) => $"{what}-{Guid.NewGuid():N}"[..20];

    [Test]
    public async Task Should_show_the_apis_error_next_to_the_text_when_an_uploaded_definition_is_bad()
    {
        ExpectConsoleError("400");
        var name = NewName("bad");
        var page = await OpenConsoleAsync(AdminKey, $"#/definitions/{name}");

        await page.GetByLabel("Upload a JSON file").SetInputFilesAsync(new FilePayload
        {
            Name = "bad.json",
            MimeType = "application/json",
            Buffer = Encoding.UTF8.GetBytes(Bad),
        });
        await Expect(page.GetByLabel("Definition JSON")).ToHaveValueAsync(Bad);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "nowhere" });
        await Expect(alert).ToBeVisibleAsync();
        await Expect(alert).ToContainTextAsync("nodes.first");
        var reply = await Deployment.GetAsync("/workflows/definitions");
        Assert.That(reply.Has(name), Is.False, "nothing was saved: " + reply.Text);
    }

    [Test]
    public async Task Should_save_an_edited_definition_draw_it_and_start_a_run_of_it()
    {
        var name = NewName("good");
        var page = await OpenConsoleAsync(AdminKey, $"#/definitions/{name}");

        await page.GetByLabel("Definition JSON").FillAsync(Good);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved." })).ToBeVisibleAsync();
        var saved = await Deployment.GetAsync("/workflows/definitions");
        Assert.That(saved.Has(name), Is.True, saved.Text);

        // Drawn with neutral nodes, the condition on its edge.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Node check (echo)" })).ToBeVisibleAsync();
        await Expect(page.GetByText("status equals \"paid\"", new() { Exact = true })).ToBeVisibleAsync();

        await page.GetByLabel("Run job_id").FillAsync(name + "-run");
        await page.GetByLabel("Run input (JSON)").FillAsync("""{"status": "paid"}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex($"#/runs/console/{Regex.Escape(name)}-run$"));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Node note: data_available" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var run = await Deployment.GetAsync($"/workflows/console/{name}-run");
        Assert.That(run.Status, Is.EqualTo(HttpStatusCode.OK), run.Text);
    }

    [Test]
    public async Task Should_let_a_read_only_key_see_a_definition_but_not_save_it()
    {
        var name = NewName("shown");
        var put = await Deployment.PutAsync($"/workflows/definitions/{name}", Good);
        Assert.That(put.Status, Is.EqualTo(HttpStatusCode.NoContent), put.Text);

        var page = await OpenConsoleAsync(ReadOnlyKey, "#/definitions");
        await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Node ship (echo)" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Definition JSON")).Not.ToBeEditableAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).CountAsync(), Is.Zero, "no save for a read-only key");
            Assert.That(await page.GetByRole(AriaRole.Button, new() { Name = "Start run" }).CountAsync(), Is.Zero, "no start without the submit scope");
        }
    }
}
