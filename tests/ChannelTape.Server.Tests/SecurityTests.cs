using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChannelTape.Client;
using ChannelTape.Hosting;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server.Tests.Support;
using ChannelTape.Testing;

namespace ChannelTape.Server.Tests;

/// <summary>
/// The attacks of issue 13 against a server built as <c>ctape serve</c> builds it (docs/security.md): each is
/// refused with a clear answer to the peer and an event, and the server goes on serving.
/// </summary>
public sealed class SecurityTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-security-").FullName;

    public SecurityTests()
    {
        Directory.CreateDirectory(Imports);
        Directory.CreateDirectory(Outside);
    }

    private string Imports => Path.Combine(_root, "imports");

    private string Outside => Path.Combine(_root, "outside");

    private string Data => Path.Combine(_root, "data");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    // ---- confinement -------------------------------------------------------------------------------------

    [Fact]
    public async Task A_path_outside_the_image_folders_is_refused_by_Attach_and_by_Mount()
    {
        await using var served = Start("");
        var outside = NewImage(Outside, "planted.aws");

        var attach = Assert.Throws<RemoteDeviceException>(() => Connect(served, 0x0580, outside));
        Assert.Equal(AttachResult.NotAuthorised, attach.Result);
        Assert.Contains("outside the image folders", attach.Message, StringComparison.Ordinal);

        using var device = Connect(served, 0x0581);
        var mount = device.Mount(outside);
        Assert.Equal(MountResult.NotAuthorised, mount.Result);
        var refused = served.Recorder.WaitFor<MountRefused>(e => e.DeviceNumber == 0x0581);
        Assert.Equal(VolumeRefusalReason.NotAuthorised, refused.Refusal.Reason);

        // Inside the folder it mounts.
        Assert.Equal(MountResult.Done, device.Mount(NewImage(Imports, "ok.aws")).Result);
    }

    [Fact]
    public async Task Traversal_and_a_symbolic_link_out_of_the_image_folder_are_refused()
    {
        await using var served = Start("");
        var outside = NewImage(Outside, "secret.aws");
        var link = Path.Combine(Imports, "link.aws");
        File.CreateSymbolicLink(link, outside);
        Directory.CreateSymbolicLink(Path.Combine(Imports, "dir"), Outside);
        using var device = Connect(served, 0x0580);

        foreach (var path in new[] { Path.Combine(Imports, "..", "outside", "secret.aws"), link, Path.Combine(Imports, "dir", "secret.aws") })
        {
            var reply = device.Mount(path);
            Assert.Equal(MountResult.NotAuthorised, reply.Result);
            Assert.Contains("outside the image folders", reply.Message, StringComparison.Ordinal);
        }

        Assert.Equal("* (unloaded)", device.Query());
    }

    [Fact]
    public async Task The_catalog_a_library_image_and_a_command_volume_cannot_be_mounted_by_path()
    {
        // The storage root inside the image folder: still never reachable by path.
        var config = $$"""
            storage { root "{{Path.Combine(Imports, "data")}}"; }
            image-folder "{{Imports}}";
            drive 0580-0581 { pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; capacity 1M; }
            """;
        await using var served = StartText(config);
        using var device = Connect(served, 0x0580);
        Assert.Equal(MountResult.Done, device.Mount("T00001").Result);
        Assert.Equal(MountResult.Done, device.Mount("*").Result);
        using var commands = Connect(served, 0x0581);
        Assert.Equal(MountResult.Done, commands.Mount("#CMD01").Result); // a command volume by its name is fine

        var storage = Path.Combine(Imports, "data");
        foreach (var path in new[]
        {
            Path.Combine(storage, "catalog.db"), Path.Combine(storage, "ctape.lock"), Path.Combine(storage, "volumes", "T00001.aws"),
            Directory.EnumerateFiles(Path.Combine(storage, "admin")).First(),
        })
        {
            var reply = device.Mount(path);
            Assert.Equal(MountResult.NotAuthorised, reply.Result);
            Assert.Contains("library's storage", reply.Message, StringComparison.Ordinal);
        }

        // The catalog is untouched and the server restarts on it.
        Assert.NotNull(served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("T00001")));
    }

    [Fact]
    public async Task A_file_that_is_not_a_tape_image_and_a_hard_link_are_refused()
    {
        await using var served = Start("");
        var script = Path.Combine(Imports, "run.sh");
        File.WriteAllText(script, "#!/bin/sh\necho planted\n");
        var image = NewImage(Imports, "one.aws");
        var hardLink = Path.Combine(Imports, "two.aws");
        Assert.Equal(0, Link(image, hardLink));
        using var device = Connect(served, 0x0580);

        var notTape = device.Mount(script);
        Assert.Equal(MountResult.NotAuthorised, notTape.Result);
        Assert.Contains("not a tape image", notTape.Message, StringComparison.Ordinal);
        var linked = device.Mount(hardLink);
        Assert.Equal(MountResult.NotAuthorised, linked.Result);
        Assert.Contains("hard links", linked.Message, StringComparison.Ordinal);
        Assert.Equal("#!/bin/sh\necho planted\n", File.ReadAllText(script));
    }

    [Fact]
    public async Task One_image_is_mounted_on_one_drive_at_a_time()
    {
        await using var served = Start("");
        var image = NewImage(Imports, "shared.aws");
        using var first = Connect(served, 0x0580, image);
        using var second = Connect(served, 0x0581);

        var reply = second.Mount(image);

        Assert.Equal(MountResult.Refused, reply.Result);
        Assert.Contains("mounted on drive 0580", reply.Message, StringComparison.Ordinal);
        Assert.Equal(MountResult.Done, first.Mount("*").Result);
        Assert.Equal(MountResult.Done, second.Mount(image).Result);
    }

    [Fact]
    public async Task Without_an_image_folder_no_image_is_mounted_by_path_and_a_volser_is_always_a_library_volume()
    {
        await using var served = StartText($$"""
            storage { root "{{Data}}"; }
            drive 0580 { pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; capacity 1M; }
            """);
        using var device = Connect(served, 0x0580);

        var reply = device.Mount(NewImage(Imports, "x.aws"));

        Assert.Equal(MountResult.NotAuthorised, reply.Result);
        Assert.Contains("names no image folder", reply.Message, StringComparison.Ordinal);
        Assert.Equal(MountResult.Done, device.Mount("T00002").Result);
    }

    // ---- authorisation -----------------------------------------------------------------------------------

    [Fact]
    public async Task A_private_volume_of_another_host_cannot_be_mounted_nor_its_pool_scratched()
    {
        var (secretA, secretB) = (Secret("a"), Secret("b"));
        await using var served = StartText($$"""
            storage { root "{{Data}}"; }
            drive 0580-0583 { pool SHARED; }
            pool SHARED { volumes S00000-S00009; capacity 1M; }
            pool PRIVA { volumes A00000-A00009; capacity 1M; private; }
            pool PRIVB { volumes B00000-B00009; capacity 1M; private; }
            host MVSA { secret-file "{{secretA}}"; pools SHARED, PRIVA; }
            host MVSB { secret-file "{{secretB}}"; pools SHARED, PRIVB; drives 0582-0583; }
            """);
        using var a = Connect(served, 0x0580, options: new() { SecretFile = secretA, Identity = "MVSA" });
        using var b = Connect(served, 0x0582, options: new() { SecretFile = secretB, Identity = "MVSB" });

        Assert.Equal(MountResult.Done, a.Mount("A00001").Result);
        Assert.Equal(MountResult.Done, a.Mount("*").Result);
        var stolen = b.Mount("A00001");
        Assert.Equal(MountResult.NotAuthorised, stolen.Result);
        Assert.Contains("pool PRIVA", stolen.Message, StringComparison.Ordinal);
        Assert.Equal(MountResult.Done, b.Mount("S00001").Result);

        // Nor a drive it is not given.
        var drive = Assert.Throws<RemoteDeviceException>(() => Connect(served, 0x0581, options: new() { SecretFile = secretB, Identity = "MVSB" }));
        Assert.Equal(AttachResult.NotAuthorised, drive.Result);
        Assert.Contains(served.Recorder.All<AttachRefused>(), e => e.Result == AttachResult.NotAuthorised);
    }

    [Fact]
    public async Task Take_over_of_another_hosts_drive_needs_the_permission_and_a_host_may_always_take_its_own_back()
    {
        var (secretA, secretB, secretC) = (Secret("a"), Secret("b"), Secret("c"));
        await using var served = StartText($$"""
            storage { root "{{Data}}"; }
            drive 0580;
            host MVSA { secret-file "{{secretA}}"; }
            host MVSB { secret-file "{{secretB}}"; }
            host OPER { secret-file "{{secretC}}"; permit operator-mounts, take-over; }
            """);
        using var a = Connect(served, 0x0580, options: new() { SecretFile = secretA, Identity = "MVSA" });

        var refused = Assert.Throws<RemoteDeviceException>(() =>
            Connect(served, 0x0580, options: new() { SecretFile = secretB, Identity = "MVSB", TakeOver = true }));
        Assert.Equal(AttachResult.NotAuthorised, refused.Result);
        Assert.Contains("may not take over drive 0580", refused.Message, StringComparison.Ordinal);
        Assert.True(a.IsConnected);
        Assert.Equal("* (unloaded)", a.Query());

        using var again = Connect(served, 0x0580, options: new() { SecretFile = secretA, Identity = "MVSA", TakeOver = true });
        served.Recorder.WaitFor<DriveTakenOver>(e => e.DeviceNumber == 0x0580);
        using var operatorHost = Connect(served, 0x0580, options: new() { SecretFile = secretC, Identity = "OPER", TakeOver = true });
        Assert.Equal(2, served.Recorder.All<DriveTakenOver>().Count);
    }

    [Fact]
    public async Task A_host_without_the_permissions_may_not_mount_by_path_or_as_an_operator_and_unmatched_peers_attach_nothing()
    {
        var secret = Secret("a");
        await using var served = StartText($$"""
            storage { root "{{Data}}"; }
            image-folder "{{Imports}}";
            drive 0580 { pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; capacity 1M; }
            host MVSA { secret-file "{{secret}}"; permit none; }
            """);
        using var a = Connect(served, 0x0580, options: new() { SecretFile = secret, Identity = "MVSA" });
        Assert.Equal(MountResult.NotAuthorised, a.Mount(NewImage(Imports, "x.aws")).Result);
        Assert.Equal(MountResult.NotAuthorised, a.Mount("T00001").Result);

        // The shared secret is not configured, so a host that authenticates without an identity is refused at Hello.
        var e = Assert.Throws<RemoteDeviceException>(() => Connect(served, 0x0580, options: new() { SecretFile = secret }));
        Assert.Contains("AuthenticationFailed", e.Message, StringComparison.Ordinal);
    }

    // ---- authentication ----------------------------------------------------------------------------------

    [Fact]
    public async Task With_a_secret_set_a_version_1_peer_a_wrong_secret_and_a_missing_one_are_refused_and_the_right_one_serves()
    {
        var secret = Secret("shared");
        await using var served = StartText($$"""
            storage { root "{{Data}}"; }
            drive 0580;
            security { secret-file "{{secret}}"; audit-log "{{Path.Combine(_root, "audit.log")}}"; }
            """);

        using (var raw = await RawPeer.ConnectAsync(served.EndPoint))
        {
            await raw.SendAsync(FrameWriter.ToArray(new HelloMessage(0, "old host")));
            var error = await raw.ExpectErrorAndCloseAsync(ProtocolErrorCode.AuthenticationRequired);
            Assert.Contains("prove a shared secret", error.Text, StringComparison.Ordinal);
        }

        var none = Assert.Throws<RemoteDeviceException>(() => Connect(served, 0x0580, options: new() { SecretFile = null }));
        Assert.Contains("AuthenticationRequired", none.Message, StringComparison.Ordinal);
        var wrong = Assert.Throws<RemoteDeviceException>(() => Connect(served, 0x0580, options: new() { SecretFile = Secret("other") }));
        Assert.Contains("AuthenticationFailed", wrong.Message, StringComparison.Ordinal);
        Assert.Equal(3, served.Recorder.All<AuthenticationRefused>().Count);

        using var device = Connect(served, 0x0580, options: new() { SecretFile = secret });
        Assert.Equal("* (unloaded)", device.Query());
        served.Recorder.WaitFor<HostAuthenticated>();

        await served.Host.StopAsync();
        var audit = File.ReadAllText(Path.Combine(_root, "audit.log"));
        Assert.Contains("AuthenticationRefused", audit, StringComparison.Ordinal);
        Assert.Contains("HostAuthenticated", audit, StringComparison.Ordinal);
        Assert.Contains("DriveAttached", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_with_a_secret_does_not_go_on_with_a_server_that_does_not_ask_for_it()
    {
        await using var served = Start("");

        var e = Assert.Throws<RemoteDeviceException>(() => Connect(served, 0x0580, options: new() { SecretFile = Secret("x") }));

        Assert.Contains("did not ask for the shared secret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_proof_never_carries_the_secret_and_differs_for_every_connection()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        Assert.True(HostSecret.TryCreate(bytes, out var secret, out _));
        var (serverNonce, hostNonce) = (HostSecret.NewNonce(), HostSecret.NewNonce());

        var proof = secret.HostProof(serverNonce, hostNonce, "");

        byte[] message = [.. "ChannelTape host proof\0"u8, .. serverNonce, .. hostNonce];
        Assert.Equal(HMACSHA256.HashData(bytes, message), proof);
        Assert.NotEqual(proof, secret.HostProof(HostSecret.NewNonce(), hostNonce, ""));
        Assert.NotEqual(proof, secret.ServerProof(serverNonce, hostNonce, ""));
        Assert.False(HostSecret.TryCreate(new byte[15], out _, out _));
    }

    [Fact]
    public async Task TLS_on_the_same_port_carries_an_authenticated_conversation_and_a_host_that_does_not_trust_the_certificate_stops()
    {
        var (certificate, key) = MakeCertificate("ctape-test");
        var (otherCertificate, _) = MakeCertificate("someone-else");
        var secret = Secret("tls");
        await using var served = StartText($$"""
            storage { root "{{Data}}"; }
            drive 0580-0581;
            security { secret-file "{{secret}}"; certificate "{{certificate}}"; key "{{key}}"; }
            """);

        using var device = Connect(served, 0x0580, options: new()
        {
            SecretFile = secret, Tls = true, TlsTrustFile = certificate, TlsServerName = "ctape-test",
        });
        Assert.Equal("* (unloaded)", device.Query());
        var e = Assert.Throws<RemoteDeviceException>(() => Connect(served, 0x0581, options: new()
        {
            SecretFile = secret, Tls = true, TlsTrustFile = otherCertificate, TlsServerName = "ctape-test",
        }));
        Assert.Contains("with TLS", e.Message, StringComparison.Ordinal);

        // Plain TCP on the same port still works from this machine.
        using var plain = Connect(served, 0x0581, options: new() { SecretFile = secret });
        Assert.Equal("* (unloaded)", plain.Query());
    }

    [Fact]
    public async Task Listening_beyond_loopback_without_a_secret_needs_insecure_and_then_warns()
    {
        var configuration = Parse($$"""
            listen 0.0.0.0:0;
            storage { root "{{Data}}"; }
            drive 0580;
            """);

        Assert.False(LibraryHost.TryBuild(configuration, new LibraryHostOptions(), out _, out var error));
        Assert.Contains("--insecure", error, StringComparison.Ordinal);

        var events = new TapeEventHub();
        using var recorder = new EventRecorder(events);
        Assert.True(LibraryHost.TryBuild(configuration, new LibraryHostOptions { Insecure = true }, out var host, out _, events));
        await host.DisposeAsync();
        Assert.Single(recorder.All<InsecureListening>());
    }

    // ---- bounded resources -------------------------------------------------------------------------------

    [Fact]
    public async Task Connections_that_only_ping_are_closed_after_the_handshake_time_and_a_full_server_still_takes_a_real_host()
    {
        await using var served = StartText($$"""
            storage { root "{{Data}}"; }
            drive 0580;
            limits { connections 4; connections-per-address 8; handshake-timeout 2; }
            """);
        var squatters = new List<RawPeer>();
        for (var i = 0; i < 4; i++)
        {
            var peer = await RawPeer.ConnectAsync(served.EndPoint);
            await peer.HelloAsync();
            await peer.SendAsync(FrameWriter.ToArray(new PingMessage(1)));
            squatters.Add(peer);
        }

        await Task.Delay(1200);
        // Full: the oldest connection without a drive makes room for the host.
        using var device = Connect(served, 0x0580);
        Assert.Equal("* (unloaded)", device.Query());
        served.Recorder.WaitFor<ConnectionEvicted>();

        // The rest, however much they ping, go when the handshake time is up.
        served.Recorder.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.HandshakeTimeout);
        SpinWait.SpinUntil(() => served.Host.Server.OpenConnections == 1, TimeSpan.FromSeconds(10));
        Assert.Equal(1, served.Host.Server.OpenConnections);
        Assert.True(device.IsConnected);
        squatters.ForEach(p => p.Dispose());
    }

    [Fact]
    public async Task One_address_gets_at_most_its_share_of_connections()
    {
        await using var served = StartText($$"""
            storage { root "{{Data}}"; }
            drive 0580;
            limits { connections 100; connections-per-address 3; }
            """);
        var peers = new List<Socket>();
        for (var i = 0; i < 5; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(served.EndPoint);
            peers.Add(socket);
        }

        served.Recorder.WaitFor<ConnectionRefused>(e => e.PerAddress);
        SpinWait.SpinUntil(() => served.Recorder.All<ConnectionRefused>().Count == 2, TimeSpan.FromSeconds(10));
        Assert.Equal(2, served.Recorder.All<ConnectionRefused>().Count);

        // A refused peer is told why: an Error frame before the socket closes.
        var said = new byte[512];
        var received = 0;
        foreach (var peer in peers.Skip(3))
        {
            peer.ReceiveTimeout = 5000;
            received = peer.Receive(said);
            if (received > 0)
            {
                break;
            }
        }

        Assert.True(received > Frame.HeaderSize);
        Assert.Equal((byte)MessageType.Error, said[Frame.TypeOffset]);
        Assert.Contains("already has 3 connections", ErrorMessage.Parse(said.AsSpan(Frame.HeaderSize, received - Frame.HeaderSize)).Text, StringComparison.Ordinal);
        peers.ForEach(p => p.Dispose());
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private LibraryServer Start(string extra) => StartText($$"""
        storage { root "{{Data}}"; }
        image-folder "{{Imports}}";
        drive 0580-0583 { pool SCRATCH; }
        pool SCRATCH { volumes T00000-T00009; capacity 1M; }
        {{extra}}
        """);

    /// <summary>These tests name their image folders themselves: no temporary folder is added.</summary>
    private LibraryServer StartText(string text) => LibraryServer.Start(Parse(text), tempImageFolder: false);

    private LibraryConfiguration Parse(string text)
    {
        var result = ConfigurationParser.ParseText(text, "security.conf", _root);
        Assert.Empty(result.Errors);
        return result.Configuration!;
    }

    private static RemoteDevice Connect(LibraryServer served, ushort device, string words = "", RemoteDeviceOptions? options = null) =>
        RemoteDevice.Connect("127.0.0.1", served.EndPoint.Port, device,
            (options ?? new RemoteDeviceOptions { SecretFile = null }) with { DeviceArguments = words, Timeout = TimeSpan.FromSeconds(20) });

    private static string NewImage(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        Assert.True(TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out var error), error);
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        media.Dispose();
        return path;
    }

    private string Secret(string name)
    {
        var path = Path.Combine(_root, name + ".secret");
        File.WriteAllText(path, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) + "\n");
        return path;
    }

    /// <summary>A self-signed certificate for <paramref name="name"/>, made by the test: PEM certificate and key files.</summary>
    private (string Certificate, string Key) MakeCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var (certificatePath, keyPath) = (Path.Combine(_root, name + ".pem"), Path.Combine(_root, name + ".key"));
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);
}
