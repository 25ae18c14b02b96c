using System.Globalization;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// The assembly's redis-server and a multiplexer on it for assertions. Set up once by <see cref="TestRedisSetup"/>,
/// NUnit's place for assembly-wide resources; tests share the server and never each other's keys.
/// </summary>
public static class TestRedis
{
    private static RedisServer? _server;
    private static ConnectionMultiplexer? _connection;
    private static int _prefixCounter;

    public static RedisServer Server => _server ?? throw new InvalidOperationException("The test redis-server is not running: TestRedisSetup did not start it.");

    public static IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("The test redis-server is not running: TestRedisSetup did not start it.");

    public static string Endpoint => Server.Endpoint;

    internal static async Task StartAsync()
    {
        _server = await RedisServer.StartAsync(TimeSpan.FromSeconds(15));
        _connection = await ConnectAsync();
    }

    internal static async Task StopAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }
    }

    /// <summary>A new multiplexer on the test server, for tests that want several independent connections.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(Endpoint);
        options.AbortOnConnectFail = true;
        options.ClientName = "exesys-tests";
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>
    /// A key prefix of its own for one test or fixture, like StackExchange.Redis TestBase's Me(): unique within the
    /// run (counter) and across runs (random part), and valid for ExeSys:Redis:KeyPrefix (1-32 of A-Z a-z 0-9 _ . -).
    /// </summary>
    public static string NewPrefix(string hint = "t")
    {
        var n = Interlocked.Increment(ref _prefixCounter).ToString(CultureInfo.InvariantCulture);
        var random = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var cleanHint = new string([.. hint.Where(c => char.IsAsciiLetterOrDigit(c)).Take(32 - n.Length - random.Length - 2)]);
        return $"{(cleanHint.Length == 0 ? "t" : cleanHint)}-{n}-{random}";
    }
}
