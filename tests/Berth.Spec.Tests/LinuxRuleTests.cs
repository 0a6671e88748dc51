using System.Text.Json.Nodes;
using Xunit;
using static Berth.Spec.Tests.RuleAssert;

namespace Berth.Spec.Tests;

/// <summary>Rules of config-linux.md: namespaces and what needs them, id mappings, devices.</summary>
public class LinuxRuleTests
{
    private static JsonObject Map(long containerId, long hostId, long size) =>
        new() { ["containerID"] = containerId, ["hostID"] = hostId, ["size"] = size };

    private static JsonObject WithUserNamespace(JsonArray uid, JsonArray gid) => Doc(d =>
    {
        d.Namespaces().Add(new JsonObject { ["type"] = "user" });
        d.Linux()["uidMappings"] = uid;
        d.Linux()["gidMappings"] = gid;
    });

    [Fact]
    public void Namespace_types_are_unique() =>
        Exactly(Doc(d =>
            {
                d.Namespaces().Add(new JsonObject { ["type"] = "pid", ["path"] = "/proc/1/ns/pid" });
                d.Namespaces().Add(new JsonObject { ["type"] = "uts" });
            }),
            "error /linux/namespaces/3/type x-unique: duplicate namespace type \"pid\" (first at /linux/namespaces/0)",
            "error /linux/namespaces/4/type x-unique: duplicate namespace type \"uts\" (first at /linux/namespaces/2)");

    [Fact]
    public void Namespace_path_is_absolute() =>
        Exactly(Doc(d => d.Namespaces().Add(new JsonObject { ["type"] = "network", ["path"] = "run/netns/a" })),
            "error /linux/namespaces/3/path x-absolute-path: network namespace path \"run/netns/a\" must be an absolute path");

    [Fact]
    public void New_user_namespace_without_mappings_maps_the_caller_as_crun_does()
    {
        Exactly(Doc(d => d.Namespaces().Add(new JsonObject { ["type"] = "user" })),
            "warning /linux x-defaulted: a new user namespace without uidMappings: the calling user's uid becomes root in it",
            "warning /linux x-defaulted: a new user namespace without gidMappings: the calling user's gid becomes root in it");
        Exactly(Doc(d =>
            {
                d.Namespaces().Add(new JsonObject { ["type"] = "user" });
                d.Linux()["uidMappings"] = new JsonArray(Map(0, 1000, 1));
            }),
            "warning /linux x-defaulted: a new user namespace without gidMappings: the calling user's gid becomes root in it");
        Exactly(WithUserNamespace(new JsonArray(Map(0, 1000, 1)), new JsonArray(Map(0, 1000, 1))));
    }

    [Fact]
    public void Joined_user_namespace_ignores_mappings()
    {
        Exactly(Doc(d => d.Namespaces().Add(new JsonObject { ["type"] = "user", ["path"] = "/proc/7/ns/user" })));
        Exactly(Doc(d =>
            {
                d.Namespaces().Add(new JsonObject { ["type"] = "user", ["path"] = "/proc/7/ns/user" });
                d.Linux()["gidMappings"] = new JsonArray(Map(0, 1000, 1));
            }),
            "warning /linux/gidMappings x-ignored: id mappings are ignored when the user namespace is joined by path: it has its mappings already");
    }

    [Fact]
    public void Mappings_without_user_namespace_are_an_error() =>
        Exactly(Doc(d => d.Linux()["uidMappings"] = new JsonArray(Map(0, 1000, 1))),
            "error /linux/uidMappings x-requires: id mappings need a user namespace: add {\"type\": \"user\"} to linux.namespaces");

    [Fact]
    public void Mapping_size_must_be_positive() =>
        Exactly(WithUserNamespace(new JsonArray(Map(0, 1000, 0)), new JsonArray(Map(0, 1000, 1))),
            "error /linux/uidMappings/0/size x-id-mapping: uid mapping size is 0: a range maps at least one id");

