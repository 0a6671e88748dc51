using Berth.Cli.Parsing;
using Berth.Config;
using Berth.Runtime;
using Berth.Runtime.Bundles;

namespace Berth.Cli.Commands;

/// <summary>`berth diff [--format text|json] ID`: what the host files changed in the author's config, as create
/// recorded it (<see cref="HostChanges"/>).</summary>
public static class DiffCommand
{
    public static readonly CommandDefinition Definition = new("diff", "<container-id>",
        "berth's own: what the host files changed in the author's config",
        [Flag.Value("format", "text or json (default: text)")], Run)
    { FromRunc = false };

    private static int Run(Invocation call)
    {
        var a = call.Arguments;
        string id = a.Single("container id");
        string format = a.Choice("format", "text", "json");
        byte[]? json = HostChanges.Read(call.Runtime.Store, id);
        var verified = TrustCheck.Read(call.Runtime.Store, id);
        if (json is null)
            call.Log.Line("info", $"berth: diff: container \"{id}\" ran its bundle's config.json as it was (no host files)");
        else if (format == "json")
            StandardStreams.WriteDocument(verified is null ? json : HostChanges.WithVerified(json, TrustCheck.ToJson(verified)));
        else
            StandardStreams.Write(HostChanges.Render(ConfigDiff.FromJson(json)) + (verified is null ? "" : TrustCheck.Render(verified)));
        return 0;
    }
}
