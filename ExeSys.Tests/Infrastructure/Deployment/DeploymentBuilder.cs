using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure.Deployment;

/// <summary>
/// What an <see cref="ExeSysDeployment"/> starts with, from <see cref="ExeSysDeployment.Build"/>. By default: an API
/// process named <c>api</c> on the test Redis, no controller and no worker, a client with many connections
/// (<see cref="ExeSysDeployment.NewClient"/>), 60 s for the processes to start, ready once the API answers
/// /health/live. <see cref="StartAsync"/> starts the controllers, then the workers, then the API, then runs the waits
/// asked for; if any of that fails, whatever started is stopped again (its output shown) and the error is rethrown.
/// </summary>
public sealed class DeploymentBuilder
{
    private readonly TestSettings _settings;
    private readonly List<string> _controllers = [];
    private readonly List<(string Name, string? Id)> _workers = [];
    private readonly List<string> _functions = [];
    private string _apiName = "api";
    private bool _apiInProcess;
    private bool _inProcessWorker;
    private string? _redisEndpoint;
    private IConnectionMultiplexer? _redis;
    private bool _redisGiven;
    private (string ConnectionString, string Database, string? FunctionsDatabase)? _mongo;
    private string? _modulesFolder;
    private bool _workflowsFolder;
    private Func<Uri, HttpClient> _newClient = ExeSysDeployment.NewClient;
    private TimeSpan _startTimeout = ExeSysDeployment.ProcessStartTimeout;
    private bool _waitForRegistration;
    private bool _waitForHealthReady;

