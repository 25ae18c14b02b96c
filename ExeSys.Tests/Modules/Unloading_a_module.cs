using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Modules;

/// <summary>
/// A replaced or removed module's collectible load context really goes away, proved as DotNetCorePlugins'
/// BasicAssemblyLoaderTests does: a <see cref="WeakReference"/> to the context, and a GC loop. Everything that touches
/// the module's types happens in <see cref="MethodImplOptions.NoInlining"/> helpers, so no local of the test keeps
/// the context alive.
/// </summary>
[TestFixture]
public sealed class Unloading_a_module
{
    private BuiltModules _modules = null!;

    [OneTimeSetUp]
    public async Task Build_the_modules() => _modules = await ModuleBuilds.GetAsync();

    [Test]
    public void Should_collect_the_old_context_once_a_new_version_replaced_it_and_its_running_job_finished()
    {
        using var folder = new WatchedFolder();

        var (old, versions) = LoadRunAndReplace(folder, _modules);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(versions.Before, Is.EqualTo("1.0.0"));
            Assert.That(versions.After, Is.EqualTo("2.0.0"), "a new job runs on the new version");
            Assert.That(versions.Running, Is.EqualTo("1.0.0"), "the job started before the replacement finishes on the old version");
            Assert.That(IsCollected(old), Is.True, "the replaced module's load context should be unloaded and collected");
            Assert.That(folder.Run("hello")!["version"]!.GetValue<string>(), Is.EqualTo("2.0.0"), "the new version keeps working");
        }
    }

    [Test]
    public void Should_collect_the_context_of_a_removed_module()
    {
        using var folder = new WatchedFolder();

        var old = LoadRunAndRemove(folder, _modules);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(folder.Catalog.TryGet("hello", out _), Is.False, "the removed module's functions are withdrawn");
            Assert.That(folder.Advert("hello"), Is.Null);
            Assert.That(IsCollected(old), Is.True, "the removed module's load context should be unloaded and collected");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Context, (string Before, string After, string Running) Versions) LoadRunAndReplace(WatchedFolder folder, BuiltModules modules)
    {
        ModuleBuilds.CopyModule(modules.HelloV1, folder.PathOf("hello"));
        folder.ScanUntilStable();
        var before = folder.Run("hello")!["version"]!.GetValue<string>();
        folder.Catalog.TryGet("slow_version", out var slow);
        var context = ContextOf(slow);
        var running = WatchedFolder.Start(slow, "1000");

        ModuleBuilds.CopyModule(modules.HelloV2, folder.PathOf("hello"));
        folder.ScanUntilStable();
        var after = folder.Run("hello")!["version"]!.GetValue<string>();

        // The old context was asked to unload while slow_version still runs in it; the run must not notice.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var stillRunning = running.GetAwaiter().GetResult()!["version"]!.GetValue<string>();
        return (context, (before, after, stillRunning));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadRunAndRemove(WatchedFolder folder, BuiltModules modules)
    {
        ModuleBuilds.CopyModule(modules.HelloV1, folder.PathOf("hello"));
        folder.ScanUntilStable();
        Assert.That(folder.Run("word_count", "\"collect me please\"")!.GetValue<int>(), Is.EqualTo(3));
        folder.Catalog.TryGet("hello", out var hello);
        var context = ContextOf(hello);

        Directory.Delete(folder.PathOf("hello"), recursive: true);
        folder.Scan();
        folder.Time.Advance(WatchedFolder.RemoveGrace);
        folder.Scan();
        return context;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference ContextOf(object function)
    {
        var context = AssemblyLoadContext.GetLoadContext(function.GetType().Assembly)!;
        Assert.That(context.IsCollectible, Is.True, $"{context.Name} should be collectible");
        return new WeakReference(context);
    }

    private static bool IsCollected(WeakReference context)
    {
        for (var i = 0; context.IsAlive && i < 20; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return !context.IsAlive;
    }
}
