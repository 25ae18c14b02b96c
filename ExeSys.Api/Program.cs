using ExeSys.Api.Hosting;
using ExeSys.Core.Hosting;

return await ExeSysHost.RunAsync(() =>
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddExeSysApi();
    var app = builder.Build();
    app.MapExeSysApi();
    return app;
});

/// <summary>The API's entry point; public so the test host (WebApplicationFactory) can find it.</summary>
public partial class Program;
