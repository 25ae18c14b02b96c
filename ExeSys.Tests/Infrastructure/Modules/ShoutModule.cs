using ExeSys.FunctionalModules;

namespace ExeSys.Tests.Infrastructure.Modules;

/// <summary>
/// A second module with a function no other module has (<c>shout</c>: the text in data, upper-cased), published once per
/// test run as a module author would, for the mixed-fleet tests: workers with different module sets.
/// </summary>
public static class ShoutModule
{
    private static readonly Lazy<Task<string>> Build = new(BuildAsync);

    /// <summary>The drop-in folder (publish output) of the module.</summary>
    public static Task<string> GetAsync() => Build.Value;

    private static async Task<string> BuildAsync()
    {
        var root = Directory.CreateTempSubdirectory("exesys-test-shout-").FullName;
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            await File.WriteAllTextAsync(Path.Combine(root, name), "<Project />\n");
        }

        var sdk = typeof(IExeSysFunction).Assembly.Location;
        var shared = string.Join(";", new[] { typeof(StackExchange.Redis.IDatabase), typeof(MongoDB.Driver.IMongoDatabase), typeof(MongoDB.Bson.BsonDocument) }.Select(t => t.Assembly.Location));
        await ModuleBuilds.WriteModuleAsync(root, "shout", sdk, shared, """
            using System.Text.Json.Nodes;
            using ExeSys.FunctionalModules;

            namespace Shout;

            public sealed class ShoutFunction : IExeSysFunction
            {
                public string Name => "shout";

                public ValueTask<JsonNode?> RunAsync(FunctionContext context) =>
                    ValueTask.FromResult<JsonNode?>(JsonValue.Create(context.Data.GetString()!.ToUpperInvariant()));
            }
            """);
        await File.WriteAllTextAsync(Path.Combine(root, "shout.slnx"), """
            <Solution>
              <Project Path="shout/shout.csproj" />
            </Solution>
            """);
        await ModuleBuilds.PublishAsync(root, "shout.slnx");
        return Path.Combine(root, "shout", "bin", "Release", "net10.0", "publish");
    }
}
