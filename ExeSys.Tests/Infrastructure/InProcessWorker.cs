extern alias worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using worker::ExeSys.Worker.Functions;
using worker::ExeSys.Worker.Hosting;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// The worker's real host (the same <c>AddExeSysWorker()</c> as ExeSys.Worker's Program) built in the test process.
/// Protocol tests use it so jobs actually run; the end-to-end tests run the worker as a real process instead.
/// </summary>
public sealed class InProcessWorker : IAsyncDisposable
{
    private readonly IHost _host;

    private InProcessWorker(IHost host, string id)
    {
        _host = host;
        Id = id;
    }

    public string Id { get; }

    /// <summary>The worker host's services.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>The functions this worker offers right now, from its own catalog.</summary>
    public IReadOnlyList<string> FunctionNames => _host.Services.GetRequiredService<FunctionCatalog>().Names;

    public static async Task<InProcessWorker> StartAsync(TestSettings settings, string id)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.AddInMemoryCollection(settings.With("ExeSys:Worker:Id", id).Values);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddExeSysWorker();
        var host = builder.Build();
        await host.StartAsync();
        return new InProcessWorker(host, id);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
