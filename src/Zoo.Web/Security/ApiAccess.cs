using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Zoo.Web.Security;

/// <summary>
/// Who may call the API. Loopback by default, where any local process may (as it may read the home folder); binding
/// any other address needs a token, checked as `Authorization: Bearer TOKEN` on every API request. Without a token the
/// Host header must name a loopback host (a web page cannot reach the service through DNS rebinding), and a
/// cross-origin browser request may not change anything (no form on another site can submit or cancel a job).
/// The dashboard's own files carry no data and are served to anyone who can connect.
/// </summary>
public static class ApiAccess
{
    public const string TokenVariable = "ZOO_TOKEN";

    /// <summary>The token: --token-file's first line, else $ZOO_TOKEN, else none. An empty or unreadable file is an error.</summary>
    public static string? ResolveToken(string? tokenFile)
    {
        if (tokenFile is not null)
        {
            string text;
            try { text = File.ReadAllText(tokenFile); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"--token-file {tokenFile}: cannot read it ({e.Message})");
            }
            var token = text.Split('\n')[0].Trim();
            return token.Length > 0 ? token : throw new InvalidDataException($"--token-file {tokenFile}: the file is empty; expected the token on its first line");
        }
        var env = Environment.GetEnvironmentVariable(TokenVariable);
        return string.IsNullOrWhiteSpace(env) ? null : env.Trim();
    }

    /// <summary>Refuses to serve a non-loopback address without a token, in one line naming the address and the fix.</summary>
    public static void RequireTokenOffLoopback(IEnumerable<string> urls, string? token)
    {
        if (token is not null) return;
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"--urls: '{url}' is not an http:// or https:// URL (e.g. {WebServeOptions.DefaultUrl})");
            if (!IsLoopbackHost(uri.Host))
                throw new InvalidOperationException($"--urls {url} binds a non-loopback address, which needs a token: set {TokenVariable} or --token-file FILE " +
                                                    "(clients send it as 'Authorization: Bearer TOKEN'); or bind 127.0.0.1");
        }
    }

    public static bool IsLoopbackHost(string host)
    {
        host = host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>Paths under the access rule: the API and its OpenAPI document.</summary>
    public static bool Guards(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/openapi");

    /// <summary>The middleware: null when the request may go on, else the problem to answer with.</summary>
    public static ProblemDetails? Check(HttpRequest request, string? token)
    {
        if (!Guards(request.Path)) return null;
        if (token is not null)
        {
            var header = request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
            if (given is null || !FixedTimeEquals(given, token))
                return Problem(StatusCodes.Status401Unauthorized, "token required",
                    given is null ? "this service requires 'Authorization: Bearer TOKEN' (the token of ZOO_TOKEN or --token-file)" : "the bearer token is not this service's token");
        }
        else if (!IsLoopbackHost(request.Host.Host))
            return Problem(StatusCodes.Status403Forbidden, "not a loopback host",
                $"Host '{request.Host.Host}' is not a loopback name; a service without a token answers only 127.0.0.1, [::1] and localhost");
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && request.Headers.Origin.ToString() is { Length: > 0 } origin
            && !(Uri.TryCreate(origin, UriKind.Absolute, out var o) && string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
            return Problem(StatusCodes.Status403Forbidden, "cross-origin request", $"a page from {origin} may not change jobs of the service at {request.Host.Value}");
        return null;
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));

    public static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}
