using System.ComponentModel.DataAnnotations;

namespace ExeSys.Worker.Functions;

/// <summary>Where functions keep their own data (section <c>ExeSys:Functions:DataStore</c>); see <see cref="FunctionDataStore"/>.</summary>
public sealed class FunctionDataStoreOptions : IValidatableObject
{
    public const string Section = "ExeSys:Functions:DataStore";

    /// <summary>A StackExchange.Redis configuration string. Empty: the server of <c>ExeSys:Redis:Connection</c>.</summary>
    public string Connection { get; set; } = "";

    /// <summary>The Redis database number. 1 by default, as the original ExeSys kept function data in db 1. Redis Cluster has only 0.</summary>
    [Range(0, 1023, ErrorMessage = "ExeSys:Functions:DataStore:Database must be 0..1023.")]
    public int Database { get; set; } = 1;

    /// <summary>A prefix put before every key a function uses, e.g. <c>fn:</c>. Required in database 0, where ExeSys's own keys live.</summary>
    [RegularExpression("^[A-Za-z0-9_.:-]{0,32}$", ErrorMessage = "ExeSys:Functions:DataStore:KeyPrefix must be 0-32 of A-Z a-z 0-9 _ . : -")]
    public string KeyPrefix { get; set; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Database == 0 && KeyPrefix.Length == 0)
        {
            yield return new ValidationResult(
                "ExeSys:Functions:DataStore:KeyPrefix must be set (e.g. fn:) when ExeSys:Functions:DataStore:Database is 0, so function keys stay apart from ExeSys's own.",
                [nameof(KeyPrefix)]);
        }
    }
}
