namespace ExeSys.Tests.Modules;

/// <summary>Removes the test modules built for this namespace's tests (built once, on first use, by <see cref="ModuleBuilds"/>).</summary>
[SetUpFixture]
public sealed class ModulesSetup
{
    [OneTimeTearDown]
    public void Remove_the_built_modules() => ModuleBuilds.Clean();
}
