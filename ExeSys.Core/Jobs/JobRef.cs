namespace ExeSys.Core.Jobs;

/// <summary>
/// Identifies one job: the client (<c>from</c>) and its <c>job_id</c>. Neither may contain <c>:</c>,
/// which <see cref="JobIdentifiers"/> enforces, so <see cref="Member"/> round-trips through <see cref="Parse"/>.
/// </summary>
public readonly record struct JobRef(string From, string JobId)
{
    /// <summary>The form used as a queue member and in notifications: <c>from:job_id</c>.</summary>
    public string Member => string.Concat(From, ":", JobId);

    public static JobRef Parse(string member)
    {
        var colon = member.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == member.Length - 1)
        {
            throw new FormatException($"'{member}' is not a job reference of the form from:job_id.");
        }

        return new JobRef(member[..colon], member[(colon + 1)..]);
    }

    public override string ToString() => Member;
}
