using ExeSys.Core.Hosting;
using ExeSys.Worker.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddExeSysWorker();
return await ExeSysHost.RunAsync(builder.Build());
