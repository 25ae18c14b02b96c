using ExeSys.FunctionalModules;

namespace ExeSys.Tests.Infrastructure.Modules;

/// <summary>
/// A test module, built once per test run as a module author would (<c>dotnet publish</c>), whose functions let the
/// lease tests watch a real worker from inside a function:
/// <list type="bullet">
/// <item><c>fail_fast</c> kills its worker process (<see cref="Environment.FailFast(string)"/>): a poison pill;</item>
/// <item><c>lease_probe</c> (data <c>{"dir": ..., "ms": n}</c>) waits n ms on its token, then records that it
/// completed; if its token is cancelled first, it records that, with the Unix ms at which it saw it. Each record is a
/// file of its own in dir (<see cref="Records"/>), so concurrent functions, even in several processes, never share a
/// write, and nothing depends on Redis, which a test may freeze.</item>
/// </list>
/// </summary>
public static class LeaseProbeModule
{
    public const string FailFast = "fail_fast";
    public const string Probe = "lease_probe";

    private static readonly Lazy<Task<string>> Build = new(BuildAsync);
    private static string? _root;

    /// <summary>The module's drop-in folder (its publish output).</summary>
    public static Task<string> GetAsync() => Build.Value;

    /// <summary>Copies the module into a new modules folder, which the caller deletes.</summary>
    public static async Task<string> NewModulesFolderAsync()
    {
        var built = await GetAsync();
        var folder = Directory.CreateTempSubdirectory("exesys-lease-modules-").FullName;
        ModuleBuilds.CopyModule(built, Path.Combine(folder, "leaseprobe"));
        return folder;
    }

    /// <summary>What <c>lease_probe</c> recorded in <paramref name="dir"/>: (job_id, attempt, "completed" or "cancelled", Unix ms).</summary>
    public static IReadOnlyList<(string JobId, int Attempt, string What, long AtMs)> Records(string dir) =>
        [.. Directory.GetFiles(dir, "*.rec").Select(path =>
        {
            var parts = File.ReadAllText(path).Split(' ');
            return (parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2], long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture));
        })];

    internal static void Clean()
    {
        if (_root is not null && Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static async Task<string> BuildAsync()
    {
        var root = Directory.CreateTempSubdirectory("exesys-lease-module-").FullName;
        _root = root;
        var sdk = typeof(IExeSysFunction).Assembly.Location;
        var shared = string.Join(";", new[] { typeof(StackExchange.Redis.IDatabase), typeof(MongoDB.Driver.IMongoDatabase), typeof(MongoDB.Bson.BsonDocument) }.Select(t => t.Assembly.Location));
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            await File.WriteAllTextAsync(Path.Combine(root, name), "<Project />\n");
        }

        await ModuleBuilds.WriteModuleAsync(root, "leaseprobe", sdk, shared, """
            using System.Globalization;
            using System.Text.Json.Nodes;
            using ExeSys.FunctionalModules;

            namespace LeaseProbe;

            public sealed class FailFastFunction : IExeSysFunction
            {
                public string Name => "fail_fast";

                public ValueTask<JsonNode?> RunAsync(FunctionContext context)
                {
                    Environment.FailFast($"fail_fast: {context.From}/{context.JobId} attempt {context.Attempt} kills its worker on purpose");
                    return ValueTask.FromResult<JsonNode?>(null);
                }
            }

            public sealed class LeaseProbeFunction : IExeSysFunction
            {
                public string Name => "lease_probe";

                public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
                {
                    var dir = context.Data.GetProperty("dir").GetString()!;
                    var ms = context.Data.GetProperty("ms").GetInt32();
                    try
                    {
                        await Task.Delay(ms, context.CancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        Record(dir, context, "cancelled");
                        throw;
                    }

                    Record(dir, context, "completed");
                    return new JsonObject { ["slept_ms"] = ms };
                }

                private static void Record(string dir, FunctionContext context, string what) =>
                    File.WriteAllText(
                        Path.Combine(dir, $"{context.JobId}.{context.Attempt}.{what}.{Guid.NewGuid():N}.rec"),
                        string.Create(CultureInfo.InvariantCulture, $"{context.JobId} {context.Attempt} {what} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}"));
            }
            """);
        await File.WriteAllTextAsync(Path.Combine(root, "modules.slnx"), """
            <Solution>
              <Project Path="leaseprobe/leaseprobe.csproj" />
            </Solution>
            """);
        await ModuleBuilds.PublishAsync(root, "modules.slnx");
        return Path.Combine(root, "leaseprobe", "bin", "Release", "net10.0", "publish");
    }
}
