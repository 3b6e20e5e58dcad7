using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Linux io_uring receive for one UDP socket: one multishot <c>recvmsg</c> with a ring of provided buffers, so the kernel
/// moves datagrams from the socket into the ring's buffers by itself, also while the runtime has every managed thread
/// suspended for a collection. The socket buffer then only has to hold what arrives while the ring is full.
/// </summary>
/// <remarks>
/// <para>Why: at 50,000 hosts young collections pause the receive thread 60-130 ms, and an 8 MB socket buffer holds
/// about 90 ms of datagrams at 1.1 M flows/s; with the ring the kernel keeps draining the socket during the pause.</para>
/// <para>Only the raw system calls are used (<c>io_uring_setup</c>, <c>io_uring_enter</c>, <c>io_uring_register</c>;
/// kernel 6.0 or later for multishot recvmsg with a buffer ring). Where they are refused (older kernels, container
/// seccomp profiles, <c>kernel.io_uring_disabled</c>) <see cref="TryCreate"/> says why, and the caller reads the socket
/// with ordinary receives.</para>
/// <para>Owned by one thread: <see cref="Wait"/>, <see cref="TryTake"/> and <see cref="Release"/> are not thread-safe.</para>
/// </remarks>
internal sealed unsafe class UdpReceiveRing : IDisposable
{
    private const long SysSetup = 425, SysEnter = 426, SysRegister = 427; // the same on every Linux architecture
    private const uint SetupCqSize = 1u << 3;
    private const uint FeatSingleMmap = 1u << 0, FeatExtArg = 1u << 8;
    private const uint EnterGetEvents = 1u << 0, EnterExtArg = 1u << 3;
    private const uint RegisterPbufRing = 22;
    private const byte OpRecvMsg = 10, OpAsyncCancel = 14;
    private const ulong ReceiveUserData = 1, CancelUserData = 2;
    private const byte SqeBufferSelect = 1 << 5;
    private const ushort RecvMultishot = 1 << 1;
    private const uint CqeFBuffer = 1u << 0, CqeFMore = 1u << 1;
    private const int MsgTrunc = 0x20;
    private const long OffSqRing = 0, OffCqRing = 0x8000000, OffSqes = 0x10000000;
    private const int ProtRead = 1, ProtWrite = 2, MapShared = 1, MapPopulate = 0x8000;
    private const int ENOBUFS = 105, ETIME = 62, EINTR = 4;
    private const ushort BufferGroup = 0;

    /// <summary>Bytes reserved in each buffer for the sender's address (a sockaddr_in6).</summary>
    public const int NameBytes = 28;

    /// <summary>The kernel's header in front of each datagram (struct io_uring_recvmsg_out).</summary>
    private const int HeaderBytes = 16;

    private readonly int _ringFd;
    private readonly int _socketFd;
    private readonly int _buffers, _bufferBytes;
    private readonly byte* _sqRing, _cqRing, _sqes;
    private readonly nuint _sqRingBytes, _cqRingBytes, _sqesBytes;
    private readonly uint* _sqTail, _sqArray, _cqHead, _cqTail;
    private readonly uint _sqMask, _cqMask;
    private readonly byte* _bufferRing; // struct io_uring_buf[_buffers]; the tail is the u16 at offset 14 of entry 0
    private readonly byte* _bufferMemory;
    private readonly byte* _msghdr;
    private readonly long* _timespec;
    private readonly ulong* _waitArg;
    private ushort _bufferTail;
    private bool _armed, _disposed;

