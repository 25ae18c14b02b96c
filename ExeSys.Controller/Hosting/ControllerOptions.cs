using System.ComponentModel.DataAnnotations;

namespace ExeSys.Controller.Hosting;

public sealed class ControllerOptions
{
    public const string Section = "ExeSys:Controller";

    /// <summary>The period of the controller's timer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "ExeSys:Controller:TickInterval must be between 10 ms and 10 minutes.")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most expired leases handled per Redis call; a tick repeats calls until none are left.</summary>
    [Range(1, 10_000, ErrorMessage = "ExeSys:Controller:RecoveryBatch must be 1..10000.")]
    public int RecoveryBatch { get; set; } = 200;
}
