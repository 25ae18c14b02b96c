using System.Diagnostics;
using System.Text;
using ExeSys.FunctionalModules;

namespace ExeSys.Tests.Infrastructure.Modules;

/// <summary>The drop-in folders (publish outputs) of the modules these tests copy into a modules folder.</summary>
/// <param name="HelloV1">samples/HelloModule built as version 1.0.0: hello, word_count, slow_version, visit_count, save_note.</param>
/// <param name="HelloV2">The same sources built as version 2.0.0.</param>
/// <param name="Boom">A module whose only function type throws in its static constructor.</param>
/// <param name="Copycat">A module whose only function is named <c>hello</c>, like HelloModule's.</param>
/// <param name="Shout">A module whose only function, <c>shout</c> (the text in data, upper-cased), no other module has: the roll-out tests' clash and the mixed-fleet workers.</param>
/// <param name="Probe">A module whose function <c>limit_probe</c> counts how many of its runs overlap, across workers,
/// with a counter in the functions' data store (<see cref="ModuleBuilds.ProbeSource"/>).</param>
public sealed record BuiltModules(string HelloV1, string HelloV2, string Boom, string Copycat, string Shout, string Probe);

/// <summary>
/// Builds the test modules once per test run, with <c>dotnet publish</c>, as a module author would.
/// </summary>
/// <remarks>
/// The projects are generated outside the repository: HelloModule's own sources from samples/HelloModule, plus two
/// tiny broken modules and a tiny working one. They compile against the SDK assembly the tests (and the worker) run with, by reference,
/// not against ExeSys.FunctionalModules.csproj: publishing the sample in place with <c>-p:Version=2.0.0</c> would pass
/// that version on to the SDK project and rebuild it inside the repository, under the feet of concurrent builds and
/// test runs. All five are published by one <c>dotnet publish</c> of a generated solution, to pay for one build.
/// </remarks>
public static class ModuleBuilds
{
    public const string BoomReason = "BoomFunction refuses to initialize: its static constructor throws on purpose";

    private static readonly Lazy<Task<BuiltModules>> Build = new(BuildAsync);
    private static string? _root;

    public static Task<BuiltModules> GetAsync() => Build.Value;

