using System.Diagnostics;

namespace ExeSys.Bench.Target;

/// <summary>A process the bench started. Its output goes to a log file, so a failed start can be explained.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();

    private ChildProcess(string label, Process process, StreamWriter log, string logPath)
    {
        Label = label;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    /// <summary>api, worker-1, controller, redis ...</summary>
    public string Label { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string label, string fileName, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string>> environment, string logDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = logDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var logPath = Path.Combine(logDirectory, $"{label}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(label, process, log, logPath);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            child.Dispose();
            throw new InvalidOperationException($"Cannot start {label} ('{fileName}'): {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            _log.WriteLine(line);
        }
    }

    /// <summary>The last lines of the log, to quote when the process failed.</summary>
    public string Tail(int lines = 15)
    {
        lock (_logGate)
        {
            _log.Flush();
        }

        try
        {
            var all = File.ReadAllLines(LogPath);
            return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Kills the process: the bench owns a throw-away Redis, so there is nothing to shut down gracefully.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
            // never started, or already gone
        }

        _process.Dispose();
        lock (_logGate)
        {
            _log.Dispose();
        }
    }
}
