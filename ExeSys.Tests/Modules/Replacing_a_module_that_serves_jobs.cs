using System.Security.Cryptography;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Modules;

/// <summary>
/// A roll-out never takes a working function away: the worker's own modules-folder scan, with the clock under the
/// test's control, so "stable for long enough" and "gone for longer than the grace" are exact. The same behaviour
/// in real worker processes under a stream of jobs: <see cref="Rolling_out_a_new_module_version_across_three_workers"/>
/// and <see cref="Dropping_a_module_into_a_running_worker"/>.
/// </summary>
[TestFixture]
public sealed class Replacing_a_module_that_serves_jobs
{
    private static readonly string[] HelloFunctions = ["hello", "save_note", "slow_version", "visit_count", "word_count"];
    private static readonly string[] ShoutFunctions = ["shout"];

    private BuiltModules _modules = null!;

    [OneTimeSetUp]
    public async Task Build_the_modules() => _modules = await ModuleBuilds.GetAsync();

    [Test]
    public void Should_keep_serving_the_working_version_when_new_files_fail_to_load_and_load_the_next_good_copy()
    {
        using var folder = new WatchedFolder();
        var hello = folder.PathOf("hello");
        ModuleBuilds.CopyModule(_modules.HelloV1, hello);
        folder.ScanUntilStable();

        // A broken assembly lands over the working one and stays (longer than StableFor): it is tried once, and fails.
        File.WriteAllBytes(Path.Combine(hello, "HelloModule.dll"), RandomNumberGenerator.GetBytes(16 * 1024));
        folder.ScanUntilStable();
        var broken = folder.Advert("hello");
        var served = folder.Run("hello", "\"v1\"");

        // The same broken files are not tried again: nothing is published while they stay as they are.
        var published = folder.Catalog.Modules;
        folder.Time.Advance(WatchedFolder.StableFor * 3);
        folder.Scan();
        var republished = !ReferenceEquals(published, folder.Catalog.Modules);

        ModuleBuilds.CopyModule(_modules.HelloV2, hello);
        folder.ScanUntilStable();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(broken?.Status, Is.EqualTo("loaded"), $"the working version stays loaded: {broken}");
            Assert.That(broken?.Version, Is.EqualTo("1.0.0"), broken?.ToString());
            Assert.That(broken?.Functions, Is.EquivalentTo(HelloFunctions), "every function of the working version stays offered");
            Assert.That(broken?.Error, Does.Contain("HelloModule.dll").And.Contain("not a valid .NET assembly").And.Contain("still serving version 1.0.0"),
                "the advert says which file failed, why, and what still serves");
            Assert.That(served?["version"]?.GetValue<string>(), Is.EqualTo("1.0.0"), "a job runs on the working version");
            Assert.That(republished, Is.False, "unchanged broken files are not loaded again on every scan");
            Assert.That(folder.Advert("hello")?.Version, Is.EqualTo("2.0.0"), "a good copy after the broken one loads");
            Assert.That(folder.Advert("hello")?.Error, Is.Null, "the failure is cleared once a version loads");
            Assert.That(folder.Run("hello")?["version"]?.GetValue<string>(), Is.EqualTo("2.0.0"));
        }
    }

    [Test]
    public async Task Should_keep_the_functions_of_a_folder_being_replaced_until_the_new_version_has_loaded()
    {
        using var folder = new WatchedFolder();
        var hello = folder.PathOf("hello");
        ModuleBuilds.CopyModule(_modules.HelloV1, hello);
        folder.ScanUntilStable();
        var served = new List<string>();
        void ScanAndRun(TimeSpan after)
        {
            folder.Time.Advance(after);
            folder.Scan();
            served.Add(folder.Run("hello")?["version"]?.GetValue<string>() ?? "nothing");
        }

        // rm -rf: the folder is gone for most of the grace.
        Directory.Delete(hello, recursive: true);
        ScanAndRun(TimeSpan.Zero);
        var whileGone = folder.Advert("hello");
        ScanAndRun(WatchedFolder.RemoveGrace * 0.9);

        // cp -r, slowly: an empty folder (which still counts as gone), then part of the files, which stall past
        // StableFor (a truncated assembly) and then for longer than the grace.
        Directory.CreateDirectory(hello);
        ScanAndRun(TimeSpan.Zero);
        var dll = await File.ReadAllBytesAsync(Path.Combine(_modules.HelloV2, "HelloModule.dll"));
        File.Copy(Path.Combine(_modules.HelloV2, "HelloModule.deps.json"), Path.Combine(hello, "HelloModule.deps.json"));
        await File.WriteAllBytesAsync(Path.Combine(hello, "HelloModule.dll"), dll[..(dll.Length / 2)]);
        ScanAndRun(TimeSpan.Zero);
        ScanAndRun(WatchedFolder.StableFor);
        var stalled = folder.Advert("hello");
        ScanAndRun(WatchedFolder.RemoveGrace * 2);

        // The copy completes.
        await File.WriteAllBytesAsync(Path.Combine(hello, "HelloModule.dll"), dll);
        File.Copy(Path.Combine(_modules.HelloV2, "HelloModule.pdb"), Path.Combine(hello, "HelloModule.pdb"));
        ScanAndRun(TimeSpan.Zero);
        ScanAndRun(WatchedFolder.StableFor);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(served, Is.EqualTo(Enumerable.Repeat("1.0.0", 7).Append("2.0.0")),
                "every job in the window runs on the old version until the new one has loaded");
            Assert.That(whileGone?.Status, Is.EqualTo("loaded"), whileGone?.ToString());
            Assert.That(whileGone?.Error, Does.Contain("gone").And.Contain("ModuleRemoveGrace"), "the advert says the folder is gone and for how long it stays offered");
            Assert.That(stalled?.Version, Is.EqualTo("1.0.0"), $"a stalled partial copy does not replace the working version: {stalled}");
            Assert.That(stalled?.Error, Does.Contain("still serving version 1.0.0"), stalled?.ToString());
            Assert.That(folder.Advert("hello")?.Version, Is.EqualTo("2.0.0"));
            Assert.That(folder.Advert("hello")?.Error, Is.Null);
        }
    }

    [Test]
    public void Should_withdraw_a_removed_module_once_its_folder_has_stayed_gone_for_the_grace()
    {
        using var folder = new WatchedFolder();
        ModuleBuilds.CopyModule(_modules.HelloV1, folder.PathOf("hello"));
        folder.ScanUntilStable();

        Directory.Delete(folder.PathOf("hello"), recursive: true);
        folder.Scan();
        folder.Time.Advance(WatchedFolder.RemoveGrace - TimeSpan.FromMilliseconds(1));
        folder.Scan();
        var withinGrace = folder.Catalog.TryGet("hello", out _);
        folder.Time.Advance(TimeSpan.FromMilliseconds(1));
        folder.Scan();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(withinGrace, Is.True, "the functions stay offered during the grace");
            Assert.That(folder.Catalog.TryGet("hello", out _), Is.False, "the functions are withdrawn once the grace has passed");
            Assert.That(folder.Advert("hello"), Is.Null);
        }
    }

    [Test]
    public void Should_withdraw_a_module_whose_folder_was_emptied_once_the_grace_has_passed()
    {
        using var folder = new WatchedFolder();
        var hello = folder.PathOf("hello");
        ModuleBuilds.CopyModule(_modules.HelloV1, hello);
        folder.ScanUntilStable();

        foreach (var file in Directory.GetFiles(hello))
        {
            File.Delete(file);
        }

        folder.ScanUntilStable();
        var emptied = folder.Advert("hello");
        folder.Time.Advance(WatchedFolder.RemoveGrace);
        folder.Scan();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(emptied?.Status, Is.EqualTo("loaded"), $"an empty folder is a removal in progress, not a broken version: {emptied}");
            Assert.That(folder.Advert("hello"), Is.Null, "an emptied folder withdraws its module after the grace, as a removed one does");
        }
    }

    [Test]
    public void Should_refuse_a_new_version_that_names_a_function_another_module_serves_and_keep_the_old_one()
    {
        using var folder = new WatchedFolder();
        ModuleBuilds.CopyModule(_modules.Copycat, folder.PathOf("a-greeter"));
        ModuleBuilds.CopyModule(_modules.Shout, folder.PathOf("b-shout"));
        folder.ScanUntilStable();

        // b-shout's folder is replaced by a module with a 'hello' of its own: a-greeter already serves 'hello'.
        Directory.Delete(folder.PathOf("b-shout"), recursive: true);
        ModuleBuilds.CopyModule(_modules.HelloV1, folder.PathOf("b-shout"));
        folder.ScanUntilStable();
        var shout = folder.Advert("b-shout");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(shout?.Status, Is.EqualTo("loaded"), $"the old version keeps serving: {shout}");
            Assert.That(shout?.Functions, Is.EquivalentTo(ShoutFunctions), shout?.ToString());
            Assert.That(shout?.Error, Does.Contain("function 'hello' is already provided by module 'a-greeter'"), shout?.ToString());
            Assert.That(folder.Run("shout", "\"still here\"")?.GetValue<string>(), Is.EqualTo("STILL HERE"));
            Assert.That(folder.Run("hello")?["copycat"]?.GetValue<bool>(), Is.True, "the other module keeps its function");
        }
    }
}