    /// <summary>Deletes the generated projects and their outputs, if they were built.</summary>
    internal static void Clean()
    {
        if (_root is not null && Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>Copies a module's drop-in folder file by file (overwriting what is there), as <c>cp -r</c> would.</summary>
    public static void CopyModule(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    private static async Task<BuiltModules> BuildAsync()
    {
        var root = Directory.CreateTempSubdirectory("exesys-test-modules-").FullName;
        _root = root;
        var sdk = typeof(IExeSysFunction).Assembly.Location;
        var shared = string.Join(";", new[] { typeof(StackExchange.Redis.IDatabase), typeof(MongoDB.Driver.IMongoDatabase), typeof(MongoDB.Bson.BsonDocument) }.Select(t => t.Assembly.Location));
        var sample = Path.Combine(RepositoryRoot(), "samples", "HelloModule");

        // Empty build files at the root stop MSBuild from picking up any Directory.Build.* above the temp folder.
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            await File.WriteAllTextAsync(Path.Combine(root, name), "<Project />\n");
        }

        foreach (var version in new[] { "1.0.0", "2.0.0" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, $"hello-{version}")).FullName;
            foreach (var source in Directory.GetFiles(sample, "*.cs"))
            {
                File.Copy(source, Path.Combine(folder, Path.GetFileName(source)));
            }

            await File.WriteAllTextAsync(Path.Combine(folder, $"hello-{version}.csproj"), Project(sdk, shared, "HelloModule", version));
        }

        await WriteModuleAsync(root, "boom", sdk, shared, $$"""
            using System.Text.Json.Nodes;
            using ExeSys.FunctionalModules;

            namespace Boom;

            public sealed class BoomFunction : IExeSysFunction
            {
                // An explicit static constructor runs when the worker creates the function, not lazily later.
                static BoomFunction()
                {
                    if (Environment.ProcessorCount > 0)
                    {
                        throw new InvalidOperationException("{{BoomReason}}");
                    }
                }

                public string Name => "boom";

                public ValueTask<JsonNode?> RunAsync(FunctionContext context) => ValueTask.FromResult<JsonNode?>("boom");
            }
            """);
        await WriteModuleAsync(root, "copycat", sdk, shared, """
            using System.Text.Json.Nodes;
            using ExeSys.FunctionalModules;

            namespace Copycat;

            public sealed class CopycatHelloFunction : IExeSysFunction
            {
                public string Name => "hello";

                public ValueTask<JsonNode?> RunAsync(FunctionContext context) => ValueTask.FromResult<JsonNode?>(new JsonObject { ["copycat"] = true });
            }
            """);
        await WriteModuleAsync(root, "shout", sdk, shared, """
            using System.Text.Json.Nodes;
            using ExeSys.FunctionalModules;

            namespace Shout;

            public sealed class ShoutFunction : IExeSysFunction
            {
                public string Name => "shout";

                public ValueTask<JsonNode?> RunAsync(FunctionContext context) => ValueTask.FromResult<JsonNode?>(context.Data.GetString()!.ToUpperInvariant());
            }
            """);
        await WriteModuleAsync(root, "probe", sdk, shared, ProbeSource);
        await File.WriteAllTextAsync(Path.Combine(root, "modules.slnx"), """
            <Solution>
              <Project Path="hello-1.0.0/hello-1.0.0.csproj" />
              <Project Path="hello-2.0.0/hello-2.0.0.csproj" />
              <Project Path="boom/boom.csproj" />
              <Project Path="copycat/copycat.csproj" />
              <Project Path="shout/shout.csproj" />
              <Project Path="probe/probe.csproj" />
            </Solution>
            """);

        await PublishAsync(root, "modules.slnx");
        string Output(string project) => Path.Combine(root, project, "bin", "Release", "net10.0", "publish");
        return new BuiltModules(Output("hello-1.0.0"), Output("hello-2.0.0"), Output("boom"), Output("copycat"), Output("shout"), Output("probe"));
    }

    /// <summary>
    /// <c>limit_probe</c>, data <c>{"counter": name, "ms": n}</c>: while it runs, the counter <c>name</c> in the functions'
    /// data store counts the runs in progress, across every worker; each run pushes the count it saw on starting onto
    /// <c>name:seen</c>, so the largest value there is the most runs that ever overlapped. It then sleeps n ms.
    /// </summary>
    internal const string ProbeSource = """
        using System.Text.Json.Nodes;
        using ExeSys.FunctionalModules;

        namespace Probe;

        public sealed class LimitProbeFunction : IExeSysFunction
        {
            public string Name => "limit_probe";

            public async ValueTask<JsonNode?> RunAsync(FunctionContext context)
            {
                var store = context.DataStore ?? throw new FunctionException("limit_probe needs the function data store.");
                var counter = context.Data.GetProperty("counter").GetString()!;
                var running = await store.StringIncrementAsync(counter);
                try
                {
                    await store.ListRightPushAsync(counter + ":seen", running);
                    await Task.Delay(context.Data.GetProperty("ms").GetInt32(), context.CancellationToken);
                }
                finally
                {
                    await store.StringDecrementAsync(counter);
                }

                return running;
            }
        }
        """;

    // What samples/HelloModule.csproj and the repository's Directory.Build.props give a module, with the SDK (and the
    // libraries whose types the SDK hands to functions: StackExchange.Redis, MongoDB.Driver, MongoDB.Bson) by path.
    private static string Project(string sdk, string shared, string assemblyName, string version)
    {
        var references = string.Concat(shared.Split(';').Select(path =>
            $"    <Reference Include=\"{Path.GetFileNameWithoutExtension(path)}\" HintPath=\"{path}\" Private=\"false\" />{Environment.NewLine}"));
        return $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <LangVersion>latest</LangVersion>
            <AssemblyName>{assemblyName}</AssemblyName>
            <RootNamespace>{assemblyName}</RootNamespace>
            <Version>{version}</Version>
            <CopyLocalLockFileAssemblies>true</CopyLocalLockFileAssemblies>
          </PropertyGroup>
          <ItemGroup>
            <!-- The SDK's dependencies (ILogger) come with the ASP.NET Core framework, as the SDK project's own reference brings them. -->
            <FrameworkReference Include="Microsoft.AspNetCore.App" />
            <Reference Include="ExeSys.FunctionalModules" HintPath="{sdk}" Private="false" />
        {references}          </ItemGroup>
        </Project>
        """;
    }

    internal static async Task WriteModuleAsync(string root, string name, string sdk, string shared, string source)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, $"{name}.csproj"), Project(sdk, shared, name, "1.0.0"));
        await File.WriteAllTextAsync(Path.Combine(folder, "Functions.cs"), source);
    }

    internal static async Task PublishAsync(string root, string solution)
    {
        var info = new ProcessStartInfo(ExeSysProcess.DotnetHost)
        {
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "publish", solution, "-c", "Release", "-nodeReuse:false", "-nologo" })
        {
            info.ArgumentList.Add(arg);
        }

        // dotnet test hands its own MSBuild settings down to child processes; this build is a separate one.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet publish of the test modules took over 5 minutes:{Environment.NewLine}{Text(output)}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of the test modules failed ({process.ExitCode}):{Environment.NewLine}{Text(output)}");
        }

        await TestContext.Progress.WriteLineAsync($"Published the test modules in {clock.Elapsed.TotalSeconds:0.0}s.");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string RepositoryRoot() => Repository.Root;
}
