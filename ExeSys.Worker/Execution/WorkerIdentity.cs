using ExeSys.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Worker.Execution;

/// <summary>This worker's id in the registry, in job state and on its own notification channel.</summary>
public sealed class WorkerIdentity(IOptions<WorkerOptions> options)
{
    public string Id { get; } = string.IsNullOrEmpty(options.Value.Id)
        ? $"{Environment.MachineName}-{Environment.ProcessId}"
        : options.Value.Id;

    public override string ToString() => Id;
}
