using ExeSys.Tests.Infrastructure.Modules;

// Deliberately the suite's root namespace: an NUnit [SetUpFixture] runs around the tests of its own namespace, and the
// built modules are used beyond ExeSys.Tests.Modules (Processes/Limiting_jobs_across_workers, Queues/Running_a_mixed_fleet).
// Scoped to ExeSys.Tests.Modules, its teardown deleted them once the Modules tests were done, and every later fixture of
// a whole-suite run found the cached build's folders gone.
namespace ExeSys.Tests;

/// <summary>Removes the test modules built for the suite's tests (built once, on first use, by <see cref="ModuleBuilds"/>).</summary>
[SetUpFixture]
public sealed class ModulesSetup
{
    [OneTimeTearDown]
    public void Remove_the_built_modules() => ModuleBuilds.Clean();
}
