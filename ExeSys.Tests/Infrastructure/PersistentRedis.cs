using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// A redis-server of one fixture's own, persisted the way production runs it (AOF, here with <c>appendfsync always</c>),
/// that the test can shut down, freeze and start again on the same port and data directory. The assembly's shared
/// server is never restarted: other tests use it at the same time.
/// </summary>
internal sealed class PersistentRedis : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly StringBuilder _output = new();
    private Process? _process;
    private bool _frozen;

    private readonly string _appendfsync;

    private PersistentRedis(int port, string directory, string appendfsync)
    {
        Port = port;
        Directory = directory;
        _appendfsync = appendfsync;
    }

    public int Port { get; }

    public string Directory { get; }

    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>How often the server was started, the first start included.</summary>
    public int Starts { get; private set; }

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

    /// <param name="appendfsync">The AOF's fsync policy: always (the fault suite's), or everysec (start_exe_sys.sh's default).</param>
    public static async Task<PersistentRedis> StartAsync(string appendfsync = "always")
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("exesys-aof-").FullName;
        var redis = new PersistentRedis(StablePort(), directory, appendfsync);
        await redis.StartAgainAsync();
        return redis;
    }

    /// <summary>
    /// A free port below Linux's ephemeral range (32768-60999), so that while the server is down no outgoing
    /// connection (the ExeSys processes reconnecting to it, say) can be given this port and keep it from coming back.
    /// </summary>
    private static int StablePort()
    {
#pragma warning disable CA5394 // Choosing a port, not security.
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
#pragma warning restore CA5394
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        return FreePort.Next();
    }

    /// <summary>Starts redis-server on the same port and directory; with AOF it loads everything it had accepted.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("redis-server is already running.");
        }

        var info = new ProcessStartInfo(RedisServer.Executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes", "--appendfsync", _appendfsync, "--dir", Directory, "--daemonize", "no", "--loglevel", "notice",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {RedisServer.Executable}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Starts++;

        // PING answers LOADING until the AOF is read back, so +PONG means the old data is there.
        await Eventually.WaitForAsync(
            async () => process.HasExited
                ? throw new InvalidOperationException($"redis-server exited with {process.ExitCode}:{Environment.NewLine}{Output}")
                : await RedisServer.PingAsync(Port),
            StartTimeout,
            $"redis-server on port {Port} to answer PING");
    }

    /// <summary>A clean stop: SHUTDOWN, which with AOF on flushes and fsyncs the log before the process exits.</summary>
    public async Task ShutdownAsync()
    {
        var process = _process ?? throw new InvalidOperationException("redis-server is not running.");
        try
        {
            using var client = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(IPAddress.Loopback, Port, cts.Token);
            await client.GetStream().WriteAsync("SHUTDOWN\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[256];
            while (await client.GetStream().ReadAsync(buffer, cts.Token) > 0)
            {
                // SHUTDOWN answers only with an error; on success the server just closes the connection.
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
        }

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(exit.Token);
        process.Dispose();
        _process = null;
    }

    /// <summary>A crash (SIGKILL): nothing is flushed; what the AOF had not fsynced yet is lost, as in a power cut.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("redis-server is not running.");
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
    }

    /// <summary>Freezes the server (SIGSTOP): it keeps its sockets open but answers nothing, like a hung host.</summary>
    public void Freeze()
    {
        Signals.Freeze(_process?.Id ?? throw new InvalidOperationException("redis-server is not running."));
        _frozen = true;
    }

    public void Thaw()
    {
        if (_frozen && _process is { HasExited: false } process)
        {
            Signals.Thaw(process.Id);
        }

        _frozen = false;
    }

    /// <summary>A multiplexer of the test's own on this server, which reconnects by itself after a restart.</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(Endpoint);
        options.AbortOnConnectFail = false;
        options.ClientName = "exesys-reliability-tests";
        options.SyncTimeout = 5000;
        options.AsyncTimeout = 5000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>A fixture's teardown: the server's log goes to the test output when the test failed, then the server stops.</summary>
    public async ValueTask StopAfterTestAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await TestContext.Out.WriteLineAsync($"----- redis-server{Environment.NewLine}{Output}");
        }

        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Thaw();
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
