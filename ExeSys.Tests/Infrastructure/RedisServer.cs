using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, with persistence off and a temp directory of its own.
/// Started once per test assembly by <see cref="TestRedisSetup"/>; every test isolates itself with its own key prefix.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output;

    private RedisServer(Process process, int port, string directory, StringBuilder output)
    {
        _process = process;
        Port = port;
        _directory = directory;
        _output = output;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The redis-server binary: EXESYS_TEST_REDIS_SERVER, else /usr/bin/redis-server, else the one on PATH.</summary>
    public static string Executable =>
        Environment.GetEnvironmentVariable("EXESYS_TEST_REDIS_SERVER") is { Length: > 0 } configured ? configured
        : File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server"
        : "redis-server";

    /// <param name="extraArgs">More redis-server options, given the chosen port (e.g. cluster mode and its bus port).</param>
    public static async Task<RedisServer> StartAsync(TimeSpan timeout, Func<int, IEnumerable<string>>? extraArgs = null)
    {
        // The free port can be taken between choosing and binding it; then redis-server exits and another port is tried.
        var failures = new StringBuilder();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var port = FreePort.Next();
            var (server, failure) = await TryStartAsync(port, timeout, extraArgs?.Invoke(port) ?? []);
            if (server is not null)
            {
                return server;
            }

            failures.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"attempt {attempt} on port {port}: {failure}");
        }

        throw new InvalidOperationException($"redis-server ({Executable}) did not answer PING:{Environment.NewLine}{failures}");
    }

    /// <summary>A redis-server on a port the test chose (one its processes were told to connect to before it was up).</summary>
    public static async Task<RedisServer> StartOnPortAsync(int port, TimeSpan timeout, IEnumerable<string>? extraArgs = null)
    {
        var (server, failure) = await TryStartAsync(port, timeout, extraArgs ?? []);
        return server ?? throw new InvalidOperationException($"redis-server ({Executable}) did not answer PING on port {port}: {failure}");
    }

    private static async Task<(RedisServer? Server, string Failure)> TryStartAsync(int port, TimeSpan timeout, IEnumerable<string> extraArgs)
    {
        var directory = Directory.CreateTempSubdirectory("exesys-redis-").FullName;
        var output = new StringBuilder();
        var info = new ProcessStartInfo(Executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var arg in new[]
        {
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", directory, "--daemonize", "no", "--loglevel", "warning",
        }.Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {Executable}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !process.HasExited)
        {
            if (await AnswersAsync(port))
            {
                return (new RedisServer(process, port, directory, output), "");
            }

            await Task.Delay(20);
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync();
        process.Dispose();
        TryDelete(directory);
        lock (output)
        {
            return (null, output.ToString());
        }
    }

    /// <summary>Sends PING over a plain socket; true on +PONG.</summary>
    public static async Task<bool> PingAsync(int port) => (await ReplyToPingAsync(port)).StartsWith("+PONG", StringComparison.Ordinal);

    /// <summary>Up: it answers PING, or refuses it for want of a password (a server started with requirepass or ACL users).</summary>
    private static async Task<bool> AnswersAsync(int port) => await ReplyToPingAsync(port) is var reply &&
        (reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal));

    private static async Task<string> ReplyToPingAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, cts.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return "";
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        TryDelete(_directory);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
