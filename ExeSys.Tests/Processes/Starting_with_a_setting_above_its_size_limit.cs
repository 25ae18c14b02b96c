using ExeSys.Core.Configuration;
using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Processes;

/// <summary>
/// The settings that make one Redis script take a list of that many jobs are bounded by what one script call takes
/// (<see cref="ScriptLimits"/>): above it, renewing a worker's leases or recovering expired ones would fail in Redis on
/// every try. One over the bound stops the process at start, with exit code 2 and a message naming the setting and
/// the bound.
/// </summary>
[TestFixture]
public sealed class Starting_with_a_setting_above_its_size_limit
{
    private ProcessSet _processes = null!;

    [SetUp]
    public void Create() => _processes = new ProcessSet();

    [TearDown]
    public async Task Stop() => await _processes.DisposeAsync();

    [TestCase(ExeSysRole.Worker, "ExeSys:Worker:Concurrency", ScriptLimits.JobsPerCall)]
    [TestCase(ExeSysRole.Controller, "ExeSys:Controller:RecoveryBatch", ScriptLimits.JobsPerCall)]
    [TestCase(ExeSysRole.Api, "ExeSys:Api:MaxBatchCommands", ScriptLimits.MaxBatchCommands)]
    public async Task Should_exit_with_code_2_naming_the_setting_and_its_bound(ExeSysRole role, string setting, int bound)
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("overlimit"))
            .With("ExeSys:Api:Urls", $"http://127.0.0.1:{FreePort.Next()}")
            .With(setting, (bound + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var process = _processes.Start(role, $"{role}-overlimit", settings);

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(2), process.Output);
            Assert.That(process.Output, Does.Contain("ExeSys cannot start: invalid configuration"));
            Assert.That(process.Output, Does.Contain(setting), "the message should name the setting");
            Assert.That(process.Output, Does.Contain(bound.ToString(System.Globalization.CultureInfo.InvariantCulture)), "and its bound");
        }
    }
}
