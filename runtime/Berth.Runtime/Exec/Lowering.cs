using Berth.Runtime.Plan;
using static Tmds.Linux.LibC;

namespace Berth.Runtime.Exec;

/// <summary>
/// The one place where typed operations become struct berth_op (native/berth_exec.h): which register holds what, and
/// the flag bits of path operations. Strings and arrays go into the arena, which lives until the child is cloned.
/// </summary>
internal static unsafe class Lowering
{
    public static NativeOp Lower(Operation op, OpArena arena, List<int> joinFds)
    {
        var n = new NativeOp { Kind = (int)op.Kind };
        switch (op)
        {
            case JoinCgroupOp o: n.S1 = arena.String(o.TasksFile); break;
            case SetnsOp o:
            {
                // Opened here rather than in the child so a bad path fails before anything starts.
                int fd = Sys.Open(o.Path, 0);
                if (fd < 0)
                    throw BerthException.Errno($"open namespace {o.Path} ({o.Field})", Sys.Errno);
                joinFds.Add(fd);
                n.A = fd;
                n.B = o.CloneFlag;
                n.S1 = arena.String(o.Path);
                break;
            }
            case PivotRootOp o: n.A = o.OldRootPropagation; break;
            case ForkOp or NoNewPrivsOp or SetsidOp or ReportReadyOp or SyncOp or WaitParentOp or EndSetupOp: break;
            case UnshareOp o: n.A = o.CloneFlags; break;
            case OpenFifoOp o: n.S1 = arena.String(o.HostPath); n.A = Linux.O_RDWR; n.Flags = o.Slot; break;
            case NewKeyringOp o: n.S1 = arena.String(o.Name); break;
            case HostMountOp o: n.S1 = arena.String(o.Source); n.S2 = arena.String(o.Target); n.S3 = arena.String(o.Type); n.A = o.Flags; break;
            case OpenRootOp o: n.S1 = arena.String(o.HostPath); break;
            case AttachLayersOp o:
                n.A = StackLayers(o, arena);
                joinFds.Add((int)n.A);
                n.S1 = arena.String(o.MountPoint);
                break;
            case MoveRootOp o: n.S1 = arena.String(o.HostPath); break;
            case WriteProcOp o:
                n.S1 = arena.String(o.ProcPath);
                n.S2 = arena.String(o.Value);
                n.A = System.Text.Encoding.UTF8.GetByteCount(o.Value);
                break;
            case MkdirAllOp o: n.S1 = arena.String(o.Path.Value); n.A = o.Mode; n.Flags = o.NoSymlinks ? PathFlags.NoSymlinks : 0; break;
            case CreateFileOp o: n.S1 = arena.String(o.Path.Value); n.A = o.Mode; break;
            case MountOp o:
                n.S1 = arena.String(o.Source);
                n.S2 = arena.String(o.Target.Value);
                n.S3 = arena.String(o.Type);
                n.S4 = arena.String(o.Data);
                n.A = o.Flags;
                n.D = o.Propagation;
                n.Flags = PathFlags.InRoot | (o.RealDirectory ? PathFlags.NoSymlinks | PathFlags.Directory : 0);
                break;
            case BindOp o:
                n.S1 = arena.String(o.Source);
                n.S2 = arena.String(o.Target.Value);
                n.A = -1;
                if (o.Source is not null)
                {
                    // The tree is copied here, on the host and before clone, with its attributes: a user namespace may
                    // not reach a source below a 0700 directory (runc opens sources first too), and the child only
                    // attaches it. Where berth may not (rootless) or the kernel cannot, the child binds the path.
                    int tree = NativeMethods.BindSource(o.Source, o.Recursive ? 1 : 0, (ulong)o.SetAttributes, (ulong)o.ClearAttributes,
                        (ulong)o.RecursiveSetAttributes, (ulong)o.RecursiveClearAttributes);
                    if (tree >= 0)
                    {
                        joinFds.Add(tree);
                        n.A = tree;
                    }
                    else if (tree != -ENOSYS && tree != -EPERM)
                        throw BerthException.Errno($"{o.What} ({o.Field})", -tree);
                }
                n.B = o.SetAttributes;
                n.C = o.ClearAttributes;
                n.D = o.Propagation;
                n.Flags = (o.SourceSlot is int slot ? PathFlags.SourceSlot | slot : 0) | (o.NoSymlinks ? PathFlags.NoSymlinks : 0)
                    | (o.Recursive ? PathFlags.BindRecursive : 0) | (o.InConfigOrder ? PathFlags.BindInOrder : 0);
                if (o.RecursiveSetAttributes != 0 || o.RecursiveClearAttributes != 0)
                {
                    var recursive = (long*)arena.Allocate(2 * sizeof(long));
                    recursive[0] = o.RecursiveSetAttributes;
                    recursive[1] = o.RecursiveClearAttributes;
                    n.P = recursive;
                }
                break;
            case MknodOp o:
                n.S1 = arena.String(o.Path.Value);
                n.A = o.TypeAndMode;
                n.B = o.Device;
                n.C = ((long)o.Uid << 32) | o.Gid;
                n.Flags = PathFlags.ExistingIsFine;
                break;
            case SymlinkOp o: n.S1 = arena.String(o.Target); n.S2 = arena.String(o.Link.Value); break;
            case MaskPathOp o: n.S1 = arena.String(o.Path.Value); n.S2 = arena.String(o.TmpfsData); break;
            case ReadonlyPathOp o:
                n.S1 = arena.String(o.Path?.Value ?? "/");
                n.Flags = o.Path is null ? PathFlags.Root : 0;
                break;
            case ChdirOp o: n.S1 = arena.String(o.Path.Value); break;
            case OpenDeviceOp o: n.S1 = arena.String(o.Path.Value); n.A = o.OpenFlags; n.C = o.Device; n.Flags = PathFlags.InRoot | o.Slot; break;
            case CheckExecOp o: n.V1 = arena.StringArray(o.Candidates.Select(c => c.Value).ToList()); break;
            case ExecOp o:
                n.V1 = arena.StringArray(o.Candidates.Select(c => c.Value).ToList());
                n.V2 = arena.StringArray(o.Argv);
                n.V3 = arena.StringArray(o.Env);
                break;
            case SetHostnameOp o: n.S1 = arena.String(o.Name); break;
            case SetDomainnameOp o: n.S1 = arena.String(o.Name); break;
            case SetRlimitOp o: n.A = o.Resource; n.B = unchecked((long)o.Soft); n.C = unchecked((long)o.Hard); break;
            case UmaskOp o: n.A = o.Mask; break;
            case SetGroupsOp o:
            {
                n.A = o.Groups.Count;
                var groups = (uint*)arena.Allocate(o.Groups.Count * sizeof(uint));
                for (int i = 0; i < o.Groups.Count; i++)
                    groups[i] = o.Groups[i];
                n.P = groups;
                break;
            }
            case SetResGidOp o: n.A = o.Gid; break;
            case SetResUidOp o: n.A = o.Uid; break;
            case KeepCapsOp o: n.A = o.Keep ? 1 : 0; break;
            case DropBoundingOp o: n.A = unchecked((long)o.Keep); n.B = o.LastCapability; break;
            case CapsetOp o: n.A = unchecked((long)o.Effective); n.B = unchecked((long)o.Permitted); n.C = unchecked((long)o.Inheritable); break;
            case AmbientOp o: n.A = unchecked((long)o.Raise); break;
            case SeccompOp o: n.A = o.Instructions; n.B = o.Flags; n.P = Bytes(arena, o.Program); break;
            case CloseFromOp o: n.A = o.FirstFd; break;
            case IoctlOp o: n.Flags = o.Slot; n.A = o.Request; n.P = o.Argument is null ? null : Bytes(arena, o.Argument); break;
            case PtyPeerOp o: n.A = o.MasterSlot; n.Flags = o.Slot; break;
            case ChownSlotOp o: n.Flags = o.Slot; n.A = o.Uid; n.B = o.Gid; break;
            case HomeFromPasswdOp o: n.S1 = arena.String(o.File.Value); n.A = o.Uid; n.S2 = arena.String(o.Default); break;
            case SendSlotOp o: n.Flags = o.Slot; break;
            case Dup2Op o: n.Flags = o.Slot; n.A = o.Fd; break;
            case WaitSlotOp o: n.Flags = o.Slot; break;
            case RunHookOp o:
                n.S1 = arena.String(o.Path);
                n.V2 = arena.StringArray(o.Argv);
                n.V3 = arena.StringArray(o.Env);
                n.B = o.TimeoutMs;
                n.Flags = o.InRootCwd ? PathFlags.HookInRoot : 0;
                break;
            default:
                throw new InvalidOperationException($"no lowering for {op.GetType().Name}");
        }
        return n;
    }

