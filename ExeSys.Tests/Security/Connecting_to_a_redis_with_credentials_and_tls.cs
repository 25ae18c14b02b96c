using System.Diagnostics;
using System.Globalization;
using System.Net;
using ExeSys.Tests.Infrastructure;
using ExeSys.Tests.Infrastructure.Deployment;
using StackExchange.Redis;

namespace ExeSys.Tests.Security;

/// <summary>
/// A Redis that requires a password (requirepass) and has an ACL user, and serves TLS on a second port with a server
/// certificate from a CA made by openssl at test time. The processes take the ACL user, its password and the CA from
/// environment variables only (ExeSys__Redis__User, __Password, __Tls, __TlsCaFile), run jobs over TLS, and so does the
/// functions' data store; a wrong password stops a process at start with exit code 2 and a message that names the
/// settings and never the password.
/// </summary>
[TestFixture]
public sealed class Connecting_to_a_redis_with_credentials_and_tls
{
    private const string User = "exesys";
    private const string Password = "acl-secret-7f3a";
    private string _certificates = null!;
    private int _tlsPort;
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _admin = null!;

    [OneTimeSetUp]
    public async Task Start_a_redis_with_an_acl_user_and_tls()
    {
        _certificates = Directory.CreateTempSubdirectory("exesys-tls-").FullName;
        await MakeCertificatesAsync(_certificates);
        _redis = await RedisServer.StartAsync(TimeSpan.FromSeconds(15), _ =>
        {
            _tlsPort = FreePort.Next();
            return
            [
                "--requirepass", "default-secret",
                "--user", User, "on", $">{Password}", "~*", "&*", "+@all",
                "--tls-port", _tlsPort.ToString(CultureInfo.InvariantCulture),
                "--tls-cert-file", Path.Combine(_certificates, "server.crt"),
                "--tls-key-file", Path.Combine(_certificates, "server.key"),
                "--tls-ca-cert-file", Path.Combine(_certificates, "ca.crt"),
                "--tls-auth-clients", "no",
            ];
        });
        _admin = await ConnectionMultiplexer.ConnectAsync($"{_redis.Endpoint},user={User},password={Password}");
    }

    [OneTimeTearDown]
    public async Task Stop_it()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        Directory.Delete(_certificates, recursive: true);
    }

    [Test]
    public async Task Should_run_jobs_and_the_data_store_over_tls_as_the_acl_user()
    {
        var settings = Settings($"127.0.0.1:{_tlsPort}")
            .With("ExeSys:Redis:User", User)
            .With("ExeSys:Redis:Password", Password)
            .With("ExeSys:Redis:Tls", "true")
            .With("ExeSys:Redis:TlsCaFile", Path.Combine(_certificates, "ca.crt"));
        await using var deployment = await ExeSysDeployment.Build(settings)
            .OnRedis(settings.Values["ExeSys:Redis:Connection"]!, _admin)
            .WithWorker("worker-tls")
            .WaitForRegistration()
            .StartAsync();
        var counter = $"tls-{Guid.NewGuid():N}";

        var echo = await deployment.PostAsync("/sys_cmd?wait=10s", SysCmdHttp.Command("tls", Guid.NewGuid().ToString(), "echo", """{"over":"tls"}"""));
        var stored = await deployment.PostAsync("/sys_cmd?wait=10s", SysCmdHttp.Command("tls", Guid.NewGuid().ToString(), "test_cmd_workflow_1", $"""["{counter}"]"""));
        var clients = (string?)await _admin.GetDatabase().ExecuteAsync("CLIENT", "LIST");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(echo.Status, Is.EqualTo(HttpStatusCode.OK), echo.Text);
            Assert.That(echo.Get("data").GetProperty("over").GetString(), Is.EqualTo("tls"));
            Assert.That(stored.State, Is.EqualTo(3), stored.Text);
            Assert.That((long)await _admin.GetDatabase(1).HashGetAsync($"workflow_test_key:{counter}", "text_data"), Is.EqualTo(1), "the data store wrote as the ACL user");
            Assert.That(clients, Does.Contain($"user={User}").And.Not.Contain("user=default"), "every connection logged in as the ACL user");
            Assert.That(string.Concat(deployment.Processes.Select(p => p.Output)), Does.Not.Contain(Password), "the password is never logged");
        }
    }

    [Test]
    public async Task Should_refuse_to_start_on_a_wrong_password_naming_the_settings_and_not_the_password()
    {
        await using var processes = new ProcessSet();
        var settings = Settings(_redis.Endpoint).With("ExeSys:Redis:User", User).With("ExeSys:Redis:Password", "not-the-password");
        var worker = processes.Start(ExeSysRole.Worker, "worker-wrong-password", settings);

        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(2), worker.Output);
            Assert.That(worker.Output, Does.Contain("Redis refused ExeSys's connection").And.Contain("Authentication required"));
            Assert.That(worker.Output, Does.Contain("ExeSys__Redis__Password"), "the message names the setting");
            Assert.That(worker.Output, Does.Not.Contain("not-the-password"));
        }
    }

    [Test]
    public async Task Should_refuse_a_tls_server_whose_certificate_it_does_not_trust()
    {
        await using var processes = new ProcessSet();
        var settings = Settings($"127.0.0.1:{_tlsPort}").With("ExeSys:Redis:User", User).With("ExeSys:Redis:Password", Password).With("ExeSys:Redis:Tls", "true");
        var worker = processes.Start(ExeSysRole.Worker, "worker-untrusted", settings);

        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exitCode, Is.EqualTo(2), worker.Output);
            Assert.That(worker.Output, Does.Contain("Redis refused ExeSys's connection").And.Contain("TlsCaFile"));
        }
    }

    private static TestSettings Settings(string redis) => TestSettings.For(TestRedis.NewPrefix("acl"))
        .With("ExeSys:Redis:Connection", redis)
        .With("ExeSys:Redis:ConnectTimeoutMs", "1000")
        .With("ExeSys:Api:Urls", $"http://127.0.0.1:{FreePort.Next()}");

    /// <summary>A CA, and a server certificate it signed for 127.0.0.1 and localhost.</summary>
    private static async Task MakeCertificatesAsync(string folder)
    {
        await File.WriteAllTextAsync(Path.Combine(folder, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        await OpenSslAsync(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=ExeSys test CA");
        await OpenSslAsync(folder, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
        await OpenSslAsync(folder, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext");
    }

    private static async Task OpenSslAsync(string folder, params string[] args)
    {
        var info = new ProcessStartInfo("openssl") { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed: {await error}");
        }
    }
}
