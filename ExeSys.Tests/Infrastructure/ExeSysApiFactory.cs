using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace ExeSys.Tests.Infrastructure;

/// <summary>The real ASP.NET pipeline of ExeSys.Api (routing, filters, ProblemDetails, exception handler) on a test server.</summary>
public sealed class ExeSysApiFactory(TestSettings settings) : WebApplicationFactory<Program>
{
    public TestSettings Settings { get; } = settings;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in Settings.Values)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }
}
