using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using Microsoft.Playwright;

namespace ExeSys.Tests.WebConsole;

/// <summary>
/// The console in a real headless Chromium (Debian's <c>/usr/bin/chromium</c>, driven by Microsoft.Playwright; no
/// browser is downloaded) against real API, controller and worker processes, with keys required. Each fixture has its
/// own deployment and browser. Every page a test opens is watched: a page error (an uncaught exception) or a console
/// error fails the test at its end, unless the test said it expects that message (<see cref="ExpectConsoleError"/>).
/// </summary>
[NonParallelizable]
public abstract class ConsoleBrowserFixture
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly ConcurrentQueue<string> _errors = new();
    private readonly List<string> _expected = [];
    private readonly List<IBrowserContext> _contexts = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    protected ExeSysDeployment Deployment { get; private set; } = null!;

    /// <summary>The bootstrap admin key (tenant default, every scope).</summary>
    protected string AdminKey { get; } = "bootstrap-" + Guid.NewGuid().ToString("N");

    /// <summary>A key of the default tenant with the read scope only.</summary>
    protected string ReadOnlyKey { get; private set; } = "";

    /// <summary>The API's address, e.g. http://127.0.0.1:PORT/.</summary>
    protected Uri BaseAddress => Deployment.BaseAddress;

    protected virtual TestSettings Configure(TestSettings settings) => settings;

    [OneTimeSetUp]
    public async Task Start_the_processes_and_the_browser()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"{ChromiumPath} is missing: install Debian's chromium (./test.sh does: apt-get install chromium).");
        }

        var settings = Configure(TestSettings.For(TestRedis.NewPrefix(GetType().Name))
            .With("ExeSys:Auth:BootstrapKey", AdminKey)
            .With("ExeSys:Auth:RefreshInterval", "00:00:00.500"));
        Deployment = await ExeSysDeployment.Build(settings).WithApiProcess().WithController("controller").WithWorker("worker").WaitForRegistration().StartAsync();
        Deployment.Client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        ReadOnlyKey = await CreateKeyAsync("console-reader", ["read"]);

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // As root (CI containers) Chromium refuses to start with its sandbox.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    [OneTimeTearDown]
    public async Task Stop_the_browser_and_the_processes()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Deployment is not null)
        {
            await Deployment.DisposeAsync();
        }
    }

    [TearDown]
    public async Task Close_the_pages_and_check_for_errors()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }

        _contexts.Clear();
        var unexpected = _errors.Where(e => !_expected.Any(x => e.Contains(x, StringComparison.Ordinal))).ToList();
        _errors.Clear();
        _expected.Clear();
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Passed)
        {
            Assert.That(unexpected, Is.Empty, "page errors or console errors in the browser");
        }
        else if (unexpected.Count > 0)
        {
            await TestContext.Out.WriteLineAsync("Browser errors: " + string.Join(" | ", unexpected));
        }
    }

    /// <summary>A console error (e.g. the browser's "Failed to load resource … 400" of a refused save) this test provokes on purpose.</summary>
    protected void ExpectConsoleError(string containing) => _expected.Add(containing);

    /// <summary>A new browser context (no cookies) on the console, logged in with <paramref name="key"/> (null: left at the login form).</summary>
    protected async Task<IPage> OpenConsoleAsync(string? key, string hash = "")
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => _errors.Enqueue($"page error: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Enqueue($"console error: {message.Text} ({message.Location})");
            }
        };
        await page.GotoAsync("/console/" + hash);
        if (key is not null)
        {
            await page.GetByLabel("API key").FillAsync(key);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" })).ToBeVisibleAsync();
        }

        return page;
    }

    /// <summary>Creates a key of the default tenant through the admin API; returns its secret.</summary>
    protected async Task<string> CreateKeyAsync(string name, string[] scopes, string tenant = "default")
    {
        using var reply = await Deployment.Client.PostAsJsonAsync("/keys", new { name, scopes, tenant });
        var text = await reply.Content.ReadAsStringAsync();
        Assert.That((int)reply.StatusCode, Is.EqualTo(201), text);
        return JsonDocument.Parse(text).RootElement.GetProperty("key").GetString()!;
    }
}
