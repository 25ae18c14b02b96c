using System.Runtime.InteropServices;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// The POSIX signals the reliability tests send to real processes: SIGSTOP freezes a process the way a long GC pause,
/// a swapped-out VM or a debugger does (it holds its sockets and its leases, but does nothing); SIGCONT resumes it.
/// </summary>
internal static partial class Signals
{
    // Linux numbering (x86-64 and arm64); the tests start real processes, which is Linux-only here anyway.
    private const int SigCont = 18;
    private const int SigStop = 19;

    public static void Freeze(int pid) => Send(pid, SigStop, "SIGSTOP");

    public static void Thaw(int pid) => Send(pid, SigCont, "SIGCONT");

    private static void Send(int pid, int signal, string name)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {name}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
