using ExeSys.Tests.Infrastructure;

// Deliberately ExeSys.Tests, not the folder's namespace: an NUnit [SetUpFixture] runs around the tests of its own
// namespace and the ones below it, and every test is in ExeSys.Tests.*, so this one starts the Redis before any test
// and stops it after the last. In ExeSys.Tests.Infrastructure it would cover no test at all.
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
