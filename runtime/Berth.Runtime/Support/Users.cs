namespace Berth.Runtime;

/// <summary>User names from /etc/passwd, read as runc reads it (no NSS): `list` shows who owns each container.</summary>
public sealed class Users
{
    private readonly Dictionary<long, string> _names = new();

    private Users()
    {
    }

    /// <summary>The host's /etc/passwd (none when it cannot be read: every uid is then shown as #UID).</summary>
    public static Users FromPasswd(string path = "/etc/passwd") => Parse(SmallFiles.ReadRegular(path, out _) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : "");

    /// <summary>name:password:uid:gid:…, one a line; the first line that names a uid wins.</summary>
    public static Users Parse(string passwd)
    {
        var users = new Users();
        foreach (string line in passwd.Split('\n'))
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 3 && fields[0].Length > 0 && long.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long uid))
                users._names.TryAdd(uid, fields[0]);
        }
        return users;
    }

    /// <summary>The user's name, or "#UID" when no entry names it (as runc shows it).</summary>
    public string NameOf(long uid) => _names.TryGetValue(uid, out string? name) ? name : $"#{uid}";
}
