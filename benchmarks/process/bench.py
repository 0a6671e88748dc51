#!/usr/bin/env python3
"""Whole-process benchmark: N sequential `run` of /bin/true in a busybox bundle, berth beside runc and crun.

All three run under the same conditions: crun refuses this host's hybrid cgroups, so the whole benchmark re-runs
itself once inside a private mount namespace where the cgroup2 mount is hidden (PLATFORM.md), and every runtime is
started directly from there (no per-run wrapper whose cost would be added to all three alike). Runs are interleaved
(berth, runc, crun, berth, …) so that machine noise hits each runtime alike. Reports medians, ratios and the
peak RSS of each runtime process tree (ru_maxrss from wait4, as GNU time reports it), then the same for the
create + start + delete cycle that podman and containerd use.

A last pass times berth's `run` from a three-layer image in its content store (root.image) against the same files
as a plain directory (issue 13).

BERTH_BIN names the berth binary; BERTH_VARIANTS="name=path …" adds more berth builds to compare (A/B runs).
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INNER = "BERTH_BENCH_INNER"


def enter_private_namespace():
    """Re-runs this script in a private mount namespace without the cgroup2 mount (crun's workaround)."""
    if os.environ.get(INNER) == "1":
        return
    env = dict(os.environ, **{INNER: "1"})
    cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
           'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', "sh", sys.executable] + sys.argv
    sys.exit(subprocess.run(cmd, env=env).returncode)


def make_bundle(work):
    bundle = os.path.join(work, "bundle")
    rootfs = os.path.join(bundle, "rootfs")
    subprocess.run(["bash", os.path.join(REPO, "scripts/make-rootfs.sh"), rootfs], check=True)
    config = subprocess.run([BERTH, "spec", "--bundle", bundle], check=True)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        c = json.load(f)
    c["ociVersion"] = "1.0.2"  # crun 1.8.1 refuses newer versions
    c["process"]["terminal"] = False
    c["process"]["args"] = ["/bin/true"]
    with open(path, "w") as f:
        json.dump(c, f, indent=1)
    return bundle


def run_once(cmd, cwd):
    # stderr goes to a file, not a pipe: after `create` the container's process holds it open until `start`.
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"{' '.join(cmd)} failed: {err.read().decode()}")
    return elapsed * 1000


