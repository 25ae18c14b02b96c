using ExeSys.Tests.Infrastructure.Modules;

namespace ExeSys.Tests.Reliability;

/// <summary>Removes the lease probe module built for this namespace's tests (built once, on first use, by <see cref="LeaseProbeModule"/>).</summary>
[SetUpFixture]
public sealed class LeaseModuleSetup
{
    [OneTimeTearDown]
    public void Remove_the_built_module() => LeaseProbeModule.Clean();
}