    private UdpReceiveRing(int ringFd, int socketFd, int buffers, int bufferBytes, in Params p)
    {
        _ringFd = ringFd;
        _socketFd = socketFd;
        _buffers = buffers;
        _bufferBytes = bufferBytes;
        _sqRingBytes = p.SqArray + (p.SqEntries * 4u);
        _cqRingBytes = p.CqCqes + (p.CqEntries * 16u);
        if ((p.Features & FeatSingleMmap) != 0) _sqRingBytes = _cqRingBytes = Math.Max(_sqRingBytes, _cqRingBytes);
        _sqRing = Map(_sqRingBytes, OffSqRing);
        _cqRing = (p.Features & FeatSingleMmap) != 0 ? _sqRing : Map(_cqRingBytes, OffCqRing);
        _sqesBytes = p.SqEntries * 64u;
        _sqes = Map(_sqesBytes, OffSqes);
        _sqTail = (uint*)(_sqRing + p.SqTail);
        _sqArray = (uint*)(_sqRing + p.SqArray);
        _sqMask = *(uint*)(_sqRing + p.SqRingMask);
        _cqHead = (uint*)(_cqRing + p.CqHead);
        _cqTail = (uint*)(_cqRing + p.CqTail);
        _cqMask = *(uint*)(_cqRing + p.CqRingMask);
        _cqes = _cqRing + p.CqCqes;

        _bufferRing = (byte*)NativeMemory.AlignedAlloc((nuint)(buffers * 16), 4096);
        NativeMemory.Clear(_bufferRing, (nuint)(buffers * 16));
        _bufferMemory = (byte*)NativeMemory.AlignedAlloc((nuint)((long)buffers * bufferBytes), 4096);
        _msghdr = (byte*)NativeMemory.AllocZeroed(56 + 128);
        _timespec = (long*)NativeMemory.AllocZeroed(16);
        _waitArg = (ulong*)NativeMemory.AllocZeroed(24);
    }

    private readonly byte* _cqes;

    /// <summary>Datagrams the ring can hold (its provided buffers).</summary>
    public int Buffers => _buffers;

    /// <summary>Bytes of each buffer: the kernel's header and the sender's address, then the datagram.</summary>
    public int BufferBytes => _bufferBytes;

    /// <summary>Largest datagram a buffer holds whole; a longer one is cut and counted by the caller.</summary>
    public int MaxDatagram => _bufferBytes - HeaderBytes - NameBytes;

    /// <summary>Times the kernel ran out of buffers (the ring was full) and the receive had to be re-armed.</summary>
    public long Exhausted { get; private set; }