    [Fact]
    public void Mapping_must_not_pass_the_last_id()
    {
        Exactly(WithUserNamespace(new JsonArray(Map(4294967290, 0, 6)), new JsonArray(Map(0, 4294967295, 1))),
            "error /linux/uidMappings/0 x-id-mapping: uid range containerID 4294967290 + size 6 = 4294967296 goes past 4294967295 (2^32 - 1, which is not an id)",
            "error /linux/gidMappings/0 x-id-mapping: gid range hostID 4294967295 + size 1 = 4294967296 goes past 4294967295 (2^32 - 1, which is not an id)");
        // The largest range the kernel takes ends at 4294967294.
        Exactly(WithUserNamespace(new JsonArray(Map(0, 0, 4294967295)), new JsonArray(Map(4294967294, 4294967294, 1))));
    }

    [Fact]
    public void Mapping_ranges_must_not_overlap_on_either_side() =>
        Exactly(WithUserNamespace(
                new JsonArray(Map(0, 1000, 10), Map(10, 1005, 5), Map(5, 5000, 1)),
                new JsonArray(Map(0, 1000, 10), Map(10, 1010, 10))),
            "error /linux/uidMappings/1 x-id-mapping: uid range of host ids 1005–1009 overlaps /linux/uidMappings/0 (1000–1009)",
            "error /linux/uidMappings/2 x-id-mapping: uid range of container ids 5–5 overlaps /linux/uidMappings/0 (0–9)");

    [Fact]
    public void At_most_340_ranges()
    {
        var uid = new JsonArray();
        for (int i = 0; i < 341; i++) uid.Add(Map(i, 1000 + i, 1));
        Exactly(WithUserNamespace(uid, new JsonArray(Map(0, 1000, 1))),
            "error /linux/uidMappings x-id-mapping: 341 uid mapping ranges: the kernel accepts at most 340");
    }

    [Fact]
    public void Hostname_and_domainname_need_a_uts_namespace()
    {
        Exactly(Doc(d =>
            {
                d.Namespaces().RemoveAt(2);
                d["domainname"] = "example.org";
            }),
            "error /hostname x-requires: setting hostname needs a UTS namespace: add {\"type\": \"uts\"} to linux.namespaces",
            "error /domainname x-requires: setting domainname needs a UTS namespace: add {\"type\": \"uts\"} to linux.namespaces");
        Exactly(Doc(d => d.Remove("linux")),
            "error /hostname x-requires: setting hostname needs a UTS namespace: add {\"type\": \"uts\"} to linux.namespaces");
        // An empty hostname sets nothing; a joined UTS namespace is a UTS namespace.
        Exactly(Doc(d => { d.Namespaces().RemoveAt(2); d["hostname"] = ""; }));
        Exactly(Doc(d => d.Namespaces()[2] = new JsonObject { ["type"] = "uts", ["path"] = "/proc/9/ns/uts" }));
    }

    [Fact]
    public void Time_offsets_need_a_new_time_namespace_and_known_clocks()
    {
        Exactly(Doc(d => d.Linux()["timeOffsets"] = new JsonObject
        {
            ["monotonic"] = new JsonObject { ["secs"] = 10, ["nanosecs"] = 1000000000 },
            ["realtime"] = new JsonObject { ["secs"] = 1 },
        }),
            "error /linux/timeOffsets x-requires: timeOffsets need a new time namespace: add {\"type\": \"time\"} (without path) to linux.namespaces",
            "error /linux/timeOffsets/monotonic/nanosecs x-range: nanosecs 1000000000 must be less than 1000000000",
            "error /linux/timeOffsets/realtime x-clock: \"realtime\" is not a clock a time namespace can offset: use \"monotonic\" or \"boottime\"");
        Exactly(Doc(d =>
        {
            d.Namespaces().Add(new JsonObject { ["type"] = "time" });
            d.Linux()["timeOffsets"] = new JsonObject { ["boottime"] = new JsonObject { ["secs"] = -5, ["nanosecs"] = 999999999 } };
        }));
    }

