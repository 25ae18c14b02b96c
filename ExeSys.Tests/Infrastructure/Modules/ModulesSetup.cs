using ExeSys.Tests.Infrastructure.Modules;

// Deliberately the root namespace, not the folder's: an NUnit [SetUpFixture] runs around the tests of its own
// namespace, and the built modules serve more than one suite (Modules, Queues, Reliability), so they are removed
// only once every test is done. In ExeSys.Tests.Infrastructure.Modules it would cover no test at all and never run.
namespace ExeSys.Tests;

/// <summary>Removes the test modules built for the tests (built once, on first use, by <see cref="ModuleBuilds"/>).</summary>
[SetUpFixture]
public sealed class ModulesSetup
{
    [OneTimeTearDown]
    public void Remove_the_built_modules() => ModuleBuilds.Clean();
}
