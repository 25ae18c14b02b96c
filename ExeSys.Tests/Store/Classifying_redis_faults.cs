using System.Reflection;
using ExeSys.Core.Redis;
using ExeSys.Core.Resilience;
using StackExchange.Redis;

namespace ExeSys.Tests.Store;

/// <summary>
/// Which failures mean "Redis is briefly away" (503 with Retry-After; background loops back off) and which are bugs
/// that must stay visible (500). The client-internal variants are checked against real ones in the fault suites.
/// </summary>
[TestFixture]
public sealed class Classifying_redis_faults
{
    [Test]
    public void Should_count_connection_timeout_and_passing_server_states_as_transient()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(RedisFaults.IsTransient(new RedisConnectionException(ConnectionFailureType.SocketClosed, "closed")), Is.True);
            Assert.That(RedisFaults.IsTransient(new RedisTimeoutException("timeout", CommandStatus.Sent)), Is.True);
            foreach (var reply in new[] { "LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN" })
            {
                Assert.That(RedisFaults.IsTransient(new RedisServerException(reply)), Is.True, reply);
            }
        }
    }

    [Test]
    public void Should_not_hide_a_script_error_or_an_exception_from_exesys_code()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(RedisFaults.IsTransient(new RedisServerException("ERR Error running script: attempt to compare nil with number")), Is.False);
            Assert.That(RedisFaults.IsTransient(Thrown(() => throw new InvalidOperationException("a bug of ours"))), Is.False);
            Assert.That(RedisFaults.IsTransient(Thrown(() => throw new OperationCanceledException())), Is.False, "a caller's own cancellation is not a Redis fault");
            Assert.That(RedisFaults.IsTransient(Thrown(() => throw new IOException("disk"))), Is.False);
        }
    }

    [Test]
    public async Task Should_count_a_script_call_the_client_cancelled_as_transient()
    {
        // While Redis hangs, StackExchange.Redis cancels the task of a sent EVALSHA; it is first awaited in ExeSys's
        // gateway (RedisScriptExtensions), so no client frame is on the stack.
        var cancelling = DispatchProxy.Create<IDatabaseAsync, CancellingDatabase>();
        Exception? thrown = null;
        try
        {
            await cancelling.EvaluateAsync(new RedisScript("probe", "return 1"));
        }
#pragma warning disable CA1031 // The test wants the exception with its stack trace, whatever it is.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            thrown = ex;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(thrown, Is.InstanceOf<OperationCanceledException>());
            Assert.That(RedisFaults.IsTransient(thrown!), Is.True);
        }
    }

    /// <summary>An IDatabaseAsync whose every call returns a cancelled task, as the client does to a hung command.</summary>
    public class CancellingDatabase : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.ReturnType == typeof(Task<RedisResult>)
                ? Task.FromCanceled<RedisResult>(new CancellationToken(canceled: true))
                : throw new NotSupportedException(targetMethod?.Name);
    }

    private static Exception Thrown(Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // The test wants the exception with its stack trace, whatever it is.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return ex;
        }

        throw new AssertionException("nothing was thrown");
    }
}
