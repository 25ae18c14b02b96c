using System.ComponentModel.DataAnnotations;

namespace ExeSys.Core.History;

/// <summary>
/// Durable job history in MongoDB. Off (the default) when <see cref="ConnectionString"/> is empty: finished jobs then
/// live in Redis until <c>ExeSys:Jobs:Retention</c> ends, and no ExeSys process talks to MongoDB.
/// </summary>
public sealed class MongoOptions
{
    public const string Section = "ExeSys:Mongo";

    /// <summary>A MongoDB connection string (<c>mongodb://host:27017</c>); empty = history off.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The MongoDB user, e.g. from <c>ExeSys__Mongo__User</c>; with <see cref="Password"/>, it replaces any user named in
    /// <see cref="ConnectionString"/>, so the connection string can stay free of secrets.
    /// </summary>
    public string? User { get; set; }

    /// <summary>The password of <see cref="User"/>. A secret: give it by environment variable (<c>ExeSys__Mongo__Password</c>), never in appsettings.json. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>The database that holds <see cref="User"/>'s credentials: the connection string's authSource, else <c>admin</c>.</summary>
    [RegularExpression("^[A-Za-z0-9_$-]{1,63}$", ErrorMessage = "ExeSys:Mongo:AuthSource must be 1-63 of A-Z a-z 0-9 _ $ -")]
    public string? AuthSource { get; set; }

    /// <summary>The database that holds the <c>jobs</c> and <c>activity</c> collections.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,63}$", ErrorMessage = "ExeSys:Mongo:Database must be 1-63 of A-Z a-z 0-9 _ -")]
    public string Database { get; set; } = "exesys";

    /// <summary>The database functions get as <c>FunctionContext.Mongo</c>, for their own collections; never ExeSys's <see cref="Database"/>.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,63}$", ErrorMessage = "ExeSys:Mongo:FunctionsDatabase must be 1-63 of A-Z a-z 0-9 _ -")]
    public string FunctionsDatabase { get; set; } = "exesys_functions";

    /// <summary>How long archived history is kept in MongoDB (a TTL index); 0 = forever.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "36500.00:00:00", ErrorMessage = "ExeSys:Mongo:HistoryTtl must be between 0 (keep forever) and 36500 days.")]
    public TimeSpan HistoryTtl { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// When the history is kept forever (<see cref="HistoryTtl"/> 0): how long an archived job's tombstone stays in Redis
    /// after its keys have left (after the hot retention). While it stays, a re-send is answered from MongoDB; once it
    /// has gone, the same <c>from</c>/<c>job_id</c> is a new job and runs again. It bounds the tombstones' memory (about
    /// 72 bytes each). With a HistoryTtl, the tombstone lasts as long as the history keeps the job.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "36500.00:00:00", ErrorMessage = "ExeSys:Mongo:TombstoneTtl must be between 1 second and 36500 days.")]
    public TimeSpan TombstoneTtl { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The most backlog entries the archiver takes in one claim (one BulkWrite).</summary>
    [Range(1, 10_000, ErrorMessage = "ExeSys:Mongo:ArchiveBatch must be 1..10000.")]
    public int ArchiveBatch { get; set; } = 500;

    /// <summary>How often the controller's archiver looks at the backlog when it last found it empty.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "ExeSys:Mongo:ArchiveInterval must be between 10 ms and 10 minutes.")]
    public TimeSpan ArchiveInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a claimed backlog batch is reserved for the controller that claimed it; after that another controller may take it.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00", ErrorMessage = "ExeSys:Mongo:ArchiveLease must be between 5 seconds and 1 day.")]
    public TimeSpan ArchiveLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a MongoDB call waits for a reachable server before it fails (the driver's server selection timeout).</summary>
    [Range(100, 120_000, ErrorMessage = "ExeSys:Mongo:TimeoutMs must be 100..120000.")]
    public int TimeoutMs { get; set; } = 3000;

    public bool Enabled => !string.IsNullOrWhiteSpace(ConnectionString);
}
