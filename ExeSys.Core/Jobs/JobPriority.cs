namespace ExeSys.Core.Jobs;

public enum JobPriority
{
    High = 0,
    Normal = 1,
    Low = 2,
}

public static class JobPriorityNames
{
    public static string ToWireName(this JobPriority priority) => priority switch
    {
        JobPriority.High => "high",
        JobPriority.Low => "low",
        _ => "normal",
    };

    public static bool TryParse(string? text, out JobPriority priority)
    {
        switch (text)
        {
            case "high": priority = JobPriority.High; return true;
            case "normal": priority = JobPriority.Normal; return true;
            case "low": priority = JobPriority.Low; return true;
            default: priority = JobPriority.Normal; return false;
        }
    }
}
