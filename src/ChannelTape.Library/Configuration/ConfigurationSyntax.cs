using ChannelTape.Device;
using ChannelTape.Labels;
using Pidgin;

namespace ChannelTape.Library.Configuration;

// Syntax tree of one configuration file, as the grammar produces it: structure and lexical shape
// only, with the character offset of every value so that the binder can report semantic errors
// at their exact line and column. Values that need checking (volsers, numbers, addresses) are
// kept as written.

/// <summary>A value as written, at <paramref name="Offset"/> characters into its file.</summary>
internal readonly record struct Located<T>(T Value, int Offset);

/// <summary><c>FIRST</c> or <c>FIRST-LAST</c> of device numbers (hex digits as written).</summary>
internal sealed record DeviceRangeSyntax(Located<string> First, Located<string>? Last);

/// <summary><c>FIRST</c> or <c>FIRST-LAST</c> of volume serials as written.</summary>
internal sealed record VolumeRangeSyntax(Located<string> First, Located<string>? Last);

internal abstract record StatementSyntax(int Offset);

internal sealed record IncludeStatement(int Offset, Located<string> Path) : StatementSyntax(Offset);

internal sealed record ListenStatement(int Offset, Located<string> Address) : StatementSyntax(Offset);

internal sealed record StorageStatement(int Offset, IReadOnlyList<PropertySyntax> Properties) : StatementSyntax(Offset);

internal sealed record DriveStatement(int Offset, IReadOnlyList<DeviceRangeSyntax> Devices, IReadOnlyList<PropertySyntax> Properties)
    : StatementSyntax(Offset);

internal sealed record PoolStatement(int Offset, Located<string> Name, IReadOnlyList<PropertySyntax> Properties) : StatementSyntax(Offset);

internal sealed record AdminStatement(int Offset, IReadOnlyList<PropertySyntax> Properties) : StatementSyntax(Offset);

internal sealed record LimitsStatement(int Offset, IReadOnlyList<PropertySyntax> Properties) : StatementSyntax(Offset);

/// <summary><c>http ADDRESS:PORT;</c>, or <c>http none;</c> (<paramref name="Address"/> null).</summary>
internal sealed record HttpStatement(int Offset, Located<string>? Address) : StatementSyntax(Offset);

/// <summary>A top-level statement naming one file or folder: <c>secret-file "FILE";</c>, <c>transfer-folder "DIR";</c>.</summary>
internal sealed record PathStatement(int Offset, string Keyword, Located<string> Path) : StatementSyntax(Offset);

internal sealed record LogStatement(int Offset, IReadOnlyList<PropertySyntax> Properties) : StatementSyntax(Offset);
/// <summary><c>image-folder "DIR";</c></summary>
internal sealed record ImageFolderStatement(int Offset, Located<string> Path) : StatementSyntax(Offset);

internal sealed record SecurityStatement(int Offset, IReadOnlyList<PropertySyntax> Properties) : StatementSyntax(Offset);

internal sealed record HostStatement(int Offset, Located<string> Name, IReadOnlyList<PropertySyntax> Properties) : StatementSyntax(Offset);

/// <summary>A statement that did not parse; the parser skipped to the next statement.</summary>
internal sealed record StatementError(ParseError<char> Error) : StatementSyntax(Error.ErrorOffset);

/// <summary>
/// A drive or pool statement whose header (device list, pool name) does not parse, with the block after it
/// parsed all the same, so the block's own errors (syntax, and values the binder checks) are reported beside the
/// header's. <paramref name="Keyword"/> is <c>drive</c> or <c>pool</c>. Defines nothing.
/// </summary>
internal sealed record BrokenHeaderStatement(int Offset, string Keyword, ParseError<char> Error, IReadOnlyList<PropertySyntax> Properties) : StatementSyntax(Offset);

/// <summary>One <c>keyword value;</c> line inside a block.</summary>
internal abstract record PropertySyntax(int Offset, string Keyword);

internal sealed record RootProperty(int Offset, Located<string> Path) : PropertySyntax(Offset, "root");

internal sealed record FormatProperty(int Offset, ImageFileKind Kind, HetCompression Compression, Located<string>? Level)
    : PropertySyntax(Offset, "format");

internal sealed record ModelProperty(int Offset, TapeModel Model) : PropertySyntax(Offset, "model");

internal sealed record MediaProperty(int Offset, MediaType Media) : PropertySyntax(Offset, "media");

internal sealed record PoolReferenceProperty(int Offset, Located<string> Pool) : PropertySyntax(Offset, "pool");

internal sealed record VolumesProperty(int Offset, IReadOnlyList<VolumeRangeSyntax> Ranges) : PropertySyntax(Offset, "volumes");

internal sealed record CapacityProperty(int Offset, Located<string> Size) : PropertySyntax(Offset, "capacity");

internal sealed record LabelsProperty(int Offset, LabelType Labels) : PropertySyntax(Offset, "labels");

/// <summary><c>scratch;</c> or <c>private;</c> (both set the same thing, so they share a keyword for duplicate checks).</summary>
internal sealed record StatusProperty(int Offset, bool Scratch) : PropertySyntax(Offset, "scratch/private");

internal sealed record PrefixProperty(int Offset, Located<string> Prefix) : PropertySyntax(Offset, "prefix");

internal sealed record HostsProperty(int Offset, IReadOnlyList<Located<string>> Hosts) : PropertySyntax(Offset, "hosts");

internal sealed record DrivesProperty(int Offset, IReadOnlyList<DeviceRangeSyntax> Devices) : PropertySyntax(Offset, "drives");

/// <summary>A quoted text property (<c>catalog</c>, <c>store</c>, <c>s3-endpoint</c>, <c>server</c>).</summary>
internal sealed record TextProperty(int Offset, string Name, Located<string> Text) : PropertySyntax(Offset, Name);

/// <summary>A whole-number property (<c>connections</c>, <c>mount-history</c>).</summary>
internal sealed record NumberProperty(int Offset, string Name, Located<string> Digits) : PropertySyntax(Offset, Name);

internal sealed record LogLevelProperty(int Offset, Located<string> Level) : PropertySyntax(Offset, "level");

internal sealed record LogFormatProperty(int Offset, LogFormat Format) : PropertySyntax(Offset, "format");
/// <summary>A file name property (<c>secret-file</c>, <c>certificate</c>, <c>key</c>, <c>audit-log</c>).</summary>
internal sealed record PathProperty(int Offset, string Name, Located<string> Path) : PropertySyntax(Offset, Name);

/// <summary>A property without a value (<c>require-tls;</c>, <c>insecure;</c>).</summary>
internal sealed record FlagProperty(int Offset, string Name) : PropertySyntax(Offset, Name);

/// <summary>A list of words (<c>addresses</c>, <c>pools</c>, <c>permit</c>); empty for <c>none</c>.</summary>
internal sealed record WordsProperty(int Offset, string Name, IReadOnlyList<Located<string>> Words) : PropertySyntax(Offset, Name);

internal sealed record SyncProperty(int Offset, SyncPoint Sync) : PropertySyntax(Offset, "sync");

/// <summary>A property that did not parse; the parser skipped to the next <c>;</c> or the block's <c>}</c>.</summary>
internal sealed record PropertyError(ParseError<char> Error) : PropertySyntax(Error.ErrorOffset, "");
