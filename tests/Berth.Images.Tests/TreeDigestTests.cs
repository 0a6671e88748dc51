using System.Diagnostics;

namespace Berth.Images.Tests;

/// <summary>The tree digest: stable across copies, changed by what it covers, and equal to an independent reading of
/// its written definition.</summary>
public class TreeDigestTests
{
    /// <summary>The definition in TreeDigest's documentation, written again in Python from the text alone.</summary>
    private const string IndependentImplementation = """
        import hashlib, os, stat, sys
        def records(top):
            def record(path, st, payload):
                kind = {stat.S_IFDIR: b'd', stat.S_IFREG: b'f', stat.S_IFLNK: b'l', stat.S_IFCHR: b'c',
                        stat.S_IFBLK: b'b', stat.S_IFIFO: b'p', stat.S_IFSOCK: b's'}[stat.S_IFMT(st.st_mode)]
                fields = [path, kind, b'%04o' % (st.st_mode & 0o7777), b'%d' % st.st_uid, b'%d' % st.st_gid, payload, b'']
                return b''.join(f + b'\0' for f in fields)
            def walk(directory, prefix):
                for name in sorted(os.listdir(directory)):
                    full = os.path.join(directory, name)
                    path = prefix + b'/' + name if prefix else name
                    st = os.lstat(full)
                    if stat.S_ISDIR(st.st_mode):
                        yield record(path, st, b'')
                        yield from walk(full, path)
                    elif stat.S_ISREG(st.st_mode):
                        yield record(path, st, hashlib.sha256(open(full, 'rb').read()).hexdigest().encode())
                    elif stat.S_ISLNK(st.st_mode):
                        yield record(path, st, os.readlink(full))
                    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                        yield record(path, st, b'%d,%d' % (os.major(st.st_rdev), os.minor(st.st_rdev)))
                    else:
                        yield record(path, st, b'')
            yield record(b'.', os.lstat(top), b'')
            yield from walk(top, b'')
        h = hashlib.sha256(b'berth-tree-v1\0')
        for r in records(os.fsencode(sys.argv[1])):
            h.update(r)
        print('sha256:' + h.hexdigest())
        """;

    private static string MakeTree(TemporaryDirectory temporary, string name = "tree")
    {
        string tree = temporary[name];
        Commands.Succeed("bash", Path.Combine(Commands.RepositoryRoot, "scripts", "make-rootfs.sh"), tree);
        File.WriteAllText(Path.Combine(tree, "etc", "motd"), "hello\n");
        // Names whose byte order differs from an order of whole paths: "a-b" < "a/…" < "a0" by bytes of the name.
        Directory.CreateDirectory(Path.Combine(tree, "a"));
        File.WriteAllText(Path.Combine(tree, "a", "z"), "z");
        File.WriteAllText(Path.Combine(tree, "a-b"), "dash");
        File.WriteAllText(Path.Combine(tree, "a0"), "zero");
        File.WriteAllText(Path.Combine(tree, "B"), "upper before lower");
        return tree;
    }

    [Fact]
    public void Two_copies_have_the_same_digest_and_mtimes_do_not_count()
    {
        using var temporary = Commands.Temporary("tree-copies");
        string tree = MakeTree(temporary);
        var digest = TreeDigest.Compute(tree);
        Commands.Succeed("cp", "-a", tree, temporary["copy"]);
        Assert.Equal(digest, TreeDigest.Compute(temporary["copy"]));
        Assert.Equal(digest, TreeDigest.Compute(tree));
        Commands.Succeed("touch", "-d", "2001-01-01", Path.Combine(tree, "etc", "motd"), Path.Combine(tree, "etc"));
        Assert.Equal(digest, TreeDigest.Compute(tree));
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest.ToString());
    }

    [SkippableTheory]
    [InlineData("content")]
    [InlineData("mode")]
    [InlineData("setuid")]
    [InlineData("owner")]
    [InlineData("group")]
    [InlineData("symlink target")]
    [InlineData("added file")]
    [InlineData("removed file")]
    [InlineData("renamed file")]
    [InlineData("empty directory")]
    [InlineData("file becomes symlink")]
    public void A_change_of_what_it_covers_changes_the_digest(string change)
    {
        if (change is "owner" or "group")
            Skip.IfNot(Commands.IsRoot, "changing an owner needs root");
        using var temporary = Commands.Temporary("tree-change");
        string tree = MakeTree(temporary);
        var before = TreeDigest.Compute(tree);
        string motd = Path.Combine(tree, "etc", "motd");
        switch (change)
        {
            case "content": File.WriteAllText(motd, "hellp\n"); break;
            case "mode": Commands.Succeed("chmod", "600", motd); break;
            case "setuid": Commands.Succeed("chmod", "u+s", Path.Combine(tree, "bin", "busybox")); break;
            case "owner": Commands.Succeed("chown", "1000", motd); break;
            case "group": Commands.Succeed("chgrp", "1000", motd); break;
            case "symlink target": File.Delete(Path.Combine(tree, "bin", "ls")); File.CreateSymbolicLink(Path.Combine(tree, "bin", "ls"), "/bin/busybox"); break;
            case "added file": File.WriteAllText(Path.Combine(tree, "etc", "new"), ""); break;
            case "removed file": File.Delete(motd); break;
            case "renamed file": File.Move(motd, Path.Combine(tree, "etc", "motd2")); break;
            case "empty directory": Directory.CreateDirectory(Path.Combine(tree, "empty")); break;
            case "file becomes symlink": File.Delete(motd); File.CreateSymbolicLink(motd, "hello\n"); break;
        }
        Assert.NotEqual(before, TreeDigest.Compute(tree));
    }

    [SkippableFact]
    public void The_digest_is_the_written_definition_as_an_independent_implementation_reads_it()
    {
        Skip.If(Commands.Missing("python3") is not null, Commands.Missing("python3"));
        using var temporary = Commands.Temporary("tree-python");
        string tree = MakeTree(temporary);
        File.CreateSymbolicLink(Path.Combine(tree, "dangling"), "../nowhere");
        Commands.Succeed("mkfifo", Path.Combine(tree, "run", "fifo"));
        if (Commands.IsRoot)
        {
            Commands.Succeed("mknod", "-m", "666", Path.Combine(tree, "dev", "null"), "c", "1", "3");
            Commands.Succeed("chown", "12:34", Path.Combine(tree, "etc", "motd"));
            Commands.Succeed("chmod", "2751", Path.Combine(tree, "etc"));
        }
        string script = temporary["tree.py"];
        File.WriteAllText(script, IndependentImplementation);
        string expected = Commands.Succeed("python3", script, tree).Trim();
        Assert.Equal(expected, TreeDigest.Compute(tree).ToString());
    }

    [Fact]
    public void A_busybox_rootfs_takes_well_under_a_second()
    {
        using var temporary = Commands.Temporary("tree-speed");
        string tree = MakeTree(temporary);
        TreeDigest.Compute(tree);
        var watch = Stopwatch.StartNew();
        TreeDigest.Compute(tree);
        watch.Stop();
        Assert.True(watch.ElapsedMilliseconds < 500, $"the tree digest of a busybox rootfs took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_directory_that_cannot_be_opened_is_an_error_naming_it()
    {
        var error = Assert.Throws<ImageException>(() => TreeDigest.Compute("/nonexistent/berth-tree"));
        Assert.Contains("/nonexistent/berth-tree", error.Message);
    }
}
