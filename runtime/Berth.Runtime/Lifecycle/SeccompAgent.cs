using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Berth.Runtime.Exec;
using Berth.Runtime.Plan;
using Berth.Runtime.State;

namespace Berth.Runtime.Lifecycle;

/// <summary>
/// linux.seccomp.listenerPath: the listener of a filter with SCMP_ACT_NOTIFY rules goes to the seccomp agent at that
/// unix socket, with the container process's state (runtime-spec "ContainerProcessState": ociVersion, fds naming the
/// descriptors passed, pid, metadata, the container's state) as the message and the listener over SCM_RIGHTS.
/// </summary>
public static class SeccompAgent
{
    public static void Send(SeccompOp op, ContainerRecord record, string status, int pid, int listener)
    {
        string path = op.ListenerPath!;
        string message = Message(op, record, status, pid);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            int rc = NativeMethods.SendFd((int)socket.Handle, listener, message);
            if (rc < 0)
                throw BerthException.Errno($"send the seccomp listener to the agent at {path} (linux.seccomp.listenerPath)", -rc);
        }
        catch (SocketException e)
        {
            throw new BerthException($"failed to connect with seccomp agent specified in the seccomp profile: {path} (linux.seccomp.listenerPath): {e.Message}");
        }
    }

    private static string Message(SeccompOp op, ContainerRecord record, string status, int pid)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonText.Options()))
        {
            w.WriteStartObject();
            w.WriteString("ociVersion", record.OciVersion);
            w.WriteStartArray("fds");
            w.WriteStringValue("seccompFd");
            w.WriteEndArray();
            w.WriteNumber("pid", pid);
            w.WriteString("metadata", op.ListenerMetadata ?? "");
            w.WritePropertyName("state");
            w.WriteRawValue(record.OciState(status, pid, forCli: false), skipInputValidation: true);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
