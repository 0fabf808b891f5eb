using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace QuantReason.Kernels;

/// <summary>
/// Pinned arrays for weights that kernels stream every token. Large ones are advised to transparent huge pages before
/// their first touch: a 2.5 GB weight stream on 4 KiB pages takes a TLB miss (a two-dimensional page walk under a
/// hypervisor) every 4 KiB, which measurably caps the bandwidth one core can pull (≈25 → ≈34 GB/s for a plain read on
/// the project's 2-core VM). Where the kernel refuses (not Linux, THP disabled) the array is simply a pinned array.
/// </summary>
public static unsafe class WeightMemory
{
    const long HugePage = 2L << 20;
    const int MadvHugepage = 14;

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    static extern int Madvise(nint addr, nuint length, int advice);

    /// <summary>A pinned, uninitialised array of <paramref name="length"/> elements; the caller fills it.</summary>
    public static T[] AllocatePinned<T>(long length) where T : unmanaged
    {
        var a = GC.AllocateUninitializedArray<T>(checked((int)length), pinned: true);
        AdviseHugePages(a);
        return a;
    }

    /// <summary>
    /// A pinned array with room for <paramref name="length"/> elements from a 64-byte boundary on, and the index of that
    /// boundary. Why: arrays are only 8- or 16-byte aligned, and a 512-bit load that straddles two cache lines costs two;
    /// the 4-bit GEMV streams one such load per row and chunk.
    /// </summary>
    public static (T[] Array, int Offset) AllocatePinnedAligned<T>(long length) where T : unmanaged
    {
        int pad = CacheLine / sizeof(T);
        var a = AllocatePinned<T>(length + pad);
        long address = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(a));
        return (a, (int)((CacheLine - address % CacheLine) % CacheLine / sizeof(T)));
    }

    const int CacheLine = 64;

    /// <summary>Asks the kernel to back the array's whole 2 MiB pages with huge pages (best effort, no error).</summary>
    public static void AdviseHugePages<T>(T[] a) where T : unmanaged
    {
        long bytes = (long)a.Length * sizeof(T);
        if (bytes < 2 * HugePage || !OperatingSystem.IsLinux()) return;
        fixed (T* p = a)
        {
            long s = ((long)p + HugePage - 1) & ~(HugePage - 1), e = ((long)p + bytes) & ~(HugePage - 1);
            if (e <= s) return;
            try { Madvise((nint)s, (nuint)(e - s), MadvHugepage); }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { }
        }
    }
}