    [Fact]
    public void Net_devices_need_a_network_namespace_and_valid_names()
    {
        Exactly(Doc(d => d.Linux()["netDevices"] = new JsonObject
        {
            ["eth0"] = new JsonObject { ["name"] = "ctr0" },
            ["eth1"] = new JsonObject { ["name"] = "a/b" },
            ["a-very-long-interface"] = new JsonObject(),
            ["eth2"] = new JsonObject { ["name"] = "ctr0" },
        }),
            "error /linux/netDevices x-requires: netDevices need a network namespace to move the devices into: add {\"type\": \"network\"} to linux.namespaces",
            "error /linux/netDevices/eth1/name x-interface-name: network device name \"a/b\" is not a valid interface name (1 to 15 bytes, not \".\" or \"..\", no '/', ':' or white space)",
            "error /linux/netDevices/a-very-long-interface x-interface-name: network device \"a-very-long-interface\" is not a valid interface name (1 to 15 bytes, not \".\" or \"..\", no '/', ':' or white space)",
            "error /linux/netDevices/eth2 x-unique: devices \"eth0\" and \"eth2\" would both be named \"ctr0\" in the container");
        Exactly(Doc(d =>
        {
            d.Namespaces().Add(new JsonObject { ["type"] = "network" });
            d.Linux()["netDevices"] = new JsonObject { ["eth0"] = new JsonObject(), ["eth1"] = new JsonObject { ["name"] = "in1" } };
        }));
    }

    [Fact]
    public void Device_paths_are_absolute_and_unique() =>
        Exactly(Doc(d => d.Linux()["devices"] = new JsonArray(
                new JsonObject { ["path"] = "/dev/fuse", ["type"] = "c", ["major"] = 10, ["minor"] = 229 },
                new JsonObject { ["path"] = "dev/sda", ["type"] = "b", ["major"] = 8, ["minor"] = 0 },
                new JsonObject { ["path"] = "/dev/fuse", ["type"] = "c", ["major"] = 10, ["minor"] = 230 })),
            "error /linux/devices/1/path x-absolute-path: device path \"dev/sda\" must be an absolute path",
            "error /linux/devices/2/path x-unique: duplicate device path \"/dev/fuse\" (first at /linux/devices/0)");

    [Fact]
    public void Device_major_minor_required_unless_fifo() =>
        Exactly(Doc(d => d.Linux()["devices"] = new JsonArray(
                new JsonObject { ["path"] = "/dev/fifo", ["type"] = "p" },
                new JsonObject { ["path"] = "/dev/x", ["type"] = "c", ["minor"] = 1 },
                new JsonObject { ["path"] = "/dev/y", ["type"] = "u" })),
            "error /linux/devices/1 x-required-when: missing member \"major\": required for a device of type \"c\" (only \"p\" has none)",
            "error /linux/devices/2 x-required-when: missing member \"major\": required for a device of type \"u\" (only \"p\" has none)",
            "error /linux/devices/2 x-required-when: missing member \"minor\": required for a device of type \"u\" (only \"p\" has none)");

    [Fact]
    public void Same_device_numbers_twice_is_a_warning() =>
        Exactly(Doc(d => d.Linux()["devices"] = new JsonArray(
                new JsonObject { ["path"] = "/dev/null", ["type"] = "c", ["major"] = 1, ["minor"] = 3 },
                new JsonObject { ["path"] = "/dev/null2", ["type"] = "u", ["major"] = 1, ["minor"] = 3 },
                new JsonObject { ["path"] = "/dev/blk", ["type"] = "b", ["major"] = 1, ["minor"] = 3 })),
            "warning /linux/devices/1 x-unique: device 1:3 of type \"u\" is already at /linux/devices/0");
}