    /// <summary>The stack of stored layers as a detached mount, made here on the host before clone (the child only
    /// attaches it): its descriptor, or an error naming the step and the layer.</summary>
    private static int StackLayers(AttachLayersOp o, OpArena arena)
    {
        var topFirst = o.Layers.Reverse().ToList();
        int fd = NativeMethods.StackLayers(arena.StringArray(topFirst), topFirst.Count, o.Writable ? 1 : 0, out int step);
        if (fd >= 0)
            return fd;
        int error = -fd;
        if (error == ENODEV && !Berth.Images.Overlay.Available(out string reason))
            throw new BerthException($"{o.Field}: cannot stack the image's layers: {reason}");
        if (error == ENOENT && step >= 0 && step < topFirst.Count)
            throw new BerthException($"{o.Field}: the stored layer {topFirst[step]} is missing; run berth image verify");
        string what = step switch
        {
            -1 => "make the container's writable layer (a tmpfs of its own)",
            _ when step >= 0 && step < topFirst.Count => $"give overlayfs the stored layer {topFirst[step]}",
            _ when step == topFirst.Count => "give overlayfs the container's writable layer",
            _ => $"stack the {topFirst.Count} layer(s) with overlayfs",
        };
        // Layers by descriptor (Linux 6.13) and a writable layer on a detached mount (6.15) are what older kernels refuse.
        string hint = error == EINVAL && step >= 0 ? " (overlayfs takes layers by descriptor and a detached writable layer from Linux 6.15 on)" : "";
        throw new BerthException($"{o.Field}: {what}: {Linux.Describe(error)}{hint}");
    }

    private static byte* Bytes(OpArena arena, byte[] data)
    {
        var p = (byte*)arena.Allocate(data.Length);
        data.CopyTo(new Span<byte>(p, data.Length));
        return p;
    }
}
