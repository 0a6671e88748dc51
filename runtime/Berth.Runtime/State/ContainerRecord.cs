using System.Text.Json;

namespace Berth.Runtime.State;

/// <summary>What berth remembers about one container, stored as state.json in its state directory.</summary>
public sealed class ContainerRecord
{
    public required string Id { get; init; }
    public required string Bundle { get; init; }
    public required string Rootfs { get; init; }
    public string OciVersion { get; set; } = "1.3.0";
    public int Pid { get; set; }
    /// <summary>/proc/PID/stat start time: a later process that reuses the pid is not the container.</summary>
    public ulong PidStartTime { get; set; }
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
    public Dictionary<string, string> Annotations { get; init; } = new();
    /// <summary>Cgroup directories berth made (and so may remove); joined ones are not listed.</summary>
    public List<string> CreatedCgroups { get; init; } = new();
    /// <summary>Every cgroup directory the container is in, for pause, resume and kill --all.</summary>
    public List<string> Cgroups { get; init; } = new();
    /// <summary>The v1 freezer hierarchy's directory among <see cref="Cgroups"/>, "" when there is none; null in a record
    /// of an older berth, which did not say (then every directory is asked).</summary>
    public string? FreezerCgroup { get; set; }
    /// <summary>The cgroup2 directory among <see cref="Cgroups"/>, "" when there is none; null in an older record.</summary>
    public string? Cgroup2 { get; set; }

    /// <summary>The directories that can hold a freezer (v1 freezer.state, cgroup2 cgroup.freeze): only these two are
    /// asked whether the container is paused, not every hierarchy (two failed opens each).</summary>
    public IReadOnlyList<string> FreezableCgroups =>
        FreezerCgroup is null || Cgroup2 is null ? Cgroups : Present(FreezerCgroup, Cgroup2);

    /// <summary>The directories that can have cgroup.kill (cgroup2's).</summary>
    public IReadOnlyList<string> KillableCgroups => FreezerCgroup is null || Cgroup2 is null ? Cgroups : Present(Cgroup2);

    private static string[] Present(params string[] dirs) => Array.FindAll(dirs, d => d.Length > 0);

    /// <summary>The container shares berth's mount namespace (its config lists no "mount"): the mounts it was given
    /// are below <see cref="Rootfs"/> in berth's own, and delete detaches them.</summary>
    public bool SharesMountNamespace { get; init; }
    /// <summary>The content store a stacked root (root.image, root.layers) came from; null for a directory root.
    /// `berth image rm` of another store is not held up by this container.</summary>
    public string? ImageStore { get; init; }
    /// <summary>The container's cgroups path as create resolved it (linux.cgroupsPath or the default): what events and
    /// update act on, without reading config.json again. Empty in a record of an older berth.</summary>
    public string CgroupsPath { get; init; } = "";
    /// <summary>The config's poststart and poststop hooks, the ones commands after create run (start, run, delete);
    /// null when it has none, and then nothing about them is written or read.</summary>
    public Berth.Spec.Hooks? LateHooks { get; init; }
    /// <summary>Each source file of the configuration that ran, with its sha256.</summary>
    public List<KeyValuePair<string, string>> Sources { get; init; } = new();

    /// <summary>What exec compiles a new process from: the config's process (the base that exec's flags change),
    /// linux.namespaces and linux.seccomp, as create wrote them with the generated writer (a JSON object, compact).
    /// Empty in a record of an older berth.</summary>
    public byte[] ExecBase { get; init; } = [];
    /// <summary>linux.resources as they are now: create's, changed by each update (a JSON object, compact). Empty when
    /// the config gave none and no update has run.</summary>
    public byte[] Resources { get; set; } = [];

