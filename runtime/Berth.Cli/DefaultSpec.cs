using Berth.Runtime;

namespace Berth.Cli;

/// <summary>`berth spec`: a starting config.json for a bundle, as `runc spec` writes one (rootful or rootless).</summary>
public static class DefaultSpec
{
    public static string Text(bool rootless)
    {
        // The namespaces of runc 1.1.5's spec: no cgroup namespace (scripts add one to it, and a second is an error).
        string namespaces = rootless
            ? """[{ "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "user" }]"""
            : """[{ "type": "pid" }, { "type": "network" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }]""";
        string uid = Environment.GetEnvironmentVariable("BERTH_SPEC_UID") ?? CurrentId("Uid");
        string gid = Environment.GetEnvironmentVariable("BERTH_SPEC_GID") ?? CurrentId("Gid");
        string idMaps = rootless
            ? "    \"uidMappings\": [{ \"containerID\": 0, \"hostID\": " + uid + ", \"size\": 1 }],\n" +
              "    \"gidMappings\": [{ \"containerID\": 0, \"hostID\": " + gid + ", \"size\": 1 }],\n"
            : "";
        string resources = rootless ? "" : """
                "resources": { "devices": [{ "allow": false, "access": "rwm" }] },
            """;
        string devpts = rootless
            ? """{ "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] }"""
            : """{ "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] }""";
        string sys = rootless
            ? """{ "destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"] }"""
            : """{ "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"] }""";
        string cgroup = rootless ? "" : """
            ,
                { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"] }
            """;
        return $$"""
            {
              "ociVersion": "1.3.0",
              "process": {
                "terminal": true,
                "user": { "uid": 0, "gid": 0 },
                "args": ["sh"],
                "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                "cwd": "/",
                "capabilities": {
                  "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                  "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                  "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                },
                "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }],
                "noNewPrivileges": true
              },
              "root": { "path": "rootfs", "readonly": true },
              "hostname": "berth",
              "mounts": [
                { "destination": "/proc", "type": "proc", "source": "proc" },
                { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
                {{devpts}},
                { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
                { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"] },
                {{sys}}{{cgroup}}
              ],
              "linux": {
            {{idMaps}}{{resources}}    "namespaces": {{namespaces}},
                "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
                "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
              }
            }
            """;
    }

    private static string CurrentId(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return line[(field.Length + 1)..].Trim().Split('\t', ' ')[0];
        return "0";
    }

    public static void Write(string bundle, bool rootless)
    {
        string path = Path.Combine(bundle, "config.json");
        if (File.Exists(path))
            throw new BerthException($"spec: {path} exists already; remove it first");
        Directory.CreateDirectory(bundle);
        File.WriteAllText(path, Text(rootless) + "\n");
    }
}
