namespace FlowActors.Testing;

/// <summary>A directory under the system temp folder, deleted with everything in it on dispose (the one temp-dir helper of the tests).</summary>
public sealed class TempDirectory : IDisposable
{
    private readonly Action<string>? _beforeDelete;

    /// <summary>Creates it, named <paramref name="prefix"/> plus a unique suffix.</summary>
    /// <param name="prefix">Start of the directory's name, to tell which test left it behind.</param>
    /// <param name="beforeDelete">Called with <see cref="Path"/> before the directory is deleted (e.g. to close databases kept open in it).</param>
    public TempDirectory(string prefix = "flowactors-test", Action<string>? beforeDelete = null)
    {
        _beforeDelete = beforeDelete;
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>Full path.</summary>
    public string Path { get; }

    /// <summary>The full path of <paramref name="name"/> inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(Path)) _beforeDelete?.Invoke(Path);
        // A component that is still shutting down may add a file while the tree is being deleted: try again a few times.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(Path, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < 3)
            {
                Thread.Sleep(100);
            }
            catch (IOException)
            {
                return; // left for the OS to clean up rather than failing the test in its cleanup
            }
        }
    }
}
