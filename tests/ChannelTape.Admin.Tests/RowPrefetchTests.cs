using ChannelTape.Admin.Reports;

namespace ChannelTape.Admin.Tests;

/// <summary>The background row source the big reports use: same rows, same order, errors and early stops handled.</summary>
public sealed class RowPrefetchTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(RowPrefetch.ChunkSize)]
    [InlineData(RowPrefetch.ChunkSize * RowPrefetch.ChunksAhead * 3 + 7)]
    public void Gives_every_row_in_order(int count) =>
        Assert.Equal(Enumerable.Range(0, count), RowPrefetch.Ahead(Enumerable.Range(0, count)));

    [Fact]
    public void An_exception_of_the_source_reaches_the_consumer_after_the_rows_before_it()
    {
        var seen = new List<int>();
        var error = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (int row in RowPrefetch.Ahead(Failing(1000)))
            {
                seen.Add(row);
            }
        });
        Assert.Equal("catalog row 1000 is damaged", error.Message);
        Assert.Equal(Enumerable.Range(0, 1000), seen);
    }

    [Fact]
    public void A_consumer_that_stops_early_stops_the_source_and_disposes_it()
    {
        var source = new CountingSource();
        foreach (int row in RowPrefetch.Ahead(source))
        {
            if (row == 10)
            {
                break;
            }
        }

        Assert.True(source.Disposed);
        Assert.InRange(source.Produced, 11, 11 + (RowPrefetch.ChunksAhead + 2) * RowPrefetch.ChunkSize);
    }

    private static IEnumerable<int> Failing(int at)
    {
        for (int i = 0; ; i++)
        {
            if (i == at)
            {
                throw new InvalidDataException($"catalog row {i} is damaged");
            }

            yield return i;
        }
    }

    /// <summary>An endless source that records how far it was read and whether it was disposed.</summary>
    private sealed class CountingSource : IEnumerable<int>
    {
        public int Produced;
        public bool Disposed;

        public IEnumerator<int> GetEnumerator()
        {
            try
            {
                while (true)
                {
                    yield return Produced++;
                }
            }
            finally
            {
                Disposed = true;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
