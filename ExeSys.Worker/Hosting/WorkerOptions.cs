using System.ComponentModel.DataAnnotations;
using ExeSys.Core.Configuration;

namespace ExeSys.Worker.Hosting;

public sealed class WorkerOptions : IValidatableObject
{
    public const string Section = "ExeSys:Worker";

    /// <summary>
    /// How many jobs one worker process runs at once. At most <see cref="ScriptLimits.JobsPerCall"/>: the worker renews
    /// every running job's lease in one script, which spreads two values per lease (deadline, member) into one ZADD,
    /// and Lua's unpack() takes at most 7,999; above the bound every renewal would fail and the jobs would run twice.
    /// </summary>
    [Range(1, ScriptLimits.JobsPerCall, ErrorMessage = "ExeSys:Worker:Concurrency must be 1..{2}: a worker renews all its leases in one Redis script, which takes at most {2} jobs.")]
    public int Concurrency { get; set; } = 64;

    /// <summary>The most jobs taken off the queue in one claim.</summary>
    [Range(1, 1000, ErrorMessage = "ExeSys:Worker:ClaimBatch must be 1..1000.")]
    public int ClaimBatch { get; set; } = 32;

    /// <summary>
    /// The queues this worker serves, in order of preference: each claim takes from the first that has work for it,
    /// then the next. Default: the one queue <c>default</c>. Names: 1 to 64 of a-z, 0-9, '_' and '-'.
    /// </summary>
    /// <remarks>Empty here, not <c>["default"]</c>: the configuration binder adds to a list it finds, it does not replace it.</remarks>
    public List<string> Queues { get; set; } = [];

    /// <summary>The queues served, in order: <see cref="Queues"/>, or <c>default</c> when none is set.</summary>
    public IReadOnlyList<string> ServedQueues => Queues.Count == 0 ? [Core.Redis.QueueKeys.DefaultName] : [.. Queues.Distinct(StringComparer.Ordinal)];

    /// <summary>An idle worker checks the queue this often even without a wake-up message (a safety net for lost pub/sub messages).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = "ExeSys:Worker:IdlePoll must be between 50 ms and 10 minutes.")]
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the worker advertises itself and its functions; it drops out of the registry after three missed beats.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "ExeSys:Worker:HeartbeatInterval must be between 100 ms and 5 minutes.")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>On SIGTERM, how long running jobs may take to finish before they are cancelled and put back on the queue.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "ExeSys:Worker:ShutdownGrace must be between 0 and 1 hour.")]
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most forever runners one worker holds at once; more wait on the queue for another worker or a free place.</summary>
    [Range(0, 10_000, ErrorMessage = "ExeSys:Worker:MaxRunners must be 0..10000.")]
    public int MaxRunners { get; set; } = 16;

    /// <summary>The folder of function modules, one sub-folder per module; relative paths are from the working directory.</summary>
    [Required(ErrorMessage = "ExeSys:Worker:ModulesFolder must name a folder, e.g. modules.")]
    public string ModulesFolder { get; set; } = "modules";

    /// <summary>How often the modules folder is read again (a file watcher also triggers reads; it misses events on some file systems).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "ExeSys:Worker:ModulesRescan must be between 100 ms and 1 hour.")]
    public TimeSpan ModulesRescan { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A module's files must stay unchanged this long before it is loaded, so a half-copied module is never loaded.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "ExeSys:Worker:ModuleStableFor must be between 0 and 10 minutes.")]
    public TimeSpan ModuleStableFor { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A module whose folder is gone (or holds no file) keeps its functions this long before they are withdrawn, so the
    /// rm+cp of a replacement never leaves a window without them. The price: a really removed module is still offered
    /// (and runs its jobs on the old version) for this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "ExeSys:Worker:ModuleRemoveGrace must be between 0 and 1 hour.")]
    public TimeSpan ModuleRemoveGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Optional: the SHA-256 hashes (hex, as <c>sha256sum</c> prints them) of the module files this worker may load.
    /// Empty (the default): any module in the folder loads. Set: a module with a <c>.dll</c>, <c>.so</c> or <c>.dylib</c>
    /// whose hash is not listed is refused, with the file and its hash in the reason. An entry may hold several hashes
    /// separated by commas or spaces (<c>ExeSys__Worker__ModuleAllowList__0="hash1 hash2"</c>).
    /// </summary>
    public List<string> ModuleAllowList { get; set; } = [];

    /// <summary>The hashes of <see cref="ModuleAllowList"/>, one per item.</summary>
    public IEnumerable<string> AllowedModuleHashes =>
        ModuleAllowList.SelectMany(e => e.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The worker's id in the registry and in job state; empty means host name plus process id.</summary>
    [RegularExpression("^[A-Za-z0-9_.-]{0,64}$", ErrorMessage = "ExeSys:Worker:Id may hold only A-Z a-z 0-9 _ . - (at most 64).")]
    public string Id { get; set; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var q in Queues.Where(q => !Core.Queues.QueueRouting.IsValidName(q)))
        {
            yield return new ValidationResult($"ExeSys:Worker:Queues: '{q}' is not a valid queue name ({Core.Queues.QueueRouting.NameRule}).", [nameof(Queues)]);
        }

        foreach (var hash in AllowedModuleHashes.Where(h => h.Length != 64 || !h.All(char.IsAsciiHexDigit)))
        {
            yield return new ValidationResult($"ExeSys:Worker:ModuleAllowList: '{hash}' is not a SHA-256 hash (64 hex digits, as sha256sum prints).", [nameof(ModuleAllowList)]);
        }
    }
}
