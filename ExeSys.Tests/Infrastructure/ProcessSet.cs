using System.Collections;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// The real processes one test started. Disposing stops them all (SIGTERM, then kill); when the test failed,
/// their output is printed to the test output and attached, so the reason is visible without re-running.
/// </summary>
public sealed class ProcessSet : IReadOnlyList<ExeSysProcess>, IAsyncDisposable
{
    private readonly List<ExeSysProcess> _processes = [];

    public IReadOnlyList<ExeSysProcess> All => _processes;

    public int Count => _processes.Count;

    public ExeSysProcess this[int index] => _processes[index];

    public ExeSysProcess Start(ExeSysRole role, string name, TestSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var process = ExeSysProcess.Start(role, name, settings.ToEnvironment());
        _processes.Add(process);
        return process;
    }

    public ValueTask DisposeAsync() => StopAsync(showOutput: TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed);

    /// <summary>Stops and disposes every process; with <paramref name="showOutput"/>, their output goes to the test output and is attached.</summary>
    public async ValueTask StopAsync(bool showOutput)
    {
        await Task.WhenAll(_processes.Select(p => p.StopAsync(TimeSpan.FromSeconds(15))));
        foreach (var process in _processes)
        {
            if (showOutput)
            {
                await TestContext.Out.WriteLineAsync($"----- {process.Name} ({process.Role}, pid {process.Pid}, exit {process.ExitCode}) log {process.LogPath}");
                await TestContext.Out.WriteLineAsync(Tail(process.Output, 60));
                TestContext.AddTestAttachment(process.LogPath, $"{process.Name} output");
            }

            await process.DisposeAsync();
        }

        _processes.Clear();
    }

    public IEnumerator<ExeSysProcess> GetEnumerator() => _processes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
