using System.Security.Cryptography;
using FlowActors.Node.Configuration;

namespace FlowActors.Node.Operator;

/// <summary>
/// The operator token when none is configured: generated at first start into <c>DATADIRECTORY/operator-token</c>
/// (mode 0600, owner only) and reused afterwards, so mutating routes always need a token. <c>flowctl</c> on the same
/// machine reads it from there, as Jupyter and Docker clients read their local credentials.
/// </summary>
public static class OperatorToken
{
    /// <summary>File name of the generated token inside the data directory.</summary>
    public const string FileName = "operator-token";

    /// <summary>Where the generated token of a node with <paramref name="dataDirectory"/> lives.</summary>
    public static string PathFor(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>
    /// <paramref name="settings"/> with an operator token: the configured one, or the one in the data directory
    /// (created with 32 random bytes, hex, when missing).
    /// </summary>
    /// <exception cref="InvalidSettingsException">The token file cannot be read or written.</exception>
    public static NodeSettings Resolve(NodeSettings settings)
    {
        if (!settings.Operator.Enabled || settings.Operator.Token.Length > 0) return settings;
        string path = PathFor(settings.DataDirectory);
        try
        {
            string token = ReadOrCreate(path);
            return settings with { Operator = settings.Operator with { Token = token, TokenOrigin = OperatorTokenOrigin.Generated } };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidSettingsException([new SettingError("FlowActors:DataDirectory",
                $"FlowActors:DataDirectory '{settings.DataDirectory}' must hold the generated operator token {path} ({ex.Message}). Set FLOWACTORS__DATADIRECTORY to a writable directory, or set FLOWACTORS__OPERATOR__TOKEN.")]);
        }
    }

    private static string ReadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            string existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                {
                    // Someone loosened it: the token is only as secret as the file.
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                return existing;
            }
        }

        string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        // Created 0600 from the start, not chmod-ed after: there is no moment at which others could read it.
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(token);
            writer.Write('\n');
        }

        File.Move(temp, path, overwrite: true);
        return token;
    }
}
