using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Core.Hosting;

public static class ExeSysHost
{
    /// <summary>
    /// Runs a host and turns a configuration error into one readable line and exit code 2, rather than a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(IHost host)
    {
        try
        {
            await host.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"ExeSys cannot start: invalid configuration. {string.Join(" ", ex.Failures)}");
            await Console.Error.WriteLineAsync("Settings come from appsettings.json and are overridden by environment variables such as ExeSys__Redis__Connection.");
            return 2;
        }
    }
}
