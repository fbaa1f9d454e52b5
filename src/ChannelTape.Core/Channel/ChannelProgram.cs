namespace ChannelTape.Channel;

/// <summary>
/// A channel program written as a list: each CCW with its own data area (or a shared one, an
/// explicit address, or a TIC to another entry by index). <see cref="Build"/> lays CCWs and data
/// areas out in a <see cref="GuestStorage"/> the way a guest program would, so the program runs on
/// <see cref="LocalChannel"/> with every storage rule of the real channel (read backward storing
/// downward from the CCW address, TIC, program checks on bad addresses). The storage stays, so the
/// program can be started again and its data areas inspected after each run.
/// </summary>
public sealed class ChannelProgram
{
    /// <summary>Address of the first CCW.</summary>
    public const int CcwBase = 0x1000;

    private readonly List<Entry> _entries = [];
    private GuestStorage? _storage;

    public ChannelProgram(CcwFormat format = CcwFormat.Format1) => Format = format;

    public CcwFormat Format { get; }

    /// <summary>Number of CCWs.</summary>
    public int Count => _entries.Count;

    /// <summary>The laid-out storage (after <see cref="Build"/>).</summary>
    public GuestStorage Storage => _storage ?? throw new InvalidOperationException("call Build first");

    /// <summary>Adds a CCW with its own data area of max(count, data length, 1) bytes: <paramref name="initialData"/>, then <paramref name="fill"/>.</summary>
    public int Add(byte command, CcwFlags flags, int count, ReadOnlySpan<byte> initialData = default, byte fill = 0)
    {
        CheckCount(count);
        var area = new byte[Math.Max(Math.Max(count, initialData.Length), 1)];
        initialData.CopyTo(area);
        area.AsSpan(initialData.Length).Fill(fill);
        return AddEntry(new Entry(command, flags, count, area, SharesBufferOf: -1, ExplicitAddress: null, TicTarget: -1));
    }

    /// <summary>Adds a CCW that uses the data area of entry <paramref name="bufferOf"/> (a repeated CCW).</summary>
    public int AddSharingBuffer(byte command, CcwFlags flags, int count, int bufferOf)
    {
        CheckCount(count);
        if (bufferOf < 0 || bufferOf >= _entries.Count || _entries[bufferOf].Area is null)
        {
            throw new ArgumentOutOfRangeException(nameof(bufferOf), "not an entry with its own data area");
        }

        return AddEntry(new Entry(command, flags, count, null, bufferOf, null, -1));
    }

    /// <summary>Adds a CCW whose data address is used as given (no data area).</summary>
    public int AddAtAddress(byte command, CcwFlags flags, int count, uint dataAddress)
    {
        CheckCount(count);
        return AddEntry(new Entry(command, flags, count, null, -1, dataAddress, -1));
    }

    /// <summary>Adds a Transfer in Channel to entry <paramref name="targetIndex"/> (resolved at <see cref="Build"/>).</summary>
    public int AddTransfer(int targetIndex, byte command = 0x08, CcwFlags flags = CcwFlags.None, int count = 0)
    {
        CheckCount(count);
        return AddEntry(new Entry(command, flags, count, null, -1, null, targetIndex));
    }

    /// <summary>Lays the CCWs and data areas out in storage. Adding entries afterwards is not allowed.</summary>
    public void Build()
    {
        if (_storage is not null)
        {
            return;
        }

        var next = CcwBase + (Ccw.Size * _entries.Count);
        var areaAddress = new long[_entries.Count];
        for (var i = 0; i < _entries.Count; i++)
        {
            var area = _entries[i].Area;
            if (area is not null)
            {
                next = Align(next + 8); // a gap between areas, as the reference runner's guard bytes
                areaAddress[i] = next;
                next += area.Length;
            }
        }

        var storage = new GuestStorage(Align(next + 8) + 4096);
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (e.Area is not null)
            {
                e.Area.CopyTo(storage.Slice(areaAddress[i], e.Area.Length));
            }

            long address;
            if (e.TicTarget >= 0)
            {
                if (e.TicTarget >= _entries.Count)
                {
                    throw new InvalidOperationException($"TIC at {i} targets entry {e.TicTarget}, there are {_entries.Count}");
                }

                address = CcwBase + (Ccw.Size * e.TicTarget);
            }
            else if (e.ExplicitAddress is { } explicitAddress)
            {
                address = explicitAddress;
            }
            else
            {
                var owner = e.SharesBufferOf >= 0 ? e.SharesBufferOf : i;
                address = areaAddress[owner];
                if (CommandType.IsReadBackward(e.Command) && e.Count > 0)
                {
                    address += e.Count - 1; // read backward stores downward from the CCW address
                }
            }

            new Ccw(e.Command, e.Flags, (ushort)e.Count, (uint)address).WriteTo(storage.Slice(AddressOf(i), Ccw.Size), Format);
        }

        _storage = storage;
        _areaAddress = areaAddress;
    }

    private long[] _areaAddress = [];

    /// <summary>Storage address of CCW <paramref name="index"/>.</summary>
    public static long AddressOf(int index) => CcwBase + ((long)Ccw.Size * index);

    /// <summary>Runs the program from its first CCW.</summary>
    public ChannelProgramResult Run(LocalChannel channel, IChannelDevice device, ChannelProgramOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Build();
        options ??= ChannelProgramOptions.Default;
        if (options.Format != Format)
        {
            options = options with { Format = Format };
        }

        return channel.Run(device, Storage, CcwBase, options);
    }

    /// <summary>
    /// Index of the CCW a program ended on, from the SCSW CCW address (address - 8), as the
    /// reference runner computes it; null when the address is outside the list.
    /// </summary>
    public int? EndedAt(ChannelProgramResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var offset = result.CcwAddress - CcwBase;
        if (offset < Ccw.Size || offset > (long)Ccw.Size * _entries.Count || offset % Ccw.Size != 0)
        {
            return null;
        }

        return (int)(offset / Ccw.Size) - 1;
    }

    /// <summary>True if entry <paramref name="index"/> has a data area (its own or shared).</summary>
    public bool HasDataArea(int index) => _entries[index].Area is not null || _entries[index].SharesBufferOf >= 0;

    /// <summary>Index of the entry owning the data area entry <paramref name="index"/> uses.</summary>
    public int DataAreaOwner(int index) => _entries[index].SharesBufferOf >= 0 ? _entries[index].SharesBufferOf : index;

    /// <summary>The first <c>Count</c> bytes of the data area of entry <paramref name="index"/> as storage holds them now.</summary>
    public ReadOnlySpan<byte> DataArea(int index)
    {
        var owner = DataAreaOwner(index);
        var area = _entries[owner].Area ?? throw new InvalidOperationException($"entry {index} has no data area");
        Build();
        return Storage.Slice(_areaAddress[owner], Math.Min(_entries[index].Count, area.Length));
    }

    private int AddEntry(Entry entry)
    {
        if (_storage is not null)
        {
            throw new InvalidOperationException("the program is already built");
        }

        _entries.Add(entry);
        return _entries.Count - 1;
    }

    private static void CheckCount(int count) => ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)ushort.MaxValue, nameof(count));

    private static int Align(int value) => (value + 7) & ~7;

    private sealed record Entry(byte Command, CcwFlags Flags, int Count, byte[]? Area, int SharesBufferOf, uint? ExplicitAddress, int TicTarget);
}
