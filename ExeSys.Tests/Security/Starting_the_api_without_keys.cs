using System.Diagnostics;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Security;

/// <summary>
/// Bound to an address that is not loopback only, the real API process refuses to run without keys (exit code 2,
/// one readable line), unless ExeSys:Auth:AllowOpen says so. The operator command creates a key the API then takes.
/// </summary>
[TestFixture]
public sealed class Starting_the_api_without_keys
{
    private ProcessSet _processes = null!;

    [SetUp]
    public void Create() => _processes = new ProcessSet();

    [TearDown]
    public async Task Stop() => await _processes.DisposeAsync();

    [Test]
    public async Task Should_exit_with_a_clear_message_on_0_0_0_0()
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("open")).With("ExeSys:Api:Urls", $"http://0.0.0.0:{FreePort.Next()}");
        var api = _processes.Start(ExeSysRole.Api, "api-open-on-all", settings);

        var exitCode = await api.WaitForExitAsync(TimeSpan.FromSeconds(60));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(2), api.Output);
            Assert.That(api.Output, Does.Contain("ExeSys cannot start: the API is bound to http://0.0.0.0:"));
            Assert.That(api.Output, Does.Contain("ExeSys__Auth__AllowOpen=true"), "the message says how to run anyway");
        }
    }

    [Test]
    public async Task Should_take_a_key_made_by_the_operator_command_and_refuse_requests_without_it()
    {
        var port = FreePort.Next();
        var settings = TestSettings.For(TestRedis.NewPrefix("cli")).With("ExeSys:Api:Urls", $"http://0.0.0.0:{port}");
        var (exit, output) = await RunKeysCommandAsync(settings, "create", "--name", "ops", "--scopes", "read,submit", "--tenant", "ops");
        var key = output.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith("exs_", StringComparison.Ordinal));

        var api = _processes.Start(ExeSysRole.Api, "api-with-key", settings);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var withKey = await Eventually.WaitForAsync(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/functions");
                request.Headers.Add("X-Api-Key", key);
                try
                {
                    using var response = await client.SendAsync(request);
                    return (int)response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return 0;
                }
            },
            code => code == 200, TimeSpan.FromSeconds(60), "the API to answer with the key");
        using var without = await client.GetAsync(new Uri("/functions", UriKind.Relative));
        var (listExit, list) = await RunKeysCommandAsync(settings, "list");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.Zero, output);
            Assert.That((withKey, (int)without.StatusCode), Is.EqualTo((200, 401)), api.Output);
            Assert.That(listExit, Is.Zero, list);
            Assert.That(list, Does.Contain("\"name\":\"ops\"").And.Not.Contain(key[^20..]), "listed, never with its secret");
            Assert.That(api.Output, Does.Not.Contain(key[^20..]), "the key is never logged");
        }
    }

    private static async Task<(int Exit, string Output)> RunKeysCommandAsync(TestSettings settings, params string[] args)
    {
        var info = new ProcessStartInfo(ExeSysProcess.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ExeSysProcess.DllPath(ExeSysRole.Api));
        info.ArgumentList.Add("keys");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in settings.ToEnvironment())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
