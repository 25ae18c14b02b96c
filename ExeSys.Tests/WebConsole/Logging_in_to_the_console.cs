using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ExeSys.Tests.WebConsole;

/// <summary>The console's login in a real browser: a key becomes a session, a wrong key is refused with the API's words, logging out ends it.</summary>
[TestFixture]
public sealed class Logging_in_to_the_console : ConsoleBrowserFixture
{
    [Test]
    public async Task Should_log_in_with_a_key_show_who_is_logged_in_and_log_out()
    {
        var page = await OpenConsoleAsync(AdminKey);
        await Expect(page.GetByText("bootstrap-admin · default")).ToBeVisibleAsync();
        var cookies = await page.Context.CookiesAsync();
        var session = cookies.Single(c => c.Name == "exesys_session");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((session.HttpOnly, session.SameSite), Is.EqualTo((true, SameSiteAttribute.Strict)), "the session cookie");
            Assert.That(session.Value, Does.Not.Contain(AdminKey), "the browser never keeps the key");
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
    }

    [Test]
    public async Task Should_refuse_an_unknown_key_with_the_apis_reason()
    {
        ExpectConsoleError("401");
        var page = await OpenConsoleAsync(null);
        await page.GetByLabel("API key").FillAsync("exs_0123456789ab_not-a-real-secret");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The API key is not known.");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" })).Not.ToBeVisibleAsync();
    }
}
