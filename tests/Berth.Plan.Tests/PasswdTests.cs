
namespace Berth.Plan.Tests;

/// <summary>
/// HOME from the container's passwd file is found by the setup child in C (native/passwd.c). A small program compiled
/// here with that file, and a stand-in for the in-root open, prints the entry the child would add for a file and uid.
/// </summary>
public class PasswdTests
{
    private static readonly Lazy<string> Probe = new(Compile);

    private static string Compile()
    {
        string dir = Directory.CreateTempSubdirectory("berth-passwd").FullName;
        File.WriteAllText(Path.Combine(dir, "probe.c"), """
            #include "berth_internal.h"
            #include <fcntl.h>
            #include <stdio.h>
            #include <stdlib.h>
            /* The child resolves the file inside the container's root; here it is a plain host path. */
            int in_root_open_regular(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }
            int main(int argc, char **argv) {
                const char *entry = NULL;
                if (argc != 4 || passwd_home_entry(argv[1], (uint32_t)strtoul(argv[2], NULL, 10), argv[3], &entry) < 0)
                    return 2;
                printf("%s", entry);
                return 0;
            }
            """);
        string binary = Path.Combine(dir, "probe");
        NativeProbe.Run("gcc", "-Wall", "-Werror", "-I", NativeProbe.NativeDir(), "-o", binary, Path.Combine(dir, "probe.c"), Path.Combine(NativeProbe.NativeDir(), "passwd.c"));
        return binary;
    }

    [Theory]
    [InlineData("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 65534u, "/nonexistent")]
    [InlineData("root:x:0:0:root:/root:/bin/sh\n", 0u, "/root")]
    [InlineData("  \n\nweb:x:33:33::/var/www:/bin/sh\r\nweb2:x:33:33::/srv:/bin/sh\n", 33u, "/var/www")]
    [InlineData("  web:x:33:33::/var/www  \r\n", 33u, "/var/www")]
    [InlineData("short:x:7:7\n", 7u, "")]
    [InlineData("short:x:7\n", 7u, "")]
    [InlineData("bad:x:seven:7::/x:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n", 7u, null)]
    [InlineData("big:x:4294967296:0::/big:/bin/sh\nsigned:x:+5:0::/s:/bin/sh\nempty:x::0::/e:/bin/sh\n", 0u, null)]
    [InlineData("max:x:4294967295:0::/max:/bin/sh\n", 4294967295u, "/max")]
    [InlineData("last:x:9:9::/no-newline", 9u, "/no-newline")]
    [InlineData("", 0u, null)]
    public void The_first_home_of_the_uid_else_the_fallback(string file, uint uid, string? home)
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, file);
            Assert.Equal("HOME=" + (home ?? "/fallback"), NativeProbe.Run(Probe.Value, path, uid.ToString(System.Globalization.CultureInfo.InvariantCulture), "/fallback"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void No_file_gives_the_fallback() =>
        Assert.Equal("HOME=/", NativeProbe.Run(Probe.Value, "/nonexistent/passwd", "0", "/"));

    [Fact]
    public void A_file_larger_than_the_limit_is_read_only_up_to_it()
    {
        // 16 MiB of comment-like filler, then the uid's line: beyond the limit, so the fallback.
        string path = Path.GetTempFileName();
        try
        {
            using (var f = File.OpenWrite(path))
            {
                byte[] filler = System.Text.Encoding.ASCII.GetBytes(new string('#', 1023) + "\n");
                for (int i = 0; i < 16 * 1024; i++)
                    f.Write(filler);
                f.Write("far:x:5:5::/far:/bin/sh\n"u8);
            }
            Assert.Equal("HOME=/fb", NativeProbe.Run(Probe.Value, path, "5", "/fb"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
