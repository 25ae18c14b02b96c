using ExeSys.Api.Hosting;
using ExeSys.Api.Security;
using ExeSys.Core.Hosting;

if (KeysCommand.Handles(args))
{
    return await KeysCommand.RunAsync(args);
}

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
