using System.Security.Cryptography;

namespace ExeSys.Worker.Modules;

/// <summary>
/// What the worker refuses to load, before any of a module's code runs. A module is code that runs as the worker, with
/// its permissions and its Redis access, so the modules folder is a trust boundary:
/// <list type="bullet">
/// <item>A symbolic link (the module's folder itself, or a file or folder inside it) whose target lies outside the
/// modules folder refuses the whole module: whoever may write the modules folder must not be able to pull in code
/// from elsewhere, nor have a module read through it. Links inside the modules folder are fine.</item>
/// <item>With <c>ExeSys:Worker:ModuleAllowList</c> (SHA-256 hashes, hex), every code file of the module (<c>.dll</c>,
/// <c>.so</c>, <c>.dylib</c>) must hash to a listed value, except copies of the assemblies the worker shares with
/// modules (the SDK, StackExchange.Redis, MongoDB's driver), which are never loaded from the folder. The check is
/// made again on the bytes each assembly is loaded from, so a file swapped after the check is refused too.</item>
/// </list>
/// A refusal is a failed load whose reason starts with "refused:", in the log and in <c>/modules</c>.
/// </summary>
internal sealed class ModuleTrust(IEnumerable<string> allowList)
{
    private static readonly string[] CodeExtensions = [".dll", ".so", ".dylib"];
    private readonly HashSet<string> _allowed = new(allowList.Select(h => h.Trim().ToLowerInvariant()).Where(h => h.Length > 0), StringComparer.Ordinal);

    public bool HasAllowList => _allowed.Count > 0;

    /// <summary>Why the module in <paramref name="folder"/> (a sub-folder of <paramref name="root"/>) must not load; null when it may.</summary>
    public string? Refusal(string root, string folder)
    {
        var realRoot = RealPath(root);
        if (Outside(realRoot, folder) is { } target)
        {
            return $"refused: the module folder is a symbolic link to {target}, outside the modules folder {realRoot}";
        }

        foreach (var entry in Entries(folder))
        {
            if (entry.LinkTarget is not null && Outside(realRoot, entry.FullName) is { } outside)
            {
                return $"refused: {Path.GetRelativePath(folder, entry.FullName)} is a symbolic link to {outside}, outside the modules folder {realRoot}";
            }
        }

        if (!HasAllowList)
        {
            return null;
        }

        foreach (var file in Entries(folder).OfType<FileInfo>().Where(IsCheckedCode))
        {
            if (RefusalOf(Path.GetRelativePath(folder, file.FullName), File.ReadAllBytes(file.FullName)) is { } refusal)
            {
                return refusal;
            }
        }

        return null;
    }

    /// <summary>The allow-list's verdict on the bytes an assembly is about to be loaded from: null when allowed (or no list).</summary>
    public string? RefusalOf(string name, byte[] image)
    {
        if (!HasAllowList)
        {
            return null;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(image));
        return _allowed.Contains(hash) ? null : $"refused: {name} (sha256 {hash}) is not on ExeSys:Worker:ModuleAllowList";
    }

    private static bool IsCheckedCode(FileInfo file) =>
        CodeExtensions.Any(e => file.Name.EndsWith(e, StringComparison.OrdinalIgnoreCase)) &&
        !ModuleLoadContext.IsSharedFile(file.Name);

    /// <summary>Every file and folder under <paramref name="folder"/>; links to folders are listed, never followed.</summary>
    private static IEnumerable<FileSystemInfo> Entries(string folder)
    {
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(folder)]);
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in directory.EnumerateFileSystemInfos())
            {
                yield return entry;
                if (entry is DirectoryInfo sub && sub.LinkTarget is null)
                {
                    pending.Push(sub);
                }
            }
        }
    }

    /// <summary>Where <paramref name="path"/> really leads when that is outside <paramref name="realRoot"/>; null when inside.</summary>
    private static string? Outside(string realRoot, string path)
    {
        var real = RealPath(path);
        return real.Equals(realRoot, StringComparison.Ordinal) || real.StartsWith(realRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? null
            : real;
    }

    /// <summary>
    /// The path with every symbolic link on it resolved, as the OS would follow it (a ".." after a link goes up from
    /// the link's target, not from the link). Parts that do not exist are kept as they are.
    /// </summary>
    internal static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>();
        Push(pending, full[current.Length..]);
        var hops = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Join(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > 40)
            {
                throw new IOException($"{path}: too many levels of symbolic links");
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target)!;
                target = target[current.Length..];
            }

            Push(pending, target);
        }

        return current;

        static void Push(Stack<string> pending, string relative)
        {
            foreach (var part in relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(part);
            }
        }
    }
}
