using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ExeSys.Core.Hosting;

public static class ExeSysHost
{
    private const string Hint = "Settings come from appsettings.json and are overridden by environment variables such as ExeSys__Redis__Connection.";

    /// <summary>
    /// Builds and runs a host, and turns a configuration error (a value out of range, or one that is not even of the
    /// right type) into one readable line and exit code 2, rather than a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(Func<IHost> build)
    {
        try
        {
            using var host = build();
            await host.RunAsync();
            // 0, unless a service stopped the host because it must not run: it set the code and said why
            // (RedisEvictionPolicyCheck and RedisAccessCheck set 2, a worker whose id another live worker holds 3).
            return Environment.ExitCode;
        }
        catch (StartRefusedException ex)
        {
            await Console.Error.WriteLineAsync($"ExeSys cannot start: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is RedisEvictionPolicyException or RedisAccessException)
        {
            await Console.Error.WriteLineAsync($"ExeSys cannot start: {ex.Message}");
            return 2;
        }
        catch (InvalidOperationException ex) when (ex.InnerException is System.Net.HttpListenerException listener)
        {
            // The worker's or controller's Prometheus listener (ExeSys:Metrics:Port), e.g. a port another process holds.
            await Console.Error.WriteLineAsync($"ExeSys cannot start: its metrics listener (ExeSys:Metrics:Host and ExeSys:Metrics:Port) could not start: {listener.Message}. Give each process a port of its own, or 0 for none.");
            return 2;
        }
        catch (OptionsValidationException ex)
        {
            return await FailAsync(string.Join(" ", ex.Failures));
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // The binder's message names the setting's path and the value, e.g. "... at 'ExeSys:Worker:Concurrency' to type 'System.Int32'."
            return await FailAsync(ex.Message);
        }
    }

    private static async Task<int> FailAsync(string reason)
    {
        await Console.Error.WriteLineAsync($"ExeSys cannot start: invalid configuration. {reason}");
        await Console.Error.WriteLineAsync(Hint);
        return 2;
    }
}
