using ExeSys.Core.History;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace ExeSys.Tests.Security;

/// <summary>
/// MongoDB's user and password come from ExeSys:Mongo:User and :Password (environment variables), so the connection
/// string holds no secret; and a password that is in a connection string never shows in a start-up error (MongoDB.Driver hides it; this holds
/// it to that).
/// </summary>
[TestFixture]
public sealed class Configuring_mongodb_credentials
{
    [Test]
    public void Should_log_in_as_the_configured_user_in_the_connection_strings_auth_source()
    {
        using var mongo = new ExeSysMongo(Options.Create(new MongoOptions
        {
            ConnectionString = "mongodb://127.0.0.1:27017/?authSource=ops",
            User = "archiver",
            Password = "mongo-secret",
        }));

        var credential = mongo.Client.Settings.Credential;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(credential?.Username, Is.EqualTo("archiver"));
            Assert.That(credential?.Source, Is.EqualTo("ops"));
        }
    }

    [Test]
    public void Should_name_a_bad_connection_string_without_its_password()
    {
        var failure = Validate(new MongoOptions { ConnectionString = "mongodb://archiver:mongo-secret@127.0.0.1:notaport" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failure, Does.Contain("ExeSys:Mongo:ConnectionString is not a valid MongoDB connection string"));
            Assert.That(failure, Does.Not.Contain("mongo-secret"));
        }
    }

    [Test]
    public void Should_refuse_a_user_without_a_password()
    {
        var failure = Validate(new MongoOptions { ConnectionString = "mongodb://127.0.0.1:27017", User = "archiver" });

        Assert.That(failure, Does.Contain("ExeSys:Mongo:User and ExeSys:Mongo:Password go together"));
    }

    private static string Validate(MongoOptions options)
    {
        using var services = new ServiceCollection().AddExeSysMongo().BuildServiceProvider();
        var validators = services.GetServices<IValidateOptions<MongoOptions>>();
        return string.Join(" ", validators.Select(v => v.Validate(Options.DefaultName, options)).Where(r => r.Failed).Select(r => r.FailureMessage));
    }
}