    /// <param name="settings">The settings of every process (and of the in-process API), prefix included.</param>
    internal DeploymentBuilder(TestSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    /// <summary>The API as a real process (the default), named <paramref name="name"/> in the logs.</summary>
    public DeploymentBuilder WithApiProcess(string name = "api")
    {
        (_apiInProcess, _apiName) = (false, name);
        return this;
    }

    /// <summary>
    /// The API's real pipeline on a test server in the test process (<see cref="ApiEnvironment"/>), and with
    /// <paramref name="withWorker"/> an in-process worker too. Its own client replaces the builder's.
    /// </summary>
    public DeploymentBuilder WithApiInProcess(bool withWorker = false)
    {
        (_apiInProcess, _inProcessWorker) = (true, withWorker);
        return this;
    }

    /// <summary>A controller process named <paramref name="name"/>.</summary>
    public DeploymentBuilder WithController(string name)
    {
        _controllers.Add(name);
        return this;
    }

    /// <summary>A worker process named <paramref name="name"/>; with <paramref name="id"/>, its ExeSys:Worker:Id (else the worker's default id).</summary>
    public DeploymentBuilder WithWorker(string name, string? id = null)
    {
        _workers.Add((name, id));
        return this;
    }

    /// <summary>
    /// Runs on the Redis at <paramref name="endpoint"/> (ExeSys:Redis:Connection) instead of the test Redis, and looks
    /// at it through <paramref name="connection"/> (without one, <see cref="ExeSysDeployment.Redis"/> throws).
    /// </summary>
    public DeploymentBuilder OnRedis(string endpoint, IConnectionMultiplexer? connection = null)
    {
        (_redisEndpoint, _redis, _redisGiven) = (endpoint, connection, true);
        return this;
    }

    /// <summary>Archives into MongoDB: ExeSys:Mongo:ConnectionString, :Database and, if given, :FunctionsDatabase.</summary>
    public DeploymentBuilder WithMongo(string connectionString, string database, string? functionsDatabase = null)
    {
        _mongo = (connectionString, database, functionsDatabase);
        return this;
    }

    /// <summary>Workers load modules from <paramref name="folder"/> (ExeSys:Worker:ModulesFolder), which the test owns.</summary>
    public DeploymentBuilder WithModulesFolder(string folder)
    {
        _modulesFolder = folder;
        return this;
    }

    /// <summary>The API reads named definitions from a new temporary folder (ExeSys:Api:WorkflowsFolder), deleted with the deployment.</summary>
    public DeploymentBuilder WithWorkflowsFolder()
    {
        _workflowsFolder = true;
        return this;
    }

    /// <summary>A plain client of the API (the default handler) with this timeout, instead of <see cref="ExeSysDeployment.NewClient"/>.</summary>
    public DeploymentBuilder WithPlainClient(TimeSpan timeout)
    {
        _newClient = baseAddress => new HttpClient { BaseAddress = baseAddress, Timeout = timeout };
        return this;
    }

    /// <summary>How long the processes may take to start and show up, in every wait of the deployment.</summary>
    public DeploymentBuilder WithStartTimeout(TimeSpan timeout)
    {
        _startTimeout = timeout;
        return this;
    }

    /// <summary>
    /// Ready also means: every controller and worker has registered in Redis, the workers listen for cancellations and
    /// the API for completions. Any process that exits meanwhile fails the start.
    /// </summary>
    public DeploymentBuilder WaitForRegistration()
    {
        _waitForRegistration = true;
        return this;
    }

    /// <summary>Ready also means: /health/ready answers 200 with exactly the workers and controllers started.</summary>
    public DeploymentBuilder WaitForHealthReady()
    {
        _waitForHealthReady = true;
        return this;
    }

    /// <summary>Ready also means: GET /functions lists every one of <paramref name="names"/>.</summary>
    public DeploymentBuilder WaitForFunctions(params string[] names)
    {
        _functions.AddRange(names);
        return this;
    }

    public async Task<ExeSysDeployment> StartAsync()
    {
        var settings = _settings;
        if (_redisEndpoint is not null)
        {
            settings = settings.With("ExeSys:Redis:Connection", _redisEndpoint);
        }

        if (_mongo is { } mongo)
        {
            settings = settings.With("ExeSys:Mongo:ConnectionString", mongo.ConnectionString).With("ExeSys:Mongo:Database", mongo.Database);
            if (mongo.FunctionsDatabase is not null)
            {
                settings = settings.With("ExeSys:Mongo:FunctionsDatabase", mongo.FunctionsDatabase);
            }
        }

        if (_modulesFolder is not null)
        {
            settings = settings.With("ExeSys:Worker:ModulesFolder", _modulesFolder);
        }

        var workflowsFolder = _workflowsFolder ? Directory.CreateTempSubdirectory("exesys-workflows-").FullName : null;
        if (workflowsFolder is not null)
        {
            settings = settings.With("ExeSys:Api:WorkflowsFolder", workflowsFolder);
        }

        var deployment = new ExeSysDeployment(
            settings, _redisGiven ? _redis : TestRedis.Connection, workflowsFolder, _startTimeout, _controllers.Count, _workers.Count);
        try
        {
            // Controllers and workers need no API to start, so all processes start at once.
            foreach (var name in _controllers)
            {
                deployment.StartProcess(ExeSysRole.Controller, name, settings);
            }

            foreach (var (name, id) in _workers)
            {
                deployment.StartProcess(ExeSysRole.Worker, name, id is null ? settings : settings.With("ExeSys:Worker:Id", id));
            }

            if (_apiInProcess)
            {
                await deployment.StartApiInProcessAsync(_inProcessWorker);
            }
            else
            {
                await deployment.StartApiProcessAsync(_apiName, _newClient);
            }

            if (_waitForRegistration)
            {
                await deployment.WaitForRegistrationAsync();
            }

            if (_waitForHealthReady)
            {
                await deployment.WaitForHealthReadyAsync();
            }

            if (_functions.Count > 0)
            {
                await deployment.WaitForFunctionsAsync(_functions);
            }

            return deployment;
        }
        catch
        {
            await deployment.DisposeAfterFailedStartAsync();
            throw;
        }
    }
}
