using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Zoo.Web.Api;
using Zoo.Web.Security;

namespace Zoo.Web;

/// <summary>
/// `zoo serve --urls`: one process with the job service (the same BackgroundService as the plain `zoo serve`), the
/// HTTP API, its OpenAPI document (/openapi/v1.json) and the dashboard (/). <paramref name="addRuntime"/> registers
/// the plugin catalog and the job service, as the caller composes them.
/// </summary>
public static class ZooWeb
{
    public static WebApplication Build(WebServeOptions options, Action<IServiceCollection> addRuntime, Action<ILoggingBuilder>? logging = null)
    {
        ApiAccess.RequireTokenOffLoopback(options.Urls, options.Token);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestLineSize = 8 * 1024;
        });
        logging?.Invoke(builder.Logging);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning); // zoo serve prints where it listens in one line
        addRuntime(builder.Services);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Zoo training service";
            doc.Info.Description = "Plugins and their config schemas, jobs (submit, cancel, metrics, log, pictures) and health. " +
                                   "Off loopback every request needs 'Authorization: Bearer TOKEN'.";
            return Task.CompletedTask;
        }));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(async (context, next) =>
        {
            if (ApiAccess.Check(context.Request, options.Token) is { } problem)
            {
                context.Response.StatusCode = problem.Status!.Value;
                if (problem.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
                return;
            }
            await next(context);
        });
        if (Directory.Exists(options.DashboardFolder))
        {
            var files = new PhysicalFileProvider(options.DashboardFolder);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache", // a rebuilt dashboard is seen at once
            });
        }
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapZooApi();
        return app;
    }
}
