using ExeSys.Core.Configuration;
using ExeSys.Core.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ExeSys.Core.Hosting;

/// <summary>Redis refused ExeSys's credentials or its TLS handshake: the process does not run.</summary>
public sealed class RedisAccessException(string message) : Exception(message);

/// <summary>
/// A wrong ExeSys:Redis:User/Password (or a TLS certificate Redis or ExeSys does not accept) never mends by itself, so
/// every process stops on it at start with exit code 2 and a line naming the settings, rather than run on and answer
/// 503 forever. A Redis that is merely down is left to <see cref="RedisEvictionPolicyCheck"/>, which waits for it. The
/// password itself is never written anywhere: Redis's reply (WRONGPASS, NOAUTH) does not contain it.
/// <para>
/// Known gap: a running process whose reconnect is refused (the password changed on Redis meanwhile) is not seen here
/// when StackExchange.Redis reports that reconnect as a closed socket rather than an AuthenticationFailure (seen with
/// 2.13 after CLIENT KILL and a new ACL password); it then keeps retrying and answers 503 until restarted.
/// </para>
/// </summary>
public sealed class RedisAccessCheck(IConnectionMultiplexer redis, IHostApplicationLifetime lifetime, ILogger<RedisAccessCheck> logger) : IHostedService
{
    private int _refused;

    /// <summary>What an operator reads: Redis's own reason, and the settings to check.</summary>
    public static string Refusal(string reason) =>
        $"Redis refused ExeSys's connection: {reason}. Check {RedisOptions.Section}:{nameof(RedisOptions.User)} and " +
        $"{RedisOptions.Section}:{nameof(RedisOptions.Password)} (environment variables ExeSys__Redis__User, ExeSys__Redis__Password), " +
        $"and for TLS {RedisOptions.Section}:{nameof(RedisOptions.Tls)}, :{nameof(RedisOptions.TlsCaFile)}, :{nameof(RedisOptions.TlsClientCertFile)}.";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        if (redis.IsConnected)
        {
            return;
        }

        try
        {
            await redis.GetDatabase().PingAsync();
        }
        catch (Exception ex) when (AccessFailure(ex) is { } reason)
        {
            throw new RedisAccessException(Refusal(reason));
        }
        catch (Exception ex) when (RedisFaults.IsRedisFailure(ex))
        {
            // Down or unreachable: the next failed reconnect says whether it was the credentials.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        return Task.CompletedTask;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.FailureType != ConnectionFailureType.AuthenticationFailure || Interlocked.Exchange(ref _refused, 1) == 1)
        {
            return;
        }

        var refusal = Refusal(AccessFailure(e.Exception) ?? "authentication failed");
        logger.LogCritical("ExeSys cannot run: {Refusal}", refusal);
        Console.Error.WriteLine($"ExeSys cannot run: {refusal}");
        Environment.ExitCode = 2;
        lifetime.StopApplication();
    }

    /// <summary>Redis's reason when the exception (or one inside it) is a refused login or TLS handshake; else null.</summary>
    private static string? AccessFailure(Exception? exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure } ||
                ex.Message.Contains("WRONGPASS", StringComparison.Ordinal) || ex.Message.Contains("NOAUTH", StringComparison.Ordinal) ||
                ex is System.Security.Authentication.AuthenticationException)
            {
                return Innermost(ex).Message.TrimEnd('.');
            }
        }

        return null;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }
}
