using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// CongoDB, a MongoDB wire-protocol server with in-memory storage (npm @push.rocks/smartmongo, installed into
/// ExeSys.Tests/Tooling/congodb by its install.sh, which test.sh runs), on a free loopback port. It can be stopped
/// and started again on the same port, to play a MongoDB outage; a restarted CongoDB is empty.
/// </summary>
public sealed class CongoServer : IAsyncDisposable
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    private CongoServer(int port) => Port = port;

    public int Port { get; }

    public string ConnectionString => $"mongodb://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

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

    public static async Task<CongoServer> StartAsync()
    {
        var server = new CongoServer(FreePort.Next());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>ExeSys.Tests/Tooling/congodb in the repository the tests were built from.</summary>
    public static string ToolingDirectory => Repository.Tooling("congodb");

    /// <summary>Starts CongoDB on <see cref="Port"/> and waits for its ready line (and for it to accept connections).</summary>
    public async Task StartAgainAsync()
    {
        var directory = ToolingDirectory;
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "@push.rocks", "smartmongo")))
        {
            throw new InvalidOperationException($"CongoDB is not installed: run {Path.Combine(directory, "install.sh")} (test.sh does).");
        }

        var info = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        info.ArgumentList.Add("congo.mjs");
        info.ArgumentList.Add(Port.ToString(CultureInfo.InvariantCulture));
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            Append(e.Data);
            if (e.Data?.StartsWith("congodb ready", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start node for CongoDB.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var done = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != ready.Task)
        {
            throw new InvalidOperationException($"CongoDB did not start on port {Port}:{Environment.NewLine}{Output}");
        }
    }

    /// <summary>Kills CongoDB (its in-memory data goes with it).</summary>
    public async Task StopAsync()
    {
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
    }

    public async ValueTask DisposeAsync() => await StopAsync();

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
