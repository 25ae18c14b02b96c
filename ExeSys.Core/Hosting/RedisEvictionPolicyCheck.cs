using ExeSys.Core.Configuration;
using ExeSys.Core.Redis;
using ExeSys.Core.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExeSys.Core.Hosting;

/// <summary>Redis evicts keys and ExeSys:Redis:AllowEviction does not allow it: the process does not run.</summary>
public sealed class RedisEvictionPolicyException(string message) : Exception(message);

/// <summary>
/// Every process (API, worker, controller) refuses to run on a Redis whose <c>maxmemory-policy</c> evicts keys: at
/// maxmemory such a Redis silently drops keys, and a dropped job, queue entry, lease or tombstone is a job lost, stuck
/// or run again with nobody told. Under <c>noeviction</c> a full Redis refuses writes instead (OOM), which ExeSys
/// answers with 503. The policy is read from <c>INFO memory</c> (a managed Redis may refuse <c>CONFIG GET</c>).
/// <list type="bullet">
/// <item>Redis up at start: checked before any other service starts; an evicting policy stops the start with exit code 2.</item>
/// <item>Redis down at start (the process starts anyway and answers 503): checked as soon as it connects.</item>
/// <item>After every reconnect (Redis restarted, maybe with another configuration): checked again. A refusal after the
/// start stops the process (exit code 2) rather than let it run on.</item>
/// <item>A policy changed on a running Redis (<c>CONFIG SET</c>) without a reconnect is not seen here: /health/ready,
/// which reads INFO memory on every probe, then reports the process not ready and says why.</item>
/// </list>
/// ExeSys:Redis:AllowEviction overrides the refusal, with a warning at every check.
/// </summary>
public sealed class RedisEvictionPolicyCheck(
    IConnectionMultiplexer redis, IOptions<RedisOptions> options, IHostApplicationLifetime lifetime, ILogger<RedisEvictionPolicyCheck> logger)
    : IHostedService
{
    private Task _waiting = Task.CompletedTask;

    /// <summary>What an operator reads when a Redis evicts: the policy, why it matters, and the two ways out.</summary>
    public static string Refusal(RedisMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return $"Redis {memory.Server} runs with maxmemory-policy {memory.Policy}, which evicts keys at maxmemory: it would silently drop " +
            "ExeSys's jobs, queue entries, leases and tombstones. Set maxmemory-policy noeviction (redis.conf, or CONFIG SET " +
            $"maxmemory-policy {RedisMemory.NoEviction}), or set {RedisOptions.Section}:{nameof(RedisOptions.AllowEviction)}=true " +
            "to run anyway, at that risk.";
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        if (redis.IsConnected)
        {
            try
            {
                if (await CheckAsync() is { } refusal)
                {
                    throw new RedisEvictionPolicyException(refusal);
                }

                return;
            }
            catch (Exception ex) when (RedisFaults.IsRedisFailure(ex))
            {
                logger.LogWarning("Cannot read Redis's maxmemory-policy yet ({Error}); it is checked once Redis answers.", ex.Message);
            }
        }
        else
        {
            logger.LogWarning("Redis is not reachable yet; its maxmemory-policy is checked once it connects.");
        }

        // The host cancels ApplicationStopping before it stops its services, so the wait ends with the process.
        _waiting = WaitForRedisAsync(lifetime.ApplicationStopping);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        await _waiting.WaitAsync(cancellationToken);
    }

    /// <summary>Null when ExeSys may run on this Redis, else the refusal. A Redis that refuses INFO cannot be checked, and is let be.</summary>
    private async Task<string?> CheckAsync()
    {
        IReadOnlyList<RedisMemory> servers;
        try
        {
            servers = await RedisMemory.ReadAsync(redis);
        }
        catch (RedisServerException ex) when (!RedisFaults.IsTransient(ex))
        {
            logger.LogWarning("Cannot check Redis's maxmemory-policy: INFO memory was refused ({Error}). Make sure it is noeviction.", ex.Message);
            return null;
        }

        if (servers.Count == 0)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "No Redis primary is connected to read maxmemory-policy from.");
        }

        if (servers.FirstOrDefault(s => s.Evicts) is not { } evicting)
        {
            return null;
        }

        if (!options.Value.AllowEviction)
        {
            return Refusal(evicting);
        }

        logger.LogWarning(
            "WARNING: Redis {Server} runs with maxmemory-policy {Policy}, which evicts keys at maxmemory, and ExeSys:Redis:AllowEviction=true lets ExeSys run anyway. " +
            "At maxmemory Redis will silently drop jobs, queue entries, leases and tombstones: accepted jobs can be lost, stuck or run again. Use noeviction.",
            evicting.Server, evicting.Policy);
        return null;
    }

    private async Task WaitForRedisAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                if (await TryCheckAsync())
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            _ = TryCheckAsync();
        }
    }

    /// <summary>True once checked (and the process stopping if Redis evicts); false when Redis could not be asked.</summary>
    private async Task<bool> TryCheckAsync()
    {
        try
        {
            if (await CheckAsync() is { } refusal)
            {
                logger.LogCritical("ExeSys cannot run: {Refusal}", refusal);
                await Console.Error.WriteLineAsync($"ExeSys cannot run: {refusal}");
                Environment.ExitCode = 2;
                lifetime.StopApplication();
            }

            return true;
        }
        catch (Exception ex) when (RedisFaults.IsRedisFailure(ex))
        {
            logger.LogDebug("Cannot read Redis's maxmemory-policy yet ({Error}).", ex.Message);
            return false;
        }
    }
}
