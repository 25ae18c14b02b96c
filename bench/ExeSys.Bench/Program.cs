using ExeSys.Bench;

return await BenchApp.RunAsync(args, Console.Out);
