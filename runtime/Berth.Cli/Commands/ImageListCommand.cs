using System.Globalization;
using System.Text.Json;
using Berth.Cli.Parsing;
using Berth.Images;
using Berth.Runtime;

namespace Berth.Cli.Commands;

/// <summary>`berth image ls` (`image list`): the stored images as a table (IMAGE ID, TAGS, LAYERS, SIZE, IMPORTED),
/// JSON, or their digests. This file owns that JSON.</summary>
public static class ImageListCommand
{
    public static readonly CommandDefinition Definition = new("image ls", "", "list the images in the store",
    [
        Flag.Value("format", "table or json (default: table)", "f"),
        Flag.Switch("quiet", "print only the manifest digests", "q"),
    ], Run)
    { Aliases = ["image list"], FromRunc = false };

    private static int Run(Invocation call)
    {
        var a = call.Arguments.NoPositionals();
        string format = a.Choice("format", "table", "json");
        bool quiet = a.Flag("quiet");
        var images = ImageCommand.Store(call).List();
        if (quiet)
            StandardStreams.Write(string.Concat(images.Select(i => i.Digest + "\n")));
        else if (format == "json")
            StandardStreams.WriteDocument(Json(images));
        else
            StandardStreams.Write(Table(images));
        return 0;
    }

    private static readonly string[] Header = ["IMAGE ID", "TAGS", "LAYERS", "SIZE", "IMPORTED"];

    private static string Table(IReadOnlyList<ImageRecord> images)
    {
        var rows = new List<string[]> { Header };
        foreach (var image in images)
            rows.Add([
                image.Digest.Hex[..12],
                image.Tags.Count == 0 ? "<none>" : string.Join(",", image.Tags),
                image.Layers.Count.ToString(CultureInfo.InvariantCulture),
                HumanSize(image.Layers.Sum(l => l.Size)),
                image.Imported.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ]);
        return TextTable.Render(rows);
    }

    /// <summary>The layers' blob sizes as the layout held them (compressed where they were), in decimal units as
    /// podman and docker print sizes: "4.27MB".</summary>
    private static string HumanSize(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double size = bytes;
        int unit = 0;
        while (size >= 1000 && unit < units.Length - 1)
        {
            size /= 1000;
            unit++;
        }
        return size.ToString(unit == 0 ? "0" : "0.##", CultureInfo.InvariantCulture) + units[unit];
    }

    private static byte[] Json(IReadOnlyList<ImageRecord> images)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonText.Options(indented: true)))
        {
            w.WriteStartArray();
            foreach (var image in images)
            {
                w.WriteStartObject();
                w.WriteString("digest", image.Digest.ToString());
                w.WriteStartArray("tags");
                foreach (string tag in image.Tags)
                    w.WriteStringValue(tag);
                w.WriteEndArray();
                w.WriteString("config", image.ConfigDigest.ToString());
                w.WriteStartArray("layers");
                foreach (var layer in image.Layers)
                {
                    w.WriteStartObject();
                    w.WriteString("digest", layer.Digest.ToString());
                    w.WriteString("diffId", layer.DiffId.ToString());
                    w.WriteString("mediaType", layer.MediaType);
                    w.WriteNumber("size", layer.Size);
                    w.WriteString("treeDigest", layer.TreeDigest.ToString());
                    w.WriteString("path", layer.Path);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteString("imported", ListCommand.Rfc3339Nano(image.Imported));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return buffer.ToArray();
    }
}
