using System.Runtime.InteropServices;
using System.Text;

namespace Berth.Runtime.Exec;

/// <summary>
/// Native memory that holds the operation array and everything it points to. The C child reads it after clone();
/// since clone copies the address space, the parent may free it as soon as the child has been created.
/// </summary>
internal sealed unsafe class OpArena : IDisposable
{
    private readonly List<nint> _blocks = new();

    public byte* String(string? value)
    {
        if (value is null)
            return null;
        int length = Encoding.UTF8.GetByteCount(value);
        byte* p = (byte*)Allocate(length + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(p, length));
        p[length] = 0;
        return p;
    }

    public byte* Bytes(ReadOnlySpan<byte> value)
    {
        byte* p = (byte*)Allocate(value.Length + 1);
        value.CopyTo(new Span<byte>(p, value.Length));
        p[value.Length] = 0;
        return p;
    }

    public byte** StringArray(IReadOnlyList<string>? values)
    {
        if (values is null)
            return null;
        byte** array = (byte**)Allocate((values.Count + 1) * sizeof(byte*));
        for (int i = 0; i < values.Count; i++)
            array[i] = String(values[i]);
        array[values.Count] = null;
        return array;
    }

    public void* Allocate(int size)
    {
        void* p = NativeMemory.AllocZeroed((nuint)Math.Max(size, 1));
        _blocks.Add((nint)p);
        return p;
    }

    public void Dispose()
    {
        foreach (nint block in _blocks)
            NativeMemory.Free((void*)block);
        _blocks.Clear();
    }
}
