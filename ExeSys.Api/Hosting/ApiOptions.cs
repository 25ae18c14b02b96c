using System.ComponentModel.DataAnnotations;
using ExeSys.Core.Configuration;

namespace ExeSys.Api.Hosting;

public sealed class ApiOptions
{
    public const string Section = "ExeSys:Api";

    /// <summary>Where the API listens; the seed's curl examples use http://127.0.0.1:5000.</summary>
    [Required(ErrorMessage = "ExeSys:Api:Urls must name at least one address, e.g. http://127.0.0.1:5000.")]
    public string Urls { get; set; } = "http://127.0.0.1:5000";

    /// <summary>The largest request body accepted, in bytes; larger ones get 413.</summary>
    [Range(1024, 256 * 1024 * 1024, ErrorMessage = "ExeSys:Api:MaxBodyBytes must be between 1 KiB and 256 MiB.")]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The most commands one <c>POST /sys_cmd/batch</c> may hold; more get 400. At most
    /// <see cref="ScriptLimits.MaxBatchCommands"/>: a batch's jobs are enqueued in calls of <see cref="ScriptLimits.JobsPerCall"/>
    /// (what one script takes), and the bound keeps a batch to five of them, the size the tests run.
    /// </summary>
    [Range(1, ScriptLimits.MaxBatchCommands, ErrorMessage = "ExeSys:Api:MaxBatchCommands must be between 1 and {2}: a batch is enqueued in Redis scripts of a bounded size, and is held to five of them.")]
    public int MaxBatchCommands { get; set; } = 1000;

    /// <summary>The largest <c>POST /sys_cmd/batch</c> body accepted, in bytes; larger ones get 413. Each command in it is still held to <see cref="MaxBodyBytes"/>.</summary>
    [Range(1024, 1024 * 1024 * 1024, ErrorMessage = "ExeSys:Api:MaxBatchBodyBytes must be between 1 KiB and 1 GiB.")]
    public int MaxBatchBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The longest <c>?wait=</c> a client may ask for.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "ExeSys:Api:MaxWait must be between 0 and 10 minutes.")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A folder of named workflow definitions (<c>name.json</c>); relative paths are from the working directory.</summary>
    [Required(ErrorMessage = "ExeSys:Api:WorkflowsFolder must name a folder, e.g. workflows.")]
    public string WorkflowsFolder { get; set; } = "workflows";

    /// <summary>How often the workflows folder is read again for new or changed files.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "ExeSys:Api:WorkflowsRescan must be between 100 ms and 1 hour.")]
    public TimeSpan WorkflowsRescan { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most named workflow definitions stored (API and folder together); a new one beyond it gets 409.</summary>
    [Range(1, 100_000, ErrorMessage = "ExeSys:Api:MaxDefinitions must be between 1 and 100000.")]
    public int MaxDefinitions { get; set; } = 1000;

    /// <summary>The largest named workflow definition, in bytes of its compact JSON; a larger one gets 413.</summary>
    [Range(1024, 256 * 1024 * 1024, ErrorMessage = "ExeSys:Api:MaxDefinitionBytes must be between 1 KiB and 256 MiB.")]
    public int MaxDefinitionBytes { get; set; } = 1024 * 1024;

    /// <summary>How long the API trusts its cached list of functions that live workers offer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00", ErrorMessage = "ExeSys:Api:FunctionCacheTtl must be between 50 ms and 5 minutes.")]
    public TimeSpan FunctionCacheTtl { get; set; } = TimeSpan.FromSeconds(2);
}
