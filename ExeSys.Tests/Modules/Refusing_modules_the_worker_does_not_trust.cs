using System.Security.Cryptography;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Modules;

/// <summary>
/// A module is code that runs as the worker, so the worker's real module watcher and loader refuse, with the reason in
/// the module's advert (what /modules shows): a symbolic link that leads out of the modules folder (the module's folder
/// itself, or its assembly), and, with ExeSys:Worker:ModuleAllowList, an assembly whose SHA-256 is not listed.
/// </summary>
[TestFixture]
public sealed class Refusing_modules_the_worker_does_not_trust
{
    private BuiltModules _modules = null!;
    private string _outside = null!;

    [OneTimeSetUp]
    public async Task Build_the_modules_and_place_a_copy_outside_any_modules_folder()
    {
        _modules = await ModuleBuilds.GetAsync();
        _outside = Directory.CreateTempSubdirectory("exesys-outside-").FullName;
        ModuleBuilds.CopyModule(_modules.HelloV1, _outside);
    }

    [OneTimeTearDown]
    public void Remove_the_copy() => Directory.Delete(_outside, recursive: true);

    [Test]
    public void Should_refuse_a_module_folder_that_is_a_link_to_a_folder_outside()
    {
        using var folder = new WatchedFolder();
        Directory.CreateSymbolicLink(folder.PathOf("hello"), _outside);

        folder.ScanUntilStable();

        AssertRefused(folder, "the module folder is a symbolic link to " + _outside);
    }

    [Test]
    public void Should_refuse_a_module_whose_assembly_is_a_link_to_a_file_outside()
    {
        using var folder = new WatchedFolder();
        var target = folder.PathOf("hello");
        ModuleBuilds.CopyModule(_modules.HelloV1, target);
        File.Delete(Path.Combine(target, "HelloModule.dll"));
        File.CreateSymbolicLink(Path.Combine(target, "HelloModule.dll"), Path.Combine(_outside, "HelloModule.dll"));

        folder.ScanUntilStable();

        AssertRefused(folder, "HelloModule.dll is a symbolic link to " + Path.Combine(_outside, "HelloModule.dll"));
    }

    [Test]
    public void Should_load_a_module_whose_assembly_hash_is_on_the_allow_list()
    {
        using var folder = new WatchedFolder(Sha256(Path.Combine(_modules.Shout, "shout.dll")), Sha256(Path.Combine(_modules.HelloV1, "HelloModule.dll")));
        ModuleBuilds.CopyModule(_modules.HelloV1, folder.PathOf("hello"));

        folder.ScanUntilStable();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(folder.Advert("hello")?.Status, Is.EqualTo("loaded"), folder.Advert("hello")?.ToString());
            Assert.That(folder.Run("hello", "\"listed\"")?["greeting"]?.GetValue<string>(), Is.EqualTo("Hello, listed!"));
        }
    }

    [Test]
    public void Should_refuse_a_module_whose_assembly_hash_is_not_on_the_allow_list()
    {
        using var folder = new WatchedFolder(Sha256(Path.Combine(_modules.HelloV1, "HelloModule.dll")));
        ModuleBuilds.CopyModule(_modules.HelloV2, folder.PathOf("hello"));

        folder.ScanUntilStable();

        AssertRefused(folder, $"HelloModule.dll (sha256 {Sha256(Path.Combine(_modules.HelloV2, "HelloModule.dll"))}) is not on ExeSys:Worker:ModuleAllowList");
    }

    private static void AssertRefused(WatchedFolder folder, string reason)
    {
        var advert = folder.Advert("hello");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(advert?.Status, Is.EqualTo("failed"), advert?.ToString());
            Assert.That(advert?.Error, Does.StartWith("refused: ").And.Contain(reason));
            Assert.That(advert?.Functions, Is.Empty);
            Assert.That(folder.Catalog.TryGet("hello", out _), Is.False, "nothing of the module is offered");
        }
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
