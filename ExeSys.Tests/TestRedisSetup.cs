using ExeSys.Tests.Infrastructure;

namespace ExeSys.Tests;

/// <summary>One redis-server for the whole test assembly. Tests isolate themselves by key prefix (<see cref="TestRedis.NewPrefix"/>).</summary>
[SetUpFixture]
public sealed class TestRedisSetup
{
    [OneTimeSetUp]
    public async Task Start_redis() => await TestRedis.StartAsync();

    [OneTimeTearDown]
    public async Task Stop_redis() => await TestRedis.StopAsync();
}
