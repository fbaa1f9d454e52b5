using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ChannelTape.Library.Store;

/// <summary>Where in S3: <c>s3://BUCKET[/PREFIX]</c>.</summary>
/// <param name="Bucket">Bucket name.</param>
/// <param name="Prefix">Key prefix, empty or ending in '/'.</param>
public sealed record S3Location(string Bucket, string Prefix)
{
    /// <summary>Parses <c>s3://BUCKET[/PREFIX]</c>; false with the reason otherwise.</summary>
    public static bool TryParse(string text, out S3Location location, out string error)
    {
        location = null!;
        error = "";
        const string Scheme = "s3://";
        if (!text.StartsWith(Scheme, StringComparison.Ordinal))
        {
            error = $"'{text}' is not an S3 location: expected s3://BUCKET[/PREFIX]";
            return false;
        }

        var rest = text[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        // Bucket naming rules (S3, RGW): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-')
            || !char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            error = $"'{bucket}' is not a bucket name: 3-63 of a-z 0-9 . - (s3://BUCKET[/PREFIX])";
            return false;
        }

        location = new S3Location(bucket, prefix.Length == 0 ? "" : prefix + "/");
        return true;
    }

    public override string ToString() => $"s3://{Bucket}/{Prefix}";
}

/// <summary>What went wrong talking to the store, in words an operator can act on.</summary>
public sealed class VolumeStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Volume images as S3 objects (AWSSDK.S3): multipart uploads with an MD5 per part (the store refuses a
/// part that arrived damaged) and the whole image's SHA-256 in the object's metadata and the catalog
/// (checked after every recall). Works with AWS, Ceph RGW and MinIO: path-style addressing when an
/// endpoint is given, and the SDK's own request checksums only where S3 requires them (RGW refuses the
/// default ones, docs/scale-out.md). Credentials come from the SDK's usual chain: AWS_ACCESS_KEY_ID and
/// AWS_SECRET_ACCESS_KEY, or a profile (AWS_PROFILE, ~/.aws/credentials).
/// </summary>
public sealed class S3VolumeStore : IDisposable
{
    /// <summary>Part size of multipart uploads and ranged recalls.</summary>
    public const int PartSize = 16 * 1024 * 1024;

    private const string Sha256Metadata = "x-amz-meta-ctape-sha256";
    private const int ParallelParts = 4;

    private readonly AmazonS3Client _client;

    public S3VolumeStore(S3Location location, string? endpoint, string? region = null)
    {
        Location = location;
        Endpoint = endpoint;
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = TimeSpan.FromSeconds(60),
            MaxErrorRetry = 2,
        };
        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"'{endpoint}' is not an S3 endpoint: expected http://HOST:PORT or https://HOST", nameof(endpoint));
            }

            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1");
        }

        _client = new AmazonS3Client(config);
    }

    public S3Location Location { get; }

    public string? Endpoint { get; }

    public string Description => Endpoint is null ? Location.ToString() : $"{Location} at {Endpoint}";

    /// <summary>The raw client (the benchmarks compare against it).</summary>
    public IAmazonS3 Client => _client;

    /// <summary>Creates the bucket when it does not exist.</summary>
    public void EnsureBucket()
    {
        Run("check the bucket", async () =>
        {
            try
            {
                await _client.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = Location.Bucket }).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                try
                {
                    await _client.PutBucketAsync(new PutBucketRequest { BucketName = Location.Bucket }).ConfigureAwait(false);
                }
                catch (AmazonS3Exception again) when (again.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
                {
                    // Another server created it meanwhile.
                }
            }

            return 0;
        });
    }

    /// <summary>Uploads the file at <paramref name="path"/> as <paramref name="key"/>; returns its ETag, size and SHA-256.</summary>
    public (string ETag, long Size, string Sha256) Upload(string key, string path) =>
        Run($"upload {key}", () => UploadAsync(key, path));

    private async Task<(string ETag, long Size, string Sha256)> UploadAsync(string key, string path)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        long size = file.Length;
        var sha = await Sha256Async(path).ConfigureAwait(false);
        if (size <= PartSize)
        {
            var body = new byte[size];
            await file.ReadExactlyAsync(body).ConfigureAwait(false);
            var put = new PutObjectRequest
            {
                BucketName = Location.Bucket,
                Key = key,
                InputStream = new MemoryStream(body),
                MD5Digest = Convert.ToBase64String(MD5.HashData(body)),
            };
            put.Metadata[Sha256Metadata] = sha;
            var response = await _client.PutObjectAsync(put).ConfigureAwait(false);
            return (response.ETag, size, sha);
        }

        var start = new InitiateMultipartUploadRequest { BucketName = Location.Bucket, Key = key };
        start.Metadata[Sha256Metadata] = sha;
        var upload = await _client.InitiateMultipartUploadAsync(start).ConfigureAwait(false);
        try
        {
            int parts = (int)((size + PartSize - 1) / PartSize);
            var etags = new PartETag[parts];
            using var gate = new SemaphoreSlim(ParallelParts);
            var tasks = Enumerable.Range(0, parts).Select(async index =>
            {
                await gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    long offset = (long)index * PartSize;
                    var buffer = new byte[(int)Math.Min(PartSize, size - offset)];
                    await RandomAccess.ReadAsync(file.SafeFileHandle, buffer, offset).ConfigureAwait(false);
                    var part = await _client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = Location.Bucket,
                        Key = key,
                        UploadId = upload.UploadId,
                        PartNumber = index + 1,
                        InputStream = new MemoryStream(buffer),
                        PartSize = buffer.Length,
                        MD5Digest = Convert.ToBase64String(MD5.HashData(buffer)),
                    }).ConfigureAwait(false);
                    etags[index] = new PartETag(index + 1, part.ETag);
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            var done = await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Location.Bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartETags = [.. etags],
            }).ConfigureAwait(false);
            return (done.ETag, size, sha);
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Location.Bucket, Key = key, UploadId = upload.UploadId }).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or IOException or HttpRequestException)
            {
                // The store is away; its lifecycle rules remove the parts.
            }

            throw;
        }
    }

    /// <summary>
    /// Recalls <paramref name="key"/> into <paramref name="path"/> (written beside it and renamed when
    /// complete), in ranged parts fetched in parallel, and checks its size and SHA-256.
    /// </summary>
    public void Download(string key, long size, string sha256, string path) =>
        Run($"recall {key}", () => DownloadAsync(key, size, sha256, path));

    private async Task<int> DownloadAsync(string key, long size, string sha256, string path)
    {
        var partial = path + ".recall";
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous))
            {
                file.SetLength(size);
                int parts = (int)Math.Max(1, (size + PartSize - 1) / PartSize);
                using var gate = new SemaphoreSlim(ParallelParts);
                var tasks = Enumerable.Range(0, parts).Select(async index =>
                {
                    await gate.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        long offset = (long)index * PartSize;
                        long length = Math.Min(PartSize, size - offset);
                        if (length <= 0)
                        {
                            return;
                        }

                        var request = new GetObjectRequest { BucketName = Location.Bucket, Key = key, ByteRange = new ByteRange(offset, offset + length - 1) };
                        using var response = await _client.GetObjectAsync(request).ConfigureAwait(false);
                        var buffer = new byte[length];
                        await response.ResponseStream.ReadExactlyAsync(buffer).ConfigureAwait(false);
                        await RandomAccess.WriteAsync(file.SafeFileHandle, buffer, offset).ConfigureAwait(false);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }).ToList();
                await Task.WhenAll(tasks).ConfigureAwait(false);
                await file.FlushAsync().ConfigureAwait(false);
            }

            var actual = await Sha256Async(partial).ConfigureAwait(false);
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new VolumeStoreException($"recall of {key} gave bytes whose SHA-256 is {actual}, the catalog says {sha256}: not used");
            }

            File.Move(partial, path, overwrite: true);
            return 0;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>Deletes <paramref name="key"/> (an object no catalog row names any more).</summary>
    public void Delete(string key) =>
        Run($"delete {key}", async () =>
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Location.Bucket, Key = key }).ConfigureAwait(false);
            return 0;
        });

    public void Dispose() => _client.Dispose();

    public static async Task<string> Sha256Async(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream).ConfigureAwait(false));
    }

    // Store calls run on the thread pool (the drive executor waits for them); every failure becomes one
    // VolumeStoreException naming what was done and where.
    private T Run<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return Task.Run(call).GetAwaiter().GetResult();
        }
        catch (AmazonS3Exception e)
        {
            throw new VolumeStoreException($"cannot {what} in {Description}: {e.StatusCode} {e.ErrorCode} {e.Message}", e);
        }
        catch (Exception e) when (e is AmazonClientException or AmazonServiceException or HttpRequestException or IOException or TaskCanceledException or TimeoutException)
        {
            throw new VolumeStoreException($"cannot {what} in {Description}: {e.Message}", e);
        }
    }
}
