using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ExeSys.Tests.Infrastructure;

public enum ExeSysRole
{
    Api,
    Worker,
    Controller,
}

/// <summary>
/// A real ExeSys process (<c>dotnet ExeSys.X.dll</c>) with its settings as environment variables. Its stdout and
/// stderr go to a log file (and memory) so a failing test can show what the process said.
/// </summary>
public sealed partial class ExeSysProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StreamWriter _log;

    private ExeSysProcess(string name, ExeSysRole role, Process process, string logPath, StreamWriter log)
    {
        Name = name;
        Role = role;
        _process = process;
        LogPath = logPath;
        _log = log;
    }

    public string Name { get; }

    public ExeSysRole Role { get; }

    public int Pid => _process.Id;

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

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

    public static ExeSysProcess Start(ExeSysRole role, string name, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var info = new ProcessStartInfo(DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(DllPath(role))!,
        };
        info.ArgumentList.Add(DllPath(role));

        // Only the test's settings configure the process, never ExeSys variables of the shell that runs the tests.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ExeSys__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var logDirectory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "process-logs");
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"{DateTime.UtcNow:HHmmss.fff}-{name}.log");
        var log = new StreamWriter(logPath, append: false, Encoding.UTF8) { AutoFlush = true };

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new ExeSysProcess(name, role, process, logPath, log);
        process.OutputDataReceived += (_, e) => started.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => started.Append("err", e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {info.FileName} {DllPath(role)}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>The SDK's dotnet host (set by dotnet test), else the one on PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>
    /// ExeSys.X/bin/&lt;Configuration&gt;/&lt;tfm&gt;/ExeSys.X.dll in the repository, built with the test project (which
    /// references it), in the test's own configuration; else the copy beside the test assembly.
    /// </summary>
    public static string DllPath(ExeSysRole role)
    {
        var project = $"ExeSys.{role}";
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = testOutput.Name;
        var configuration = testOutput.Parent?.Name ?? "Debug";
        for (var dir = testOutput; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ExeSys.sln")))
            {
                var inRepo = Path.Combine(dir.FullName, project, "bin", configuration, tfm, project + ".dll");
                if (File.Exists(inRepo))
                {
                    return inRepo;
                }

                break;
            }
        }

        var beside = Path.Combine(AppContext.BaseDirectory, project + ".dll");
        return File.Exists(beside) ? beside : throw new FileNotFoundException($"Cannot find {project}.dll; build ExeSys.sln first.");
    }

    /// <summary>Asks the process to stop the way an orchestrator does (SIGTERM).</summary>
    public void Terminate()
    {
        if (!_process.HasExited && Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash would.</summary>
    public void Crash() => _process.Kill(entireProcessTree: true);

    /// <summary>Waits for the process to exit; null when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGTERM, then SIGKILL if it has not exited within <paramref name="grace"/>. Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            Terminate();
            if (await WaitForExitAsync(grace) is null)
            {
                Crash();
                await _process.WaitForExitAsync();
            }
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
        lock (_output)
        {
            _log.Dispose();
        }
    }

    private void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        var stamped = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} {stream} {line}");
        lock (_output)
        {
            _output.AppendLine(stamped);
            try
            {
                _log.WriteLine(stamped);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
