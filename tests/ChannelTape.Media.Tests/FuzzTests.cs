namespace ChannelTape.Media.Tests;

/// <summary>
/// Seeded random mutation of valid images: whatever the bytes, every operation returns a status
/// (no exception), every walk ends, and a successful read never reports more than the largest block.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private const int Seed = 20261127;
    private const int Images = 3000;
    private const int OperationsPerImage = 40;

    private readonly TempDirectory _directory = new(inMemory: true);
    private readonly byte[] _buffer = TestData.Buffer();

    public void Dispose() => _directory.Dispose();

    private byte[] BaseImage(TapeImageFormat format, TapeImageOptions options, string name)
    {
        string path = _directory.File(name);
        using (var media = TestData.Create(path, format, options))
        {
            int seed = 0;
            foreach (int size in new[] { 80, 80, 0, 5000, 9000, 100, 0, 20_000, 0, 0 })
            {
                var status = size == 0 ? media.WriteTapeMark() : media.Write(TestData.Block(size, seed++));
                Assert.Equal(MediaStatus.Ok, status);
            }
        }
        return File.ReadAllBytes(path);
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        var image = new List<byte>(original);
        int mutations = random.Next(1, 6);
        for (int m = 0; m < mutations; m++)
        {
            int position = image.Count == 0 ? 0 : random.Next(image.Count);
            switch (random.Next(7))
            {
                case 0 when image.Count > 0: // flip a byte
                    image[position] = (byte)random.Next(256);
                    break;
                case 1: // truncate
                    image.RemoveRange(position, image.Count - position);
                    break;
                case 2 when image.Count > 0: // delete a run
                    image.RemoveRange(position, Math.Min(random.Next(1, 16), image.Count - position));
                    break;
                case 3: // insert garbage
                    for (int i = random.Next(1, 16); i > 0; i--)
                        image.Insert(position, (byte)random.Next(256));
                    break;
                case 4 when image.Count >= 2: // extreme length field
                    image[position] = 0xFF;
                    if (position + 1 < image.Count)
                        image[position + 1] = 0xFF;
                    break;
                case 5 when image.Count > 0: // flag bits
                    image[position] ^= (byte)(1 << random.Next(8));
                    break;
                default: // duplicate a slice
                    int length = Math.Min(random.Next(1, 64), image.Count - position);
                    image.InsertRange(position, image.GetRange(position, length));
                    break;
            }
        }
        return [.. image];
    }

    private void Exercise(Random random, ITapeMedia media)
    {
        for (int op = 0; op < OperationsPerImage; op++)
        {
            MediaStatus status;
            int length = 0;
            switch (random.Next(media.IsReadOnly ? 9 : 12))
            {
                case 0:
                case 1:
                    status = media.ReadForward(_buffer, out length);
                    break;
                case 2:
                    status = media.ReadBackward(_buffer, out length);
                    break;
                case 3:
                    status = media.ForwardSpaceBlock();
                    break;
                case 4:
                    status = media.BackspaceBlock();
                    break;
                case 5:
                    status = media.ForwardSpaceFile();
                    break;
                case 6:
                    status = media.BackspaceFile();
                    break;
                case 7:
                    status = media.Locate(random.Next(4) == 0 ? long.MaxValue : random.Next(-1, 20));
                    break;
                case 8:
                    status = media.Rewind();
                    break;
                case 9:
                    status = media.Write(TestData.Block(random.Next(0, 3000), op));
                    break;
                case 10:
                    status = media.WriteTapeMark();
                    break;
                default:
                    status = media.EraseToEnd();
                    break;
            }
            Assert.True(Enum.IsDefined(status));
            Assert.InRange(length, 0, media.MaxBlockSize);
            if (status != MediaStatus.Ok)
                Assert.Equal(0, length);
            var position = media.Position;
            Assert.True(position.BlockNumber >= 0 && position.FileNumber >= 1 && position.Offset >= 0);
            Assert.True(position.FileNumber <= position.BlockNumber + 1);
        }
    }

    [Fact]
    public void Thousands_of_mutated_images_never_throw_and_always_terminate()
    {
        var random = new Random(Seed);
        var bases = new (string Extension, byte[] Image)[]
        {
            (".aws", BaseImage(TapeImageFormat.Aws, new TapeImageOptions { ChunkSize = 4096 }, "base.aws")),
            (".het", BaseImage(TapeImageFormat.Het, new TapeImageOptions { ChunkSize = 4096 }, "zlib.het")),
            (".het", BaseImage(TapeImageFormat.Het, new TapeImageOptions { Method = HetCompression.Bzip2, ChunkSize = 4096 }, "bzip2.het")),
            (".het", BaseImage(TapeImageFormat.Het, new TapeImageOptions { Compress = false, ChunkSize = 4096 }, "plain.het")),
            (".fkt", BaseImage(TapeImageFormat.FakeTape, new TapeImageOptions(), "base.fkt")),
            ("", BaseImage(TapeImageFormat.Aws, new TapeImageOptions(), "noext")), // detected by data
        };
        for (int i = 0; i < Images; i++)
        {
            var (extension, original) = bases[random.Next(bases.Length)];
            byte[] image = Mutate(random, original);
            string path = _directory.File($"fuzz{i % 8}{extension}");
            File.WriteAllBytes(path, image);
            bool readOnly = random.Next(3) != 0;
            Assert.True(TapeImage.TryOpen(path, new TapeImageOptions { ReadOnly = readOnly, ChunkSize = 4096 }, out var media, out string? error), $"image {i}: {error}");
            using (media!)
                Exercise(random, media!);
        }
    }
}
