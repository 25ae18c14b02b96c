using ExeSys.Tests.Infrastructure.Modules;

// Deliberately the suite's namespace, not the folder's: an NUnit [SetUpFixture] runs around the tests of its own
// namespace, so in ExeSys.Tests.Modules its teardown runs once every Modules test is done, exactly as before the file
// moved here. In ExeSys.Tests.Infrastructure.Modules it would cover no test at all and never run.
namespace ExeSys.Tests.Modules;

/// <summary>Removes the test modules built for this namespace's tests (built once, on first use, by <see cref="ModuleBuilds"/>).</summary>
[SetUpFixture]
public sealed class ModulesSetup
{
    [OneTimeTearDown]
    public void Remove_the_built_modules() => ModuleBuilds.Clean();
}
