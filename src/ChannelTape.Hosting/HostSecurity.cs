using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Runtime.Events;
using ChannelTape.Server;
using ChannelTape.Server.Security;

namespace ChannelTape.Hosting;

/// <summary>
/// The configuration's security made ready to serve (docs/security.md): secret files read (regular files
/// only), the TLS certificate loaded, the host entries as the server's directory, and the rule that a
/// server listening beyond loopback has a secret or says <c>insecure</c>.
/// </summary>
public static class HostSecurity
{
    /// <summary>Reads a secret file (a regular file of at most <see cref="HostSecret.MaximumLength"/> bytes).</summary>
    public static bool TryLoadSecret(string path, [NotNullWhen(true)] out HostSecret? secret, [NotNullWhen(false)] out string? error)
    {
        secret = null;
        if (!FileIdentity.TryReadSmallFile(path, HostSecret.MaximumLength, out var contents, out var problem))
        {
            error = $"secret file {path}: {problem}";
            return false;
        }

        if (!HostSecret.TryFromFileContents(contents, out secret, out problem))
        {
            error = $"secret file {path}: {problem}";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>
    /// The server's security for <paramref name="configuration"/>; <paramref name="secretFile"/> (<c>ctape serve
    /// --secret-file</c>) replaces the configuration's shared secret, <paramref name="insecure"/> (<c>--insecure</c>)
    /// adds to its <c>insecure</c>. False with the reason when a file cannot be read, or when the server would
    /// listen beyond loopback without a secret and without <c>insecure</c>.
    /// </summary>
    public static bool TryBuild(LibraryConfiguration configuration, string? secretFile, bool insecure,
        [NotNullWhen(true)] out ServerSecurity? security, out TapeEvent? warning, [NotNullWhen(false)] out string? error)
    {
        security = null;
        warning = null;
        HostSecret? shared = null;
        var sharedFile = secretFile ?? configuration.Security.SecretFile;
        if (sharedFile is not null && !TryLoadSecret(sharedFile, out shared, out error))
        {
            return false;
        }

        var identities = new Dictionary<string, HostSecret>(StringComparer.Ordinal);
        foreach (var host in configuration.Hosts)
        {
            if (host.SecretFile is null)
            {
                continue;
            }

            if (!TryLoadSecret(host.SecretFile, out var secret, out error))
            {
                error = $"host {host.Name}: {error}";
                return false;
            }

            identities[host.Name] = secret;
        }

        X509Certificate2? certificate = null;
        if (configuration.Security.Certificate is { } certificateFile)
        {
            try
            {
                certificate = configuration.Security.Key is { } keyFile
                    ? X509Certificate2.CreateFromPemFile(certificateFile, keyFile)
                    : certificateFile.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || certificateFile.EndsWith(".crt", StringComparison.OrdinalIgnoreCase)
                        ? X509Certificate2.CreateFromPemFile(certificateFile)
                        : X509CertificateLoader.LoadPkcs12FromFile(certificateFile, null);
                if (!certificate.HasPrivateKey)
                {
                    error = $"TLS certificate {certificateFile} has no private key (give security {{ key \"FILE\"; }})";
                    return false;
                }

                // SslStream on Linux wants a key it can export to OpenSSL: a PEM key loaded this way is ephemeral.
                certificate = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                error = $"TLS certificate {certificateFile}: {e.Message}";
                return false;
            }
        }

        security = new ServerSecurity
        {
            SharedSecret = shared,
            IdentitySecrets = identities,
            Hosts = new ConfiguredHosts(configuration),
            Certificate = certificate,
            RequireTls = configuration.Security.RequireTls,
        };
        var listen = configuration.Listen.Address;
        var beyondLoopback = !IPAddress.IsLoopback(listen.IsIPv4MappedToIPv6 ? listen.MapToIPv4() : listen);
        if (beyondLoopback && !security.RequiresAuthentication)
        {
            if (!insecure && !configuration.Security.Insecure)
            {
                error = $"listening on {configuration.Listen} (beyond this machine) without a secret: give one (ctape serve --secret-file FILE, "
                    + "security { secret-file \"FILE\"; }) or say that any host that can connect may use the drives (--insecure, security { insecure; }); docs/security.md";
                return false;
            }

            warning = new InsecureListening(configuration.Listen);
        }

        error = null;
        return true;
    }
}

/// <summary>The server listens beyond loopback without a secret, as the operator asked (<c>insecure</c>): any host that can connect may use it.</summary>
public sealed record InsecureListening(IPEndPoint EndPoint) : TapeEvent, IAuditEvent
{
    public override Microsoft.Extensions.Logging.LogLevel Level => Microsoft.Extensions.Logging.LogLevel.Warning;

    public override string Message =>
        $"listening on {EndPoint} without a secret (insecure): any host that can reach this address may attach drives; see docs/security.md";
}