    /// <summary>
    /// The OCI state document, written by the generated writer: for `berth state` (indented, with pid 0 once stopped
    /// and runc's extra rootfs and created members) and for hooks on stdin (compact, pid only while there is one).
    /// </summary>
    /// <param name="extra">Members after the state's own (`berth state` adds what the trust policy verified).</param>
    public byte[] OciState(string status, int pid, bool forCli, IReadOnlyList<KeyValuePair<string, JsonElement>>? extra = null)
    {
        if (!Berth.Spec.StateStatusExtensions.TryParseWireName(status, out var wireStatus))
            throw new ArgumentException($"\"{status}\" is not a container status", nameof(status));
        var state = new Berth.Spec.State
        {
            OciVersion = OciVersion,
            Id = Id,
            Status = wireStatus,
            Pid = forCli || pid > 0 ? pid : null,
            Bundle = Bundle,
            Rootfs = forCli ? Rootfs : null,
            Created = forCli ? Created.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : null,
            Annotations = Annotations,
            UnknownMembers = extra,
        };
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonText.Options(forCli)))
            state.WriteTo(w);
        return buffer.ToArray();
    }

    /// <summary><see cref="ExecBase"/> of a config.</summary>
    public static byte[] ExecBaseOf(Berth.Spec.Spec spec) => Compact(new Berth.Spec.Spec
    {
        OciVersion = spec.OciVersion,
        Process = spec.Process,
        Linux = spec.Linux is { } linux ? new Berth.Spec.Linux { Namespaces = linux.Namespaces, Seccomp = linux.Seccomp } : null,
    }.WriteTo);

    /// <summary><see cref="Resources"/> of a config.</summary>
    public static byte[] ResourcesOf(Berth.Spec.Spec spec) =>
        spec.Linux?.Resources is { } resources ? Compact(resources.WriteTo) : [];

    private static byte[] Compact(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonText.Options(indented: false)))
            write(w);
        return buffer.ToArray();
    }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonText.Options(indented: true)))
        {
            w.WriteStartObject();
            w.WriteString("id", Id);
            w.WriteString("bundle", Bundle);
            w.WriteString("rootfs", Rootfs);
            w.WriteString("ociVersion", OciVersion);
            w.WriteNumber("pid", Pid);
            w.WriteNumber("pidStartTime", PidStartTime);
            w.WriteString("created", Created);
            w.WriteStartObject("annotations");
            foreach (var (k, v) in Annotations)
                w.WriteString(k, v);
            w.WriteEndObject();
            if (SharesMountNamespace)
                w.WriteBoolean("sharesMountNamespace", true);
            if (ImageStore is not null)
                w.WriteString("imageStore", ImageStore);
            if (CgroupsPath.Length > 0)
                w.WriteString("cgroupsPath", CgroupsPath);
            if (FreezerCgroup is not null)
                w.WriteString("freezerCgroup", FreezerCgroup);
            if (Cgroup2 is not null)
                w.WriteString("cgroup2", Cgroup2);
            if (LateHooks is not null)
            {
                w.WritePropertyName("hooks");
                LateHooks.WriteTo(w);
            }
            WriteObject(w, "exec", ExecBase);
            WriteObject(w, "resources", Resources);
            WriteList(w, "createdCgroups", CreatedCgroups);
            WriteList(w, "cgroups", Cgroups);
            w.WriteStartArray("sources");
            foreach (var (path, digest) in Sources)
            {
                w.WriteStartObject();
                w.WriteString("path", path);
                w.WriteString("digest", digest);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteObject(Utf8JsonWriter w, string name, byte[] json)
    {
        if (json.Length == 0)
            return;
        w.WritePropertyName(name);
        w.WriteRawValue(json, skipInputValidation: true);
    }

    private static void WriteList(Utf8JsonWriter w, string name, List<string> items)
    {
        w.WriteStartArray(name);
        foreach (var item in items)
            w.WriteStringValue(item);
        w.WriteEndArray();
    }

    /// <summary>Reads state.json; a damaged file throws one of the exceptions <see cref="IsUnreadable"/> names.</summary>
    /// <remarks>One pass of a <see cref="Utf8JsonReader"/>, not a JsonDocument: every command but create and run reads
    /// this file first, and a JsonDocument rents its buffers from the shared ArrayPool, whose first use measures how
    /// fast the CPU number can be read (~0.15 ms of each such command, perf).</remarks>
    public static ContainerRecord FromJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new FormatException("state.json is not a JSON object");
        string? id = null, bundle = null, rootfs = null, ociVersion = null, imageStore = null, freezerCgroup = null, cgroup2 = null;
        string cgroupsPath = "";
        int? pid = null;
        ulong? pidStartTime = null;
        DateTimeOffset? created = null;
        bool sharesMountNamespace = false;
        Berth.Spec.Hooks? hooks = null;
        byte[] execBase = [], resources = [];
        Dictionary<string, string>? annotations = null;
        List<string>? createdCgroups = null, cgroups = null;
        List<KeyValuePair<string, string>>? sources = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) id = Text(ref reader);
            else if (reader.ValueTextEquals("bundle"u8)) bundle = Text(ref reader);
            else if (reader.ValueTextEquals("rootfs"u8)) rootfs = Text(ref reader);
            else if (reader.ValueTextEquals("ociVersion"u8)) ociVersion = Text(ref reader);
            else if (reader.ValueTextEquals("pid"u8)) pid = Value(ref reader).GetInt32();
            else if (reader.ValueTextEquals("pidStartTime"u8)) pidStartTime = Value(ref reader).GetUInt64();
            else if (reader.ValueTextEquals("created"u8)) created = Value(ref reader).GetDateTimeOffset();
            else if (reader.ValueTextEquals("sharesMountNamespace"u8)) sharesMountNamespace = Value(ref reader).GetBoolean();
            else if (reader.ValueTextEquals("imageStore"u8)) imageStore = Text(ref reader);
            else if (reader.ValueTextEquals("cgroupsPath"u8)) cgroupsPath = Text(ref reader);
            else if (reader.ValueTextEquals("freezerCgroup"u8)) freezerCgroup = Text(ref reader);
            else if (reader.ValueTextEquals("cgroup2"u8)) cgroup2 = Text(ref reader);
            else if (reader.ValueTextEquals("hooks"u8)) hooks = ReadHooks(ref reader);
            else if (reader.ValueTextEquals("exec"u8)) execBase = RawObject(ref reader, json, "exec");
            else if (reader.ValueTextEquals("resources"u8)) resources = RawObject(ref reader, json, "resources");
            else if (reader.ValueTextEquals("annotations"u8))
            {
                annotations = new();
                Expect(ref reader, JsonTokenType.StartObject);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    annotations[name] = Value(ref reader).GetString() ?? "";
                }
                Ended(ref reader, JsonTokenType.EndObject);
            }
            else if (reader.ValueTextEquals("createdCgroups"u8)) createdCgroups = Texts(ref reader);
            else if (reader.ValueTextEquals("cgroups"u8)) cgroups = Texts(ref reader);
            else if (reader.ValueTextEquals("sources"u8))
            {
                sources = new();
                Expect(ref reader, JsonTokenType.StartArray);
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    string? path = null, digest = null;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("path"u8)) path = Text(ref reader);
                        else if (reader.ValueTextEquals("digest"u8)) digest = Text(ref reader);
                        else Value(ref reader).Skip();
                    }
                    Ended(ref reader, JsonTokenType.EndObject);
                    sources.Add(new(Required(path, "sources[].path"), Required(digest, "sources[].digest")));
                }
                Ended(ref reader, JsonTokenType.EndArray);
            }
            else
                Value(ref reader).Skip();
        }
        Ended(ref reader, JsonTokenType.EndObject);
        var record = new ContainerRecord
        {
            Id = Required(id, "id"),
            Bundle = Required(bundle, "bundle"),
            Rootfs = Required(rootfs, "rootfs"),
            OciVersion = Required(ociVersion, "ociVersion"),
            Pid = pid ?? throw new KeyNotFoundException("state.json has no \"pid\""),
            PidStartTime = pidStartTime ?? throw new KeyNotFoundException("state.json has no \"pidStartTime\""),
            Created = created ?? throw new KeyNotFoundException("state.json has no \"created\""),
            SharesMountNamespace = sharesMountNamespace,
            ImageStore = imageStore,
            CgroupsPath = cgroupsPath,
            FreezerCgroup = freezerCgroup,
            Cgroup2 = cgroup2,
            LateHooks = hooks,
            ExecBase = execBase,
            Resources = resources,
            Annotations = annotations ?? throw new KeyNotFoundException("state.json has no \"annotations\""),
            CreatedCgroups = createdCgroups ?? throw new KeyNotFoundException("state.json has no \"createdCgroups\""),
            Cgroups = cgroups ?? throw new KeyNotFoundException("state.json has no \"cgroups\""),
            Sources = sources ?? throw new KeyNotFoundException("state.json has no \"sources\""),
        };
        return record;
    }

    /// <summary>The reader moved onto the value of the member it is on.</summary>
    private static ref Utf8JsonReader Value(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            throw new FormatException("state.json ends in the middle");
        return ref reader;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Value(ref reader).TokenType != type)
            throw new FormatException($"state.json has a {reader.TokenType} where {type} belongs");
    }

    /// <summary>A loop over members or items stopped where its object or array ends, not at something else.</summary>
    private static void Ended(ref Utf8JsonReader reader, JsonTokenType end)
    {
        if (reader.TokenType != end)
            throw new FormatException($"state.json has a {reader.TokenType} where {end} belongs");
    }

    private static string Text(ref Utf8JsonReader reader) =>
        Value(ref reader).GetString() ?? throw new FormatException("a string is null");

    private static List<string> Texts(ref Utf8JsonReader reader)
    {
        var items = new List<string>();
        Expect(ref reader, JsonTokenType.StartArray);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            items.Add(reader.GetString() ?? throw new FormatException("a string is null"));
        return items;
    }

    private static string Required(string? value, string name) =>
        value ?? throw new KeyNotFoundException($"state.json has no \"{name}\"");

    /// <summary>
    /// The hooks later commands need, <see cref="LateHooks"/>, from the copy berth itself wrote: poststart and
    /// poststop, which start and delete run, and startContainer, which the container's process runs but start waits
    /// for (as runc's start returns only after them).
    /// </summary>
    public static Berth.Spec.Hooks? LateHooksOf(Berth.Spec.Spec spec) =>
        spec.Hooks is { Poststart.Count: > 0 } or { Poststop.Count: > 0 } or { StartContainer.Count: > 0 }
            ? new Berth.Spec.Hooks { Poststart = spec.Hooks.Poststart, Poststop = spec.Hooks.Poststop, StartContainer = spec.Hooks.StartContainer }
            : null;

    private static Berth.Spec.Hooks ReadHooks(ref Utf8JsonReader reader)
    {
        var diagnostics = new List<Berth.Spec.SchemaDiagnostic>();
        Value(ref reader);
        var hooks = Berth.Spec.Hooks.Read(ref reader, new Berth.Spec.SchemaReadContext(diagnostics));
        if (hooks is null || diagnostics.Any(d => d.Severity == Berth.Spec.SchemaSeverity.Error))
            throw new FormatException("the recorded hooks are damaged");
        return hooks;
    }

    /// <summary>A member that holds a JSON object, as its bytes (read when a command needs it).</summary>
    private static byte[] RawObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string name)
    {
        if (Value(ref reader).TokenType != JsonTokenType.StartObject)
            throw new FormatException($"\"{name}\" is not an object");
        int start = (int)reader.TokenStartIndex;
        reader.Skip();
        return json[start..(int)reader.BytesConsumed].ToArray();
    }

    /// <summary>What reading a damaged or unfinished state.json throws.</summary>
    public static bool IsUnreadable(Exception e) =>
        e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException;
}
