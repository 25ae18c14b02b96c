
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Modules;

/// <summary>
/// The worker's modules-folder scan with its stability clock under the test's control, so "the files have not
/// changed for long enough yet" is exact, not a race against a copy.
/// </summary>
[TestFixture]
public sealed class Scanning_the_modules_folder
{
    private static readonly TimeSpan LessThanStable = WatchedFolder.StableFor * 0.6;
    private static readonly string[] HelloFunctions = ["hello", "save_note", "slow_version", "visit_count", "word_count"];

    private BuiltModules _modules = null!;

    [OneTimeSetUp]
    public async Task Build_the_modules() => _modules = await ModuleBuilds.GetAsync();

    [Test]
    public async Task Should_not_load_a_module_while_its_files_are_still_being_copied()
    {
        using var folder = new WatchedFolder();
        var target = folder.PathOf("hello");
        var dll = await File.ReadAllBytesAsync(Path.Combine(_modules.HelloV1, "HelloModule.dll"));
        var seen = new List<string>();
        void ScanAfterAWhile()
        {
            folder.Time.Advance(LessThanStable);
            folder.Scan();
            seen.Add(folder.Advert("hello")?.ToString() ?? "nothing");
        }

        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(_modules.HelloV1, "HelloModule.deps.json"), Path.Combine(target, "HelloModule.deps.json"));
        folder.Scan();
        ScanAfterAWhile();
        await using (var stream = new FileStream(Path.Combine(target, "HelloModule.dll"), FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite))
        {
            foreach (var (from, to) in new[] { (0, 512), (512, dll.Length / 2), (dll.Length / 2, dll.Length) })
            {
                await stream.WriteAsync(dll.AsMemory(from, to - from));
                await stream.FlushAsync();
                ScanAfterAWhile();
                ScanAfterAWhile();
            }
        }

        File.Copy(Path.Combine(_modules.HelloV1, "HelloModule.pdb"), Path.Combine(target, "HelloModule.pdb"));
        ScanAfterAWhile();
        folder.Time.Advance(WatchedFolder.StableFor);
        folder.Scan();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen, Is.All.EqualTo("nothing"), "no half-copied state should ever be loaded (or fail)");
            Assert.That(folder.Advert("hello")?.Status, Is.EqualTo("loaded"), "the complete module loads once its files are stable");
            Assert.That(folder.Run("hello", "\"patience\"")!["greeting"]!.GetValue<string>(), Is.EqualTo("Hello, patience!"));
        }
    }

    [Test]
    public async Task Should_load_the_module_once_a_copy_that_stalled_half_way_completes()
    {
        using var folder = new WatchedFolder();
        var target = folder.PathOf("hello");
        var dll = await File.ReadAllBytesAsync(Path.Combine(_modules.HelloV1, "HelloModule.dll"));
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(_modules.HelloV1, "HelloModule.deps.json"), Path.Combine(target, "HelloModule.deps.json"));
        await File.WriteAllBytesAsync(Path.Combine(target, "HelloModule.dll"), dll[..(dll.Length / 2)]);

        // The copy stalls longer than the stability time: the half file is indistinguishable from a broken module.
        folder.ScanUntilStable();
        var stalled = folder.Advert("hello");

        await File.WriteAllBytesAsync(Path.Combine(target, "HelloModule.dll"), dll);
        File.Copy(Path.Combine(_modules.HelloV1, "HelloModule.pdb"), Path.Combine(target, "HelloModule.pdb"));
        folder.ScanUntilStable();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stalled?.Status, Is.EqualTo("failed"), $"a truncated assembly fails to load: {stalled}");
            Assert.That(folder.Advert("hello")?.Status, Is.EqualTo("loaded"), "the completed copy is loaded: the failure did not stick");
            Assert.That(folder.Run("hello")!["version"]!.GetValue<string>(), Is.EqualTo("1.0.0"));
        }
    }

    [TestCase("a-copycat", TestName = "Should_fail_a_newcomer_that_names_a_function_another_module_already_has(sorting before it)")]
    [TestCase("z-copycat", TestName = "Should_fail_a_newcomer_that_names_a_function_another_module_already_has(sorting after it)")]
    public void Should_fail_a_newcomer_that_names_a_function_another_module_already_has(string newcomer)
    {
        using var folder = new WatchedFolder();
        ModuleBuilds.CopyModule(_modules.HelloV1, folder.PathOf("hello"));
        folder.ScanUntilStable();

        ModuleBuilds.CopyModule(_modules.Copycat, folder.PathOf(newcomer));
        folder.ScanUntilStable();

        var copycat = folder.Advert(newcomer);
        var hello = folder.Advert("hello");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(copycat?.Status, Is.EqualTo("failed"), $"the module that came second is the broken one: {copycat}");
            Assert.That(copycat?.Error, Does.Contain("'hello'").And.Contain("module 'hello'"), "the reason names the function and the module that has it");
            Assert.That(hello?.Status, Is.EqualTo("loaded"), $"the module that was already serving keeps serving: {hello}");
            Assert.That(hello?.Functions, Is.EquivalentTo(HelloFunctions));
            Assert.That(folder.Run("hello", "\"original\"")?["greeting"]?.GetValue<string>(), Is.EqualTo("Hello, original!"));
        }
    }
}