def peak_rss_mb(cmd, cwd):
    """Peak RSS of the runtime and its descendants, measured by GNU time (a small launcher, unlike Python's fork)."""
    out = os.path.join(cwd, "..", "rss.txt")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + cmd, cwd=cwd, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return int(f.read().strip().splitlines()[-1]) / 1024


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    work = tempfile.mkdtemp(prefix="berth-bench-")
    bundle = make_bundle(work)
    runtimes = {"berth": BERTH}
    for variant in os.environ.get("BERTH_VARIANTS", "").split():
        name, _, path = variant.partition("=")
        runtimes[name] = os.path.abspath(path)
    for name in ("runc", "crun"):
        if shutil.which(name):
            runtimes[name] = shutil.which(name)
    # The floor: the same kernel work done by a C program that does nothing else (floor.c). No runtime can be
    # faster than this on this machine; it puts the ratios in proportion.
    floor_bin = os.path.join(work, "floor")
    subprocess.run(["gcc", "-O2", "-o", floor_bin, os.path.join(os.path.dirname(os.path.abspath(__file__)), "floor.c")], check=True)
    runtimes["floor (C, kernel work only)"] = floor_bin
    results = {name: [] for name in runtimes}
    rss = {name: 0.0 for name in runtimes}
    # What podman and containerd call instead of run: create, start, delete --force, three processes.
    cycles = {name: [] for name in runtimes if runtimes[name] != floor_bin}
    floor = []
    for i in range(runs):
        for name, binary in runtimes.items():
            root = os.path.join(work, "state-" + name.split()[0])
            if binary == floor_bin:
                command = lambda run_id: [binary, os.path.join(bundle, "rootfs"), root, run_id]
            else:
                command = lambda run_id: [binary, "--root", root, "run", run_id]
            results[name].append(run_once(command(f"bench-{i}"), bundle))
            if i < 5:
                rss[name] = max(rss[name], peak_rss_mb(command(f"rss-{i}"), bundle))
        floor.append(run_once(["true"], bundle))
    # A second pass, so that the cycles' cgroup work does not change the kernel's state under the runs above.
    for i in range(runs):
        for name in cycles:
            root = os.path.join(work, "state-" + name)
            cycle_id = f"cycle-{i}"
            cycles[name].append(sum(run_once([runtimes[name], "--root", root] + step, bundle) for step in
                                    (["create", "--bundle", bundle, cycle_id], ["start", cycle_id], ["delete", "--force", cycle_id])))
    base = statistics.median(results["crun"]) if "crun" in results else None
    print(f"{runs} sequential runs of /bin/true, interleaved; starting /bin/true alone: median {statistics.median(floor):.1f} ms")
    print("| runtime | median ms | p10 ms | p90 ms | vs crun | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for name, times in results.items():
        times.sort()
        med = statistics.median(times)
        ratio = f"{med / base:.2f}" if base else "n/a"
        print(f"| {name} | {med:.1f} | {times[len(times) // 10]:.1f} | {times[len(times) * 9 // 10]:.1f} | {ratio} | {rss[name]:.1f} |")
    print()
    print("create + start + delete --force (three processes, as podman and containerd drive a runtime):")
    print("| runtime | median ms | p10 ms | p90 ms | vs crun |")
    print("|---|---|---|---|---|")
    cycle_base = statistics.median(cycles["crun"]) if "crun" in cycles else None
    for name, times in cycles.items():
        times.sort()
        med = statistics.median(times)
        ratio = f"{med / cycle_base:.2f}" if cycle_base else "n/a"
        print(f"| {name} | {med:.1f} | {times[len(times) // 10]:.1f} | {times[len(times) * 9 // 10]:.1f} | {ratio} |")
    image_pass(runs, work, bundle)
    shutil.rmtree(work, ignore_errors=True)
    # floor.c keeps its parent cgroup ("floor") between runs, as the runtimes keep theirs; it is ours to remove.
    for hierarchy in os.listdir("/sys/fs/cgroup"):
        try:
            os.rmdir(os.path.join("/sys/fs/cgroup", hierarchy, "floor"))
        except OSError:
            pass


def make_image(work, rootfs):
    """A three-layer OCI layout made by umoci from the bundle's rootfs (all of it; then one file; then two more), and
    the same files unpacked as a plain directory, so that the two roots differ only in how they are given."""
    layout, image = os.path.join(work, "layout"), os.path.join(work, "layout") + ":bench"
    unpacked = os.path.join(work, "unpacked")
    def umoci(*args):
        subprocess.run(["umoci", *args], check=True, cwd=work, stdout=subprocess.DEVNULL)
    umoci("init", "--layout", layout)
    umoci("new", "--image", image)
    umoci("unpack", "--image", image, unpacked)
    subprocess.run(["cp", "-a", rootfs + "/.", os.path.join(unpacked, "rootfs")], check=True)
    umoci("repack", "--image", image, unpacked)
    for layer, names in ((2, ["two"]), (3, ["three", "four"])):
        shutil.rmtree(unpacked)
        umoci("unpack", "--image", image, unpacked)
        for name in names:
            with open(os.path.join(unpacked, "rootfs", "etc", f"layer{layer}-{name}"), "w") as f:
                f.write(f"layer {layer}\n")
        umoci("repack", "--image", image, unpacked)
    shutil.rmtree(unpacked)
    umoci("unpack", "--image", image, unpacked)
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    digest = next(m["digest"] for m in index["manifests"]
                  if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "bench")
    return image, digest, os.path.join(unpacked, "rootfs")


def image_pass(runs, work, bundle):
    """issue 13's row: berth's `run` from a three-layer image in its store (root.image, overlayfs) against the same
    files as a plain directory (root.path), interleaved. Needs umoci and berth's `image import` with `--store`."""
    if not shutil.which("umoci"):
        print("\nrun from an image: skipped (umoci is not installed)")
        return
    store = os.path.join(work, "store")
    image, digest, plain_rootfs = make_image(work, os.path.join(bundle, "rootfs"))
    imported = subprocess.run([BERTH, "--store", store, "image", "import", image],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if imported.returncode != 0:
        print(f"\nrun from an image: skipped (berth --store … image import failed: {imported.stderr.strip()})")
        return
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    bundles = {}
    for name, root in (("directory", {"path": plain_rootfs}), ("image, 3 layers", {"image": digest})):
        directory = os.path.join(work, "bundle-" + name.split(",")[0])
        os.makedirs(directory)
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump(dict(config, root=root), f, indent=1)
        bundles[name] = directory
    times = {name: [] for name in bundles}
    for i in range(runs):
        for name, directory in bundles.items():
            root = os.path.join(work, "state-image-pass")
            times[name].append(run_once([BERTH, "--root", root, "--store", store, "run", "--bundle", directory, f"image-{i}"], directory))
    print()
    print("berth `run` of /bin/true from a three-layer image (root.image, overlayfs) vs the same files as a directory:")
    print("| root | median ms | p10 ms | p90 ms |")
    print("|---|---|---|---|")
    for name, values in times.items():
        values.sort()
        print(f"| {name} | {statistics.median(values):.1f} | {values[len(values) // 10]:.1f} | {values[len(values) * 9 // 10]:.1f} |")
    difference = statistics.median(times["image, 3 layers"]) - statistics.median(times["directory"])
    print(f"the image costs {difference:+.2f} ms a run (median against median)")


BERTH = os.environ.get("BERTH_BIN", os.path.join(REPO, "artifacts/bin/berth"))
if __name__ == "__main__":
    enter_private_namespace()
    main()
