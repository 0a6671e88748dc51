using System.Globalization;
using Berth.Spec;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Cgroups;

/// <summary>What the three layouts share: compiling through <see cref="ResourceCompiler"/> and writing the files.</summary>
public abstract class CgroupDriver(CgroupLayout layout) : ICgroupDriver
{
    public CgroupLayout Layout { get; } = layout;

    public abstract string Name { get; }

    public abstract CgroupVersion Place(string? v1, string? v2, string field);

    /// <summary>Where device rules go: v1 devices.allow/deny, or an eBPF program on the cgroup2 directory.</summary>
    protected abstract CgroupVersion PlaceDevices();

    public CgroupPlan Compile(LinuxResources? resources, bool created, List<string> warnings)
    {
        var writes = resources is null ? [] : ResourceCompiler.Compile(resources, this, warnings);
        IReadOnlyList<DeviceRule>? program = null;
        if (created || resources?.Devices is { Count: > 0 })
        {
            var rules = DeviceRules.Effective(resources?.Devices);
            if (PlaceDevices() == CgroupVersion.V1)
                writes.InsertRange(0, DeviceRules.ToV1Writes(rules));
            else
                program = rules;
        }
        return new CgroupPlan(writes, program);
    }

    public string DirectoryOf(CgroupVersion version, string controller, string cgroupsPath)
    {
        string relative = cgroupsPath.TrimStart('/');
        if (version == CgroupVersion.V2)
            return Path.Combine(Layout.V2Mount ?? throw new BerthException("cgroup: this host has no cgroup2 mount"), relative);
        return Path.Combine(Layout.V1Mounts.TryGetValue(controller, out string? mount) ? mount
            : throw new BerthException($"cgroup: the {controller} controller is not mounted on this host"), relative);
    }

    public void Apply(CgroupPlan plan, string cgroupsPath)
    {
        // Plain loops: LINQ's Where(…).Select(…) is a generic virtual call, which Native AOT resolves through its
        // type loader at first use (~60 µs of every create, measured with perf).
        var v2Controllers = new List<string>();
        string? v2Field = null;
        foreach (var w in plan.Writes)
        {
            if (w.Version != CgroupVersion.V2 || w.Controller.Length == 0)
                continue;
            v2Field ??= w.Field;
            if (!v2Controllers.Contains(w.Controller))
                v2Controllers.Add(w.Controller);
        }
        if (v2Field is not null)
            EnableV2Controllers(cgroupsPath, v2Controllers, v2Field);
        var writes = OrderMemoryLimits(plan.Writes, cgroupsPath);
        CgroupWrite? deferred = null;
        using var open = new OpenCgroupFile();
        for (int i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            bool mayWait = write.RetryAfterNextWhenInvalid && i + 1 < writes.Count;
            if (!Write(write, DirectoryOf(write.Version, write.Controller, cgroupsPath), mayWait, open))
            {
                deferred = write;
                continue;
            }
            if (deferred is not null)
            {
                Write(deferred, DirectoryOf(deferred.Version, deferred.Controller, cgroupsPath), false, open);
                deferred = null;
            }
        }
        if (plan.DeviceProgramRules is { } rules)
        {
            string dir = DirectoryOf(CgroupVersion.V2, "", cgroupsPath);
            int fd = Bpf.LoadDeviceProgram(DeviceProgram.Compile(rules), DeviceRules.Field);
            try
            {
                Bpf.AttachDeviceProgram(dir, fd, DeviceRules.Field);
            }
            finally
            {
                Sys.Close(fd);
            }
        }
    }

    /// <summary>
    /// v2 controllers appear in a cgroup only when every ancestor lists them in cgroup.subtree_control: enable what
    /// the writes need from the root of the hierarchy down to the container's parent.
    /// </summary>
    private void EnableV2Controllers(string cgroupsPath, List<string> controllers, string field)
    {
        string dir = Layout.V2Mount!;
        foreach (string part in cgroupsPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string control = Path.Combine(dir, "cgroup.subtree_control");
            var enabled = ReadTokens(control);
            var available = ReadTokens(Path.Combine(dir, "cgroup.controllers"));
            foreach (string c in controllers)
            {
                if (enabled.Contains(c))
                    continue;
                if (!available.Contains(c))
                    throw new BerthException($"{field}: the {c} controller is not available in {dir} (cgroup.controllers)");
                Sys.WriteKernelFile(control, "+" + c, field);
            }
            dir = Path.Combine(dir, part);
        }
    }

