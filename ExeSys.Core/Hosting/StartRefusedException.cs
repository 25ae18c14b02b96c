namespace ExeSys.Core.Hosting;

/// <summary>A service found at start that the process must not run (an unsafe setting); ExeSysHost prints the message and exits with code 2.</summary>
public sealed class StartRefusedException(string message) : Exception(message);
