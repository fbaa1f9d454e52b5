using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace ChannelTape.Admin.Reports;

/// <summary>
/// Runs a row source on its own thread, a bounded number of rows ahead of the consumer: reading
/// the catalog (SQLite) overlaps with formatting and writing the data set, and memory stays
/// bounded (<see cref="ChunksAhead"/> chunks of <see cref="ChunkSize"/> rows), whatever the count.
/// </summary>
public static class RowPrefetch
{
    /// <summary>Rows handed over at once (one lock per chunk, not per row).</summary>
    public const int ChunkSize = 512;

    /// <summary>Chunks the producer may be ahead.</summary>
    public const int ChunksAhead = 4;

    /// <summary>
    /// The rows of <paramref name="source"/>, enumerated on a background thread. An exception of
    /// the source is rethrown to the consumer; a consumer that stops early stops the producer and
    /// disposes the source's enumerator (closing its connection) before the enumeration ends.
    /// </summary>
    public static IEnumerable<T> Ahead<T>(IEnumerable<T> source)
    {
        using var chunks = new BlockingCollection<T[]>(ChunksAhead);
        using var stop = new CancellationTokenSource();
        ExceptionDispatchInfo? failure = null;
        var producer = new Thread(() =>
        {
            var chunk = new T[ChunkSize];
            int count = 0;
            try
            {
                foreach (var item in source)
                {
                    chunk[count++] = item;
                    if (count == ChunkSize)
                    {
                        chunks.Add(chunk, stop.Token);
                        chunk = new T[ChunkSize];
                        count = 0;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                count = 0; // the consumer stopped early
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e); // after the rows read before it
            }

            try
            {
                if (count > 0)
                {
                    chunks.Add(chunk[..count], stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // the consumer stopped early
            }
            finally
            {
                chunks.CompleteAdding();
            }
        })
        {
            IsBackground = true,
            Name = "report rows",
        };
        producer.Start();
        try
        {
            foreach (var chunk in chunks.GetConsumingEnumerable())
            {
                foreach (var item in chunk)
                {
                    yield return item;
                }
            }

            producer.Join();
            failure?.Throw();
        }
        finally
        {
            stop.Cancel();
            producer.Join();
        }
    }
}
