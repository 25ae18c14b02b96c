using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.Schedules;

/// <summary>Schedules (ExeSys:Schedules): the bounds of what is stored and of what one controller tick does.</summary>
public sealed class ScheduleOptions
{
    public const string Section = "ExeSys:Schedules";

    /// <summary>The most schedules stored at once; a create beyond it gets 409.</summary>
    [Range(1, 10_000_000, ErrorMessage = "ExeSys:Schedules:MaxSchedules must be 1..10000000.")]
    public int MaxSchedules { get; set; } = 200_000;

    /// <summary>
    /// The most schedules one Redis call takes or fires; a tick repeats calls while they come back full. Each fired
    /// schedule is five script arguments, and Lua's unpack() takes at most 7,999.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "ExeSys:Schedules:Batch must be 1..1000.")]
    public int Batch { get; set; } = 500;

    /// <summary>How many of its last firings each schedule keeps (fire time, job_id, started or skipped), newest first.</summary>
    [Range(1, 1000, ErrorMessage = "ExeSys:Schedules:RunsKept must be 1..1000.")]
    public int RunsKept { get; set; } = 20;

    /// <summary>
    /// How long the controller that took or fired a schedule holds it. Should it die meanwhile, another controller takes
    /// it up after this (the firing is late by up to this, never lost or doubled).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "ExeSys:Schedules:Lease must be between 1 second and 10 minutes.")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The catch-up window of a schedule that names none: a firing at most this late still fires; an older one is a misfire.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00", ErrorMessage = "ExeSys:Schedules:DefaultCatchUp must be between 0 and 7 days.")]
    public TimeSpan DefaultCatchUp { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The most misfired firings one schedule's fire_all policy may fire (its max_catch_up is at most this).</summary>
    [Range(1, 1000, ErrorMessage = "ExeSys:Schedules:MaxCatchUp must be 1..1000.")]
    public int MaxCatchUp { get; set; } = 100;

    /// <summary>The shortest interval a schedule may have.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "ExeSys:Schedules:MinInterval must be between 1 second and 1 day.")]
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many of a schedule's next fire times GET /schedules/{name} shows.</summary>
    [Range(1, 100, ErrorMessage = "ExeSys:Schedules:NextShown must be 1..100.")]
    public int NextShown { get; set; } = 5;
}
