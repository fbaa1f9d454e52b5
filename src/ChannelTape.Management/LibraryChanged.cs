using ChannelTape.Runtime.Events;
using Microsoft.Extensions.Logging;

namespace ChannelTape.Management;

/// <summary>An operator changed the catalog through the management API (volumes added, scratched, moved, imported, exported).</summary>
public sealed record LibraryChanged(string What) : TapeEvent
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"management API: {What}";
}
