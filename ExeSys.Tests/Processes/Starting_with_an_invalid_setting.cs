using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests.Processes;

/// <summary>
/// A bad setting stops the process at once (ValidateOnStart) with exit code 2 and one readable line naming the
/// setting, as ExeSysHost promises, whatever role the process has.
/// </summary>
[TestFixture]
public sealed class Starting_with_an_invalid_setting
{
    private ProcessSet _processes = null!;

    [SetUp]
    public void Create() => _processes = new ProcessSet();

    [TearDown]
    public async Task Stop() => await _processes.DisposeAsync();

    [TestCase(ExeSysRole.Worker, "ExeSys:Worker:Concurrency", "0")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Redis:KeyPrefix", "bad:prefix")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Functions:TestCmdMaxDelayMs", "-5")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Functions:DataStore:Database", "0")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Mongo:FunctionsDatabase", "exesys")]
    [TestCase(ExeSysRole.Controller, "ExeSys:Jobs:Retention", "-1")]
    [TestCase(ExeSysRole.Controller, "ExeSys:Controller:TickInterval", "00:00:00")]
    [TestCase(ExeSysRole.Api, "ExeSys:Api:MaxBodyBytes", "10")]
    [TestCase(ExeSysRole.Api, "ExeSys:Jobs:LeaseDuration", "00:00:00")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Worker:Concurrency", "abc")]
    [TestCase(ExeSysRole.Controller, "ExeSys:Controller:TickInterval", "soon")]
    [TestCase(ExeSysRole.Controller, "ExeSys:Mongo:ConnectionString", "not-a-mongodb-url")]
    [TestCase(ExeSysRole.Api, "ExeSys:Mongo:ConnectionString", "mongodb://")]
    [TestCase(ExeSysRole.Controller, "ExeSys:Mongo:HistoryTtl", "-1")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Mongo:Database", "bad name")]
    [TestCase(ExeSysRole.Controller, "ExeSys:Mongo:ArchiveBatch", "0")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Worker:ModuleRemoveGrace", "02:00:00")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Limits:Functions:hello:MaxConcurrency", "0")]
    [TestCase(ExeSysRole.Controller, "ExeSys:Limits:Functions:hello:RatePerPeriod", "20000")]
    [TestCase(ExeSysRole.Api, "ExeSys:Limits:Queues:default:RatePeriod", "00:00:00")]
    [TestCase(ExeSysRole.Worker, "ExeSys:Metrics:ExtraMeters:0", "My Meter")]
    public async Task Should_exit_with_code_2_naming_the_setting(ExeSysRole role, string setting, string value)
    {
        var settings = TestSettings.For(TestRedis.NewPrefix("invalid"))
            .With("ExeSys:Api:Urls", $"http://127.0.0.1:{FreePort.Next()}")
            .With(setting, value);
        var process = _processes.Start(role, $"{role}-invalid", settings);

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(2), process.Output);
            Assert.That(process.Output, Does.Contain("ExeSys cannot start: invalid configuration"));
            Assert.That(process.Output, Does.Contain(setting), "the message should name the setting");
        }
    }
}
