using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using ExeSys.Tests.Infrastructure.Modules;
using MongoDB.Bson;
using MongoDB.Driver;

namespace ExeSys.Tests.History;

/// <summary>
/// With MongoDB configured, a function gets FunctionContext.Mongo: the database ExeSys:Mongo:FunctionsDatabase, apart
/// from ExeSys's history. The function here is samples/HelloModule's save_note, loaded from a modules folder into a
/// real worker, so the module's MongoDB.Driver types must be the host's (its load context shares them).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Using_mongodb_from_a_function
{
    private static readonly string[] Saved = ["buy milk", "call home"];
    private CongoServer _congo = null!;
    private ExeSysDeployment _deployment = null!;
    private string _folder = null!;

    [OneTimeSetUp]
    public async Task Start_mongodb_and_a_worker_with_the_sample_module()
    {
        var modules = await ModuleBuilds.GetAsync();
        _folder = Directory.CreateTempSubdirectory("exesys-modules-").FullName;
        ModuleBuilds.CopyModule(modules.HelloV1, Path.Combine(_folder, "hello"));
        _congo = await CongoServer.StartAsync();
        var settings = TestSettings.For(TestRedis.NewPrefix("fnmongo"))
            .With("ExeSys:Worker:ModuleStableFor", "00:00:00.200");
        _deployment = await ExeSysDeployment.Build(settings)
            .WithMongo(_congo.ConnectionString, "exesys_history_fn", functionsDatabase: "exesys_functions_fn")
            .WithModulesFolder(_folder)
            .StartAsync();
        await _deployment.WaitForWorkerAsync(_deployment.StartWorker("mongo-worker"));
        await Eventually.WaitForAsync(
            () => SysCmdHttp.GetAsync(_deployment.Client, "/functions"),
            r => r.Text.Contains("\"save_note\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "the worker to load save_note");
    }

    [OneTimeTearDown]
    public async Task Stop_everything()
    {
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }

        if (_congo is not null)
        {
            await _congo.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public async Task Should_write_to_the_functions_database_and_not_to_exesys_history()
    {
        var first = await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("notes", "note-1", "save_note", "\"buy milk\""), "?wait=10s");
        var second = await SysCmdHttp.PostAsync(_deployment.Client, SysCmdHttp.Command("notes", "note-2", "save_note", "\"call home\""), "?wait=10s");

        using var mongo = new MongoClient(_congo.ConnectionString);
        var notes = await mongo.GetDatabase("exesys_functions_fn").GetCollection<BsonDocument>("notes")
            .Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
        var historyCollections = await (await mongo.GetDatabase("exesys_history_fn").ListCollectionNamesAsync()).ToListAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.State, Is.EqualTo(3), first.Text);
            Assert.That(second.Get("data").GetProperty("notes").GetInt64(), Is.EqualTo(2), second.Text);
            Assert.That(notes.Select(n => n["text"].AsString), Is.EquivalentTo(Saved));
            Assert.That(historyCollections, Has.No.Member("notes"), "function data stays out of ExeSys's history database");
        }
    }
}
