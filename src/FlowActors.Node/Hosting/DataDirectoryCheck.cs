namespace FlowActors.Node.Hosting;

/// <summary>
/// Proves at start that the data directory can be written (SQLite file, alerts file, operator token), so an
/// unwritable directory stops start-up with a message rather than failing later inside Akka's start-up.
/// </summary>
public static class DataDirectoryCheck
{
    /// <summary>What is wrong with <paramref name="directory"/> (it exists), or null when a file can be created and removed in it.</summary>
    public static string? FindProblem(string directory)
    {
        string probe = Path.Combine(directory, $".write-probe-{Environment.ProcessId}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"is not writable ({ex.Message})";
        }
    }
}
