using System.Diagnostics;
using Npgsql;
using Xunit;

namespace ChannelTape.Testing;

/// <summary>
/// The real engines of the shared-library tests (docs/scale-out.md): a PostgreSQL server and an S3 store
/// (Ceph RGW) that <c>.ci/run</c> starts with <c>scripts/postgres.sh</c> and <c>scripts/ceph-rgw.sh</c> and names
/// in CTAPE_TEST_POSTGRES (an Npgsql connection string of a superuser), CTAPE_TEST_S3_ENDPOINT with
/// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and CTAPE_TEST_CEPH_DIR (to stop and start the gateway).
/// Tests that need them are skipped, saying why, when they are not there.
/// </summary>
public static class SharedEngines
{
    public static string? Postgres => Environment.GetEnvironmentVariable("CTAPE_TEST_POSTGRES") is { Length: > 0 } s ? s : null;

    public static string? S3Endpoint => Environment.GetEnvironmentVariable("CTAPE_TEST_S3_ENDPOINT") is { Length: > 0 } s ? s : null;

    public static string? CephDirectory => Environment.GetEnvironmentVariable("CTAPE_TEST_CEPH_DIR") is { Length: > 0 } s ? s : null;

    public const string NoPostgres = "no PostgreSQL for the shared-library tests: .ci/run starts one (scripts/postgres.sh) and sets CTAPE_TEST_POSTGRES";

    public const string NoStore = "no S3 store for the shared-library tests: .ci/run starts Ceph RGW (scripts/ceph-rgw.sh) and sets CTAPE_TEST_S3_ENDPOINT";

    /// <summary>A fresh database on the test server; its connection string.</summary>
    public static string NewDatabase()
    {
        var admin = Postgres ?? throw new InvalidOperationException(NoPostgres);
        var name = "ctape_" + Guid.NewGuid().ToString("N")[..16];
        using (var connection = new NpgsqlConnection(admin))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>A fresh bucket name (created by the store on first use).</summary>
    public static string NewBucket() => "ctape-" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>Stops (<c>false</c>) or starts (<c>true</c>) the RADOS gateway only: the store becomes unreachable, its data stays.</summary>
    public static void Gateway(bool running)
    {
        var dir = CephDirectory ?? throw new InvalidOperationException("CTAPE_TEST_CEPH_DIR is not set");
        var script = Path.Combine(RepositoryFiles.Root, "scripts", "ceph-rgw.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(running ? "start-gateway" : "stop-gateway");
        start.ArgumentList.Add(dir);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ceph-rgw.sh {(running ? "start" : "stop")}-gateway failed: {stderr.Result}");
        }
    }
}

/// <summary>A test that runs against a real PostgreSQL; skipped with the reason when none is configured.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (SharedEngines.Postgres is null)
        {
            Skip = SharedEngines.NoPostgres;
        }
    }
}

/// <summary>A test that runs against a real PostgreSQL and a real S3 store; skipped with the reason when they are not configured.</summary>
public sealed class SharedLibraryFactAttribute : FactAttribute
{
    public SharedLibraryFactAttribute()
    {
        if (SharedEngines.Postgres is null)
        {
            Skip = SharedEngines.NoPostgres;
        }
        else if (SharedEngines.S3Endpoint is null)
        {
            Skip = SharedEngines.NoStore;
        }
    }
}