    /// <summary>
    /// Sets up a ring of <paramref name="buffers"/> (a power of two, 1..32768) buffers of <paramref name="bufferBytes"/>
    /// for <paramref name="socket"/> and arms its receive; null, with the reason, where io_uring cannot be used.
    /// </summary>
    public static UdpReceiveRing? TryCreate(Socket socket, int buffers, int bufferBytes, out string? reason)
    {
        reason = null;
        if (!OperatingSystem.IsLinux())
        {
            reason = "io_uring needs Linux";
            return null;
        }
        if (buffers < 1 || buffers > 32_768 || (buffers & (buffers - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(buffers), buffers, "a power of two, 1..32768");
        if (bufferBytes < HeaderBytes + NameBytes + 512) throw new ArgumentOutOfRangeException(nameof(bufferBytes), bufferBytes, "at least 556");

        Params p = default;
        p.CqEntries = (uint)Math.Max(buffers, 8);
        p.Flags = SetupCqSize;
        long fd = Syscall(SysSetup, 8, (long)&p, 0, 0, 0, 0);
        if (fd < 0)
        {
            reason = $"io_uring_setup failed (errno {Marshal.GetLastPInvokeError()}: {Marshal.GetLastPInvokeErrorMessage()})";
            return null;
        }
        if ((p.Features & FeatExtArg) == 0)
        {
            Close((int)fd);
            reason = "the kernel's io_uring lacks IORING_FEAT_EXT_ARG (needs 5.11 or later)";
            return null;
        }

        UdpReceiveRing? ring = null;
        try
        {
            ring = new UdpReceiveRing((int)fd, (int)socket.SafeHandle.DangerousGetHandle(), buffers, bufferBytes, in p);
            if (!ring.RegisterBuffers(out reason) || !ring.Arm(out reason))
            {
                ring.Dispose();
                return null;
            }
            return ring;
        }
        catch (Exception e) when (e is InvalidOperationException or OutOfMemoryException)
        {
            ring?.Dispose();
            if (ring is null) Close((int)fd);
            reason = e.Message;
            return null;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for a datagram (or a re-arm the ring needs); true when there may be
    /// datagrams to take.
    /// </summary>
    public bool Wait(int timeoutMs)
    {
        if (Volatile.Read(ref *_cqTail) != *_cqHead) return true;
        if (!_armed && !Arm(out _)) return false;
        if (WaitForCompletion(timeoutMs) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (ETIME or EINTR)) throw new IOException($"io_uring_enter failed (errno {errno}: {Marshal.GetLastPInvokeErrorMessage()})");
        }
        return Volatile.Read(ref *_cqTail) != *_cqHead;
    }

    /// <summary>
    /// Takes the next received datagram: its bytes (cut at <see cref="MaxDatagram"/> when <paramref name="truncated"/>),
    /// the sender's address as the kernel's sockaddr, and the buffer to <see cref="Release"/> once they are used.
    /// False when no datagram is ready.
    /// </summary>
    public bool TryTake(out ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> sender, out int buffer, out bool truncated)
    {
        while (true)
        {
            uint head = *_cqHead;
            if (head == Volatile.Read(ref *_cqTail))
            {
                datagram = default;
                sender = default;
                buffer = -1;
                truncated = false;
                return false;
            }

            byte* cqe = _cqes + ((head & _cqMask) * 16);
            int res = *(int*)(cqe + 8);
            uint flags = *(uint*)(cqe + 12);
            bool receive = *(ulong*)cqe == ReceiveUserData;
            Volatile.Write(ref *_cqHead, head + 1);
            if (receive && (flags & CqeFMore) == 0) _armed = false; // the multishot ended (no buffers left, or an error): re-arm
            if ((flags & CqeFBuffer) == 0)
            {
                if (res == -ENOBUFS) Exhausted++;
                continue;
            }

            buffer = (int)(flags >> 16);
            byte* b = _bufferMemory + ((long)buffer * _bufferBytes);
            uint nameLength = *(uint*)b;
            uint payloadLength = *(uint*)(b + 8);
            int msgFlags = *(int*)(b + 12);
            int available = _bufferBytes - HeaderBytes - NameBytes;
            truncated = (msgFlags & MsgTrunc) != 0 || payloadLength > available;
            datagram = new ReadOnlySpan<byte>(b + HeaderBytes + NameBytes, (int)Math.Min(payloadLength, (uint)available));
            sender = new ReadOnlySpan<byte>(b + HeaderBytes, (int)Math.Min(nameLength, NameBytes));
            if (res < 0)
            {
                Release(buffer);
                continue;
            }
            return true;
        }
    }

    /// <summary>Gives a buffer back to the kernel.</summary>
    public void Release(int buffer)
    {
        byte* e = _bufferRing + ((_bufferTail & (_buffers - 1)) * 16);
        *(ulong*)e = (ulong)(_bufferMemory + ((long)buffer * _bufferBytes));
        *(uint*)(e + 8) = (uint)_bufferBytes;
        *(ushort*)(e + 12) = (ushort)buffer;
        _bufferTail++;
        Volatile.Write(ref *(ushort*)(_bufferRing + 14), _bufferTail);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CancelReceive();
        Close(_ringFd);
        if (_sqes is not null) Unmap(_sqes, _sqesBytes);
        if (_cqRing is not null && _cqRing != _sqRing) Unmap(_cqRing, _cqRingBytes);
        if (_sqRing is not null) Unmap(_sqRing, _sqRingBytes);
        NativeMemory.AlignedFree(_bufferRing);
        NativeMemory.AlignedFree(_bufferMemory);
        NativeMemory.Free(_msghdr);
        NativeMemory.Free(_timespec);
        NativeMemory.Free(_waitArg);
    }

    /// <summary>
    /// Cancels the multishot receive and waits (up to a second) for its last completion, so the kernel writes into no
    /// buffer after they are freed: closing the ring alone cancels it asynchronously.
    /// </summary>
    private void CancelReceive()
    {
        if (!_armed) return;
        byte* sqe = NextSqe(out uint tail, out uint index);
        sqe[0] = OpAsyncCancel;
        *(int*)(sqe + 4) = -1;
        *(ulong*)(sqe + 16) = ReceiveUserData; // the request to cancel, by its user data
        *(ulong*)(sqe + 32) = CancelUserData;
        if (Submit(tail, index) < 1) return;
        long deadline = Environment.TickCount64 + 1_000;
        while (_armed && Environment.TickCount64 < deadline)
        {
            WaitForCompletion(50);
            for (uint head = *_cqHead; head != Volatile.Read(ref *_cqTail); head++)
            {
                byte* cqe = _cqes + ((head & _cqMask) * 16);
                if (*(ulong*)cqe == ReceiveUserData && (*(uint*)(cqe + 12) & CqeFMore) == 0) _armed = false;
                Volatile.Write(ref *_cqHead, head + 1);
            }
        }
    }

    private bool RegisterBuffers(out string? reason)
    {
        reason = null;
        for (int i = 0; i < _buffers; i++) Release(i);
        var reg = stackalloc ulong[5];
        reg[0] = (ulong)_bufferRing;
        reg[1] = (uint)_buffers | ((ulong)BufferGroup << 32);
        reg[2] = reg[3] = reg[4] = 0;
        if (Syscall(SysRegister, _ringFd, RegisterPbufRing, (long)reg, 1, 0, 0) < 0)
        {
            reason = $"registering the buffer ring failed (errno {Marshal.GetLastPInvokeError()}: {Marshal.GetLastPInvokeErrorMessage()}; needs Linux 5.19 or later)";
            return false;
        }
        return true;
    }

    private bool Arm(out string? reason)
    {
        reason = null;
        // struct msghdr: only the name length matters (the kernel puts the sender's address in each buffer); no iovec,
        // so each datagram may fill its whole buffer.
        NativeMemory.Clear(_msghdr, 56);
        *(ulong*)_msghdr = (ulong)(_msghdr + 56);
        *(uint*)(_msghdr + 8) = NameBytes;
        byte* sqe = NextSqe(out uint tail, out uint index);
        sqe[0] = OpRecvMsg;
        sqe[1] = SqeBufferSelect;
        *(ushort*)(sqe + 2) = RecvMultishot;
        *(int*)(sqe + 4) = _socketFd;
        *(ulong*)(sqe + 16) = (ulong)_msghdr;
        *(uint*)(sqe + 24) = 1;
        *(ulong*)(sqe + 32) = ReceiveUserData;
        *(ushort*)(sqe + 40) = BufferGroup;
        if (Submit(tail, index) < 1)
        {
            reason = $"submitting the multishot receive failed (errno {Marshal.GetLastPInvokeError()}: {Marshal.GetLastPInvokeErrorMessage()}; needs Linux 6.0 or later)";
            return false;
        }
        _armed = true;
        return true;
    }

    /// <summary>The next submission entry, zeroed, with the tail and index <see cref="Submit"/> publishes it at.</summary>
    private byte* NextSqe(out uint tail, out uint index)
    {
        tail = *_sqTail;
        index = tail & _sqMask;
        byte* sqe = _sqes + (index * 64);
        NativeMemory.Clear(sqe, 64);
        return sqe;
    }

    /// <summary>Publishes the entry <see cref="NextSqe"/> filled and submits it; the kernel's count of entries taken.</summary>
    private long Submit(uint tail, uint index)
    {
        _sqArray[index] = index;
        Volatile.Write(ref *_sqTail, tail + 1);
        return Syscall(SysEnter, _ringFd, 1, 0, 0, 0, 0);
    }

    /// <summary>io_uring_enter waiting for one completion, at most <paramref name="timeoutMs"/>; negative on timeout or error (errno set).</summary>
    private long WaitForCompletion(int timeoutMs)
    {
        _timespec[0] = timeoutMs / 1000;
        _timespec[1] = (timeoutMs % 1000) * 1_000_000L;
        _waitArg[0] = 0; // no signal mask
        _waitArg[1] = 0;
        _waitArg[2] = (ulong)_timespec;
        return Syscall(SysEnter, _ringFd, 0, 1, EnterGetEvents | EnterExtArg, (long)_waitArg, 24);
    }

    private byte* Map(nuint bytes, long offset)
    {
        void* p = Mmap(null, bytes, ProtRead | ProtWrite, MapShared | MapPopulate, _ringFd, offset);
        if (p == (void*)-1) throw new InvalidOperationException($"mapping the io_uring rings failed (errno {Marshal.GetLastPInvokeError()})");
        return (byte*)p;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Params
    {
        public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd, Resv0, Resv1, Resv2;
        public uint SqHead, SqTail, SqRingMask, SqRingEntries, SqFlags, SqDropped, SqArray, SqResv1;
        public ulong SqUserAddr;
        public uint CqHead, CqTail, CqRingMask, CqRingEntries, CqOverflow, CqCqes, CqFlags, CqResv1;
        public ulong CqUserAddr;
    }

    // glibc's syscall(2) takes its arguments in registers as a non-variadic function would, on x86-64 and arm64.
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Unmap(void* address, nuint length);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
