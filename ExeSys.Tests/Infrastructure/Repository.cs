namespace ExeSys.Tests.Infrastructure;

/// <summary>The repository the tests were built from: the first directory above the test assembly that holds ExeSys.sln.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ExeSys.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No ExeSys.sln above {AppContext.BaseDirectory}: the tests run from a build inside the repository.");
    });

    /// <summary>The repository's root directory.</summary>
    public static string Root => RootPath.Value;

    /// <summary>ExeSys.Tests/Tooling/<paramref name="name"/>: a tool the tests run, which test.sh installs.</summary>
    public static string Tooling(string name)
    {
        var path = Path.Combine(Root, "ExeSys.Tests", "Tooling", name);
        return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"Cannot find {path}.");
    }
}
