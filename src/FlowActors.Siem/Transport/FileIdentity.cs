using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FlowActors.Siem.Transport;

/// <summary>
/// The (device, inode) pair of a file, read with <c>stat</c>/<c>fstat</c>, so a writer can tell whether its path
/// still names the file it holds open (logrotate moves or deletes it from outside).
/// </summary>
/// <remarks>
/// On 64-bit Linux (x86-64 and arm64 alike) <c>struct stat</c> begins with <c>st_dev</c> and <c>st_ino</c>, both
/// 64 bits, which is all that is read. Elsewhere, or if libc lacks the symbols, <see cref="Supported"/> is false
/// and callers fall back to checking that the path exists.
/// </remarks>
internal static partial class FileIdentity
{
    private static readonly bool Enabled = OperatingSystem.IsLinux() && Environment.Is64BitProcess;
    private static bool _broken;

    /// <summary>Whether identities can be read here.</summary>
    public static bool Supported => Enabled && !_broken;

    /// <summary>Identity of the file a path names now, or null when it names nothing (or identities are unsupported).</summary>
    public static unsafe (ulong Device, ulong Inode)? OfPath(string path)
    {
        if (!Supported) return null;
        byte* buffer = stackalloc byte[512];
        try
        {
            return Stat(path, buffer) == 0 ? Read(buffer) : null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _broken = true;
            return null;
        }
    }

    /// <summary>Identity of an open file, or null.</summary>
    public static unsafe (ulong Device, ulong Inode)? OfHandle(SafeFileHandle handle)
    {
        if (!Supported || handle.IsInvalid || handle.IsClosed) return null;
        byte* buffer = stackalloc byte[512];
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return FStat((int)handle.DangerousGetHandle(), buffer) == 0 ? Read(buffer) : null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _broken = true;
            return null;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static unsafe (ulong, ulong) Read(byte* buffer) => (((ulong*)buffer)[0], ((ulong*)buffer)[1]);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fstat")]
    private static unsafe partial int FStat(int fd, byte* buffer);
}
