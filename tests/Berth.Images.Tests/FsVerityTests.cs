namespace Berth.Images.Tests;

/// <summary>fs-verity as far as this machine allows: the probe answers with a reason; enabling and measuring run
/// only where the kernel and the file system have it.</summary>
public class FsVerityTests
{
    [Fact]
    public void The_probe_answers_and_agrees_with_the_kernel_configuration()
    {
        using var temporary = Commands.Temporary("verity-probe");
        bool supported = FsVerity.Supported(temporary.Path, out string reason);
        if (FsVerity.KernelBuiltWith() == false)
        {
            Assert.False(supported);
            Assert.Contains("built without fs-verity", reason);
        }
        Assert.Equal(supported, reason.Length == 0);
        Assert.Empty(Directory.GetFileSystemEntries(temporary.Path)); // The probe file is gone.
    }

    [SkippableFact]
    public void Enabled_files_report_a_measured_digest_and_refuse_writes()
    {
        using var temporary = Commands.Temporary("verity");
        Skip.IfNot(FsVerity.Supported(temporary.Path, out string reason), reason);
        string file = temporary["file"];
        File.WriteAllText(file, "measured\n");
        Assert.Null(FsVerity.Measure(file));
        FsVerity.Enable(file);
        Assert.Matches("^sha256:[0-9a-f]{64}$", FsVerity.Measure(file));
        Assert.ThrowsAny<UnauthorizedAccessException>(() => File.AppendAllText(file, "more"));
    }

    [Fact]
    public void Measuring_a_file_without_verity_gives_null()
    {
        using var temporary = Commands.Temporary("verity-none");
        File.WriteAllText(temporary["file"], "plain\n");
        Assert.Null(FsVerity.Measure(temporary["file"]));
    }
}