    private static HashSet<string> ReadTokens(string file) =>
        Sys.ReadSmall(file, out _) is { } text ? text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(t => t.TrimStart('+')).ToHashSet() : [];

    /// <summary>
    /// v1 keeps memory.limit_in_bytes ≤ memory.memsw.limit_in_bytes at every moment: when the new limit is above the
    /// memsw limit in place, the memsw limit must be raised first.
    /// </summary>
    private IReadOnlyList<CgroupWrite> OrderMemoryLimits(IReadOnlyList<CgroupWrite> writes, string cgroupsPath)
    {
        int limit = Index(writes, "memory.limit_in_bytes"), memsw = Index(writes, "memory.memsw.limit_in_bytes");
        if (limit < 0 || memsw < 0 || memsw < limit)
            return writes;
        string current = Path.Combine(DirectoryOf(CgroupVersion.V1, "memory", cgroupsPath), "memory.memsw.limit_in_bytes");
        static long Bytes(string s) => long.TryParse(s.Trim(), out long v) && v >= 0 ? v : long.MaxValue;
        if (Sys.ReadSmall(current, out _) is not { } currentText || Bytes(writes[limit].Value) <= Bytes(currentText))
            return writes;
        var reordered = writes.ToList();
        (reordered[limit], reordered[memsw]) = (reordered[memsw], reordered[limit]);
        return reordered;
    }

    private static int Index(IReadOnlyList<CgroupWrite> writes, string file)
    {
        for (int i = 0; i < writes.Count; i++)
            if (writes[i].Version == CgroupVersion.V1 && writes[i].File == file)
                return i;
        return -1;
    }

    /// <summary>
    /// The file the last write went to, kept open for the next: each write to a cgroup file is taken on its own, so
    /// a run of rules to one file (v1 devices.allow: one rule a write, ten or more a container) needs one open.
    /// </summary>
    private sealed class OpenCgroupFile : IDisposable
    {
        private string? _path;
        private int _fd = -1;

        public int Open(string path)
        {
            if (_fd >= 0 && path == _path)
                return _fd;
            Dispose();
            int fd = Sys.Open(path, O_WRONLY | O_TRUNC);
            if (fd >= 0)
                (_path, _fd) = (path, fd);
            return fd;
        }

        public void Dispose()
        {
            if (_fd >= 0)
                Sys.Close(_fd);
            (_path, _fd) = (null, -1);
        }
    }

    /// <summary>Writes one value; false (nothing written) only when <paramref name="mayWait"/> and the kernel said
    /// EINVAL, for the caller to try again after the next write.</summary>
    private static bool Write(CgroupWrite write, string dir, bool mayWait, OpenCgroupFile open)
    {
        string file = write.File, value = write.Value;
        string path = Path.Combine(dir, file);
        // Open first and ask questions on ENOENT: the common case costs one open, not a stat per file.
        int fd = open.Open(path);
        int openError = fd < 0 ? Sys.Errno : 0;
        if (fd < 0 && openError == ENOENT && write.Fallback is { } fallback)
        {
            (file, value, path) = (fallback.File, fallback.Value, Path.Combine(dir, fallback.File));
            fd = open.Open(path);
            openError = fd < 0 ? Sys.Errno : 0;
        }
        if (fd < 0 && openError == ENOENT && write.IfPresent)
            return true;
        if (fd < 0 && openError == ENOENT)
        {
            string controller = write.Controller.Length > 0 ? write.Controller : "core cgroup";
            string names = write.Fallback is { } f ? $"{write.File} nor {f.File}" : write.File;
            throw new BerthException(write.Fallback is null
                ? $"{write.Field}: this host's kernel has no {names} in the {controller} controller ({dir})"
                : $"{write.Field}: this host's kernel has neither {names} in the {controller} controller ({dir})");
        }
        if (fd < 0)
            throw BerthException.Errno($"{write.Field}: open {path}", openError);
        if (write.UsageFile is { } usageFile && long.TryParse(value, out long newLimit))
        {
            string? usageText = Sys.ReadSmall(Path.Combine(dir, usageFile), out _);
            if (usageText is not null && long.TryParse(usageText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long usage) && usage > newLimit)
                throw new BerthException($"{write.Field}: the cgroup already uses {usage} bytes, more than the new limit {newLimit} (memory.checkBeforeUpdate)");
        }
        int err = Sys.WriteAll(fd, System.Text.Encoding.UTF8.GetBytes(value));
        if (err == EINVAL && mayWait)
            return false;
        if (err != 0)
            throw BerthException.Errno($"{write.Field}: write \"{value}\" to {path}", err);
        return true;
    }
}
