using System.Diagnostics.CodeAnalysis;
using ChannelTape.Labels;
using ChannelTape.Media;

namespace ChannelTape.Runtime;

/// <summary>
/// What the words of a mount ask for, parsed once: the words of Hercules' <c>devinit CUU ...</c>, of a
/// device statement after the address, of the protocol's Attach and Mount messages (docs/protocol.md) and
/// of <c>ctape mount</c>. <c>*</c> unloads; a first word of six volume serial characters that is not the
/// name of a file names a library volume, and on a drive of a library so does a shorter word of volume serial
/// characters (<c>#CMD</c>); anything else is an image path. The words after the first are
/// image options (<c>ro</c>, <c>maxsize=</c> ...; <see cref="TapeImageOptions"/>), for a volume as for an image,
/// and for a volume the label type the host expects, as its mount message gives it (<c>SL</c>, <c>NL</c>, <c>AL</c>;
/// <c>IEF233A M 480,SCRTCH,NL,...</c>; docs/guests.md): a scratch volume is given those labels.
/// </summary>
public abstract record MountRequest
{
    private MountRequest()
    {
    }

    /// <summary>Take the drive's volume out (<c>*</c>).</summary>
    public sealed record Unload : MountRequest;

    /// <summary>
    /// A volume of the library by its serial, with the options asked for. <see cref="Serial"/> has six characters, or
    /// fewer for a name the library knows by a shorter one (an administrative volume such as <c>#CMD</c> or
    /// <c>#VOLS</c>, as an OS's JCL writes it: <c>VOL=SER=#CMD</c> is padded with blanks on the tape).
    /// </summary>
    public sealed record Volume(string Serial, TapeImageOptions Options) : MountRequest
    {
        public Volume(VolumeSerial serial, TapeImageOptions options)
            : this(serial.Value, options)
        {
        }

        /// <summary>The labels the host expects (a scratch volume is given them); null: whatever the volume has.</summary>
        public LabelType? Labels { get; init; }
    }

    /// <summary>An image file by its path, opened with the options as Hercules' devinit would.</summary>
    public sealed record Image(string Path, TapeImageOptions Options) : MountRequest;

    /// <summary>Parses mount words; false with the reason when they cannot be a mount.</summary>
    public static bool TryParse(string words, [NotNullWhen(true)] out MountRequest? request, [NotNullWhen(false)] out VolumeRefusal? refusal) =>
        TryParse(words, out request, out refusal, volumesFirst: false);

    /// <summary>
    /// Parses mount words; with <paramref name="volumesFirst"/> (a drive of a library, docs/security.md) a word of
    /// six volume serial characters is a library volume even when a file of that name exists.
    /// </summary>
    public static bool TryParse(string words, [NotNullWhen(true)] out MountRequest? request, [NotNullWhen(false)] out VolumeRefusal? refusal,
        bool volumesFirst)
    {
        ArgumentNullException.ThrowIfNull(words);
        request = null;
        refusal = null;
        var parts = words.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            refusal = new VolumeRefusal(VolumeRefusalReason.BadRequest, "nothing to mount");
            return false;
        }

        if (parts[0] == "*")
        {
            request = new Unload();
            return true;
        }

        var optionWords = new List<string>();
        var labelWords = new List<(string Word, LabelType? Labels)>();
        foreach (var word in parts.Skip(1))
        {
            if (TryLabelWord(word, out var asked))
            {
                labelWords.Add((word, asked));
            }
            else
            {
                optionWords.Add(word);
            }
        }

        if (!TapeImageOptions.TryParse(optionWords, out var options, out var error))
        {
            refusal = new VolumeRefusal(VolumeRefusalReason.BadRequest, error);
            return false;
        }

        if (labelWords.Count > 1)
        {
            refusal = new VolumeRefusal(VolumeRefusalReason.BadRequest, $"two label types: {string.Join(" and ", labelWords.Select(l => l.Word))}");
            return false;
        }

        string? volume = IsVolumeSerial(parts[0], volumesFirst, out var serial) ? serial.Value
            : volumesFirst && IsShortSerial(parts[0]) ? parts[0]
            : null;
        if (volume is null && labelWords.Count == 1)
        {
            refusal = new VolumeRefusal(VolumeRefusalReason.BadRequest, $"{labelWords[0].Word}: a label type is for a library volume, not an image path");
            return false;
        }

        request = volume is null ? new Image(parts[0], options) : new Volume(volume, options) { Labels = labelWords.Count == 1 ? labelWords[0].Labels : null };
        return true;
    }

    /// <summary>
    /// A label type as an OS's mount message gives it (z/OS MVS System Messages, IEF233A and IEC501A: the label
    /// type field): SL or SUL standard labels, AL or AUL ANSI labels, NL none; NSL, BLP and LTM name no labels the
    /// library can write and ask for none (<paramref name="labels"/> null).
    /// </summary>
    private static bool TryLabelWord(string word, out LabelType? labels)
    {
        var upper = word.ToUpperInvariant();
        // SUL and AUL: standard or ANSI labels with the user's own labels, which the OS writes itself
        labels = LabelTypes.TryParse(upper is "SUL" or "AUL" ? upper.Remove(1, 1) : upper, out var parsed) ? parsed : null;
        return labels is not null || upper is "NSL" or "BLP" or "LTM";
    }

    /// <summary>1 to 5 volume serial characters: on a drive of a library a name such as #CMD (docs/admin-volumes.md).</summary>
    private static bool IsShortSerial(string word) =>
        word.Length is > 0 and < VolumeSerial.Length && word.All(VolumeSerial.IsValidCharacter);

    /// <summary>A word that is a volume serial and not the name of an image file (a file of that name wins, as for Hercules).</summary>
    private static bool IsVolumeSerial(string word, bool volumesFirst, out VolumeSerial serial) =>
        VolumeSerial.TryParse(word, out serial) && (volumesFirst || !File.Exists(word));
}

/// <summary>What a mount did: done, or refused; <see cref="Message"/> is what the operator is told.</summary>
public readonly record struct MountOutcome(bool Done, string Message, VolumeRefusal? Refusal = null);
