using System.ComponentModel.DataAnnotations;
using ExeSys.Core.Configuration;

namespace ExeSys.Controller.Hosting;

public sealed class ControllerOptions
{
    public const string Section = "ExeSys:Controller";

    /// <summary>The period of the controller's timer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "ExeSys:Controller:TickInterval must be between 10 ms and 10 minutes.")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The most expired leases (and due retries) handled per Redis call; a tick repeats calls until none are left. At
    /// most <see cref="ScriptLimits.JobsPerCall"/>: one script moves that many jobs with two values each (score, member)
    /// spread into one command, and Lua's unpack() takes at most 7,999; above the bound recovery would fail on every tick.
    /// </summary>
    [Range(1, ScriptLimits.JobsPerCall, ErrorMessage = "ExeSys:Controller:RecoveryBatch must be 1..{2}: one Redis script handles that many jobs, and takes at most {2}.")]
    public int RecoveryBatch { get; set; } = 200;
}
