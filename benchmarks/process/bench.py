#!/usr/bin/env python3
"""Whole-process benchmark of OCI runtimes on a busybox bundle: berth beside runc, crun and any other build.

    bench.py [--runs N] [--rt NAME=PATH]... [--no-default-rt] [--pass run,cycle,exec,memory,scale,throughput,image]

Runtimes: berth (artifacts/bin/berth of this repository) and the runc and crun found on PATH, plus every
`--rt NAME=PATH` (a NAME already present is replaced; `--no-default-rt` keeps only the `--rt` ones). Ratios are
against `--baseline` (default: crun-1.27.1 when given, else crun).

Passes (README.md beside this file says what each measures): run, cycle, exec, memory, scale, throughput, and
image (berth alone: `run` from a three-layer image in its content store against the same files as a directory).

All runtimes run under the same conditions: crun refuses this host's hybrid cgroups, so the whole benchmark re-runs
itself once inside a private mount namespace where the cgroup2 mount is hidden (PLATFORM.md), and every runtime is
started directly from there (no per-run wrapper whose cost would be added to all alike). Runs are interleaved
(berth, runc, crun, berth, …) so that machine noise hits each runtime alike. Every container a pass makes is
deleted when the pass ends, and on Ctrl-C or SIGTERM too.
"""
import argparse, concurrent.futures, json, os, shutil, signal, statistics, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
INNER = "BERTH_BENCH_INNER"
PASSES = ("run", "cycle", "exec", "memory", "scale", "throughput", "image")
FLOOR = "floor (C, kernel work only)"


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text}")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(description="Whole-process benchmark of OCI runtimes (see README.md beside this file).")
    p.add_argument("--runs", type=positive, default=100, help="samples per runtime in the run, cycle, exec and scale passes")
    p.add_argument("--rt", action="append", default=[], metavar="NAME=PATH",
                   help="a runtime to measure (repeatable); replaces a default of the same name")
    p.add_argument("--no-default-rt", action="store_true",
                   help="measure only the --rt runtimes, not berth, runc and crun")
    p.add_argument("--pass", dest="passes", default=",".join(PASSES),
                   help="comma-separated passes to run, in this order: " + ",".join(PASSES))
    p.add_argument("--baseline", help="the runtime ratios are against (default: crun-1.27.1 if given, else crun)")
    p.add_argument("--scale", type=positive, default=1000, help="containers on the full root in the scale pass")
    p.add_argument("--throughput", type=positive, default=100, help="runs per round in the throughput pass")
    p.add_argument("--concurrency", type=positive, default=10, help="runs in flight at once in the throughput pass")
    p.add_argument("--rounds", type=positive, default=3, help="rounds per runtime in the throughput pass")
    p.add_argument("--memory-tries", type=positive, default=3,
                   help="runs that must all succeed for a memory limit to count as enough")
    args = p.parse_args(argv)
    args.passes = [name.strip() for name in args.passes.split(",") if name.strip()]
    unknown = [name for name in args.passes if name not in PASSES]
    if unknown:
        p.error(f"--pass: unknown pass {', '.join(unknown)} (known: {', '.join(PASSES)})")
    runtimes = {}
    if not args.no_default_rt:
        runtimes["berth"] = os.environ.get("BERTH_BIN", os.path.join(REPO, "artifacts/bin/berth"))
        for name in ("runc", "crun"):
            if shutil.which(name):
                runtimes[name] = shutil.which(name)
    for spec in args.rt:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            p.error(f"--rt: expected NAME=PATH, got {spec!r}")
        runtimes[name] = os.path.abspath(path)
    for name, path in runtimes.items():
        if not os.access(path, os.X_OK):
            p.error(f"--rt: runtime {name} at {path} is not an executable file")
    if not runtimes:
        p.error("no runtime to measure: give --rt NAME=PATH")
    args.runtimes = runtimes
    if args.baseline is None:
        args.baseline = next((n for n in ("crun-1.27.1", "crun") if n in runtimes), None)
    elif args.baseline not in runtimes:
        p.error(f"--baseline: {args.baseline} is not one of the runtimes ({', '.join(runtimes)})")
    return args


def enter_private_namespace():
    """Replaces this process by itself in a private mount namespace without the cgroup2 mount (crun's workaround).

    exec, not a child: a waiting parent would kill the benchmark on Ctrl-C before it could delete its containers."""
    if os.environ.get(INNER) == "1":
        return
    os.environ[INNER] = "1"
    os.execvp("unshare", ["unshare", "-m", "--propagation", "private", "sh", "-c",
                          'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', "sh", sys.executable] + sys.argv)


class Failed(Exception):
    pass


def timed(cmd, cwd=None, timeout=120):
    """Milliseconds that cmd took; Failed if it exits non-zero or runs past timeout.

    The wait blocks in wait4 and a timer thread kills a command that overruns: subprocess's own timeout polls with
    sleeps growing to 50 ms, which would round every time up to the next poll."""
    # stderr goes to a file, not a pipe: after `create` the container's process holds it open until `start`.
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        overran = threading.Event()

        def kill():
            overran.set()
            proc.kill()

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            returncode = proc.wait()
        finally:
            watchdog.cancel()
        elapsed = time.perf_counter() - start
        if overran.is_set():
            raise Failed(f"{' '.join(cmd)} ran longer than {timeout} s")
        if returncode != 0:
            err.seek(0)
            raise Failed(f"{' '.join(cmd)} exited {returncode}: {err.read().decode(errors='replace').strip()}")
    return elapsed * 1000


def quiet(cmd, timeout=60):
    """Runs a cleanup command in its own session (a second Ctrl-C does not reach it); its outcome is ignored."""
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        return None


def peak_rss_mb(cmd, cwd, work):
    """Peak RSS of the runtime and its descendants, measured by GNU time (a small launcher, unlike Python's fork)."""
    out = os.path.join(work, "rss.txt")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + cmd, cwd=cwd, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return int(f.read().strip().splitlines()[-1]) / 1024


def parallel(fn, items, workers, progress=None):
    """fn over items, workers at a time; an exception (Ctrl-C, a failure) cancels what has not started yet."""
    pool = concurrent.futures.ThreadPoolExecutor(workers)
    try:
        for done, _ in enumerate(pool.map(fn, items), 1):
            if progress:
                progress(done)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class Janitor:
    """Knows every state root a pass used and deletes whatever containers are left on it."""

    def __init__(self):
        self.roots = {}  # root -> (runtime path, ids known to have been made there)

    def track(self, runtime, root, *ids):
        self.roots.setdefault(root, (runtime, set()))[1].update(ids)

    def clean(self, root, workers=4):
        runtime, ids = self.roots.get(root, (None, set()))
        if runtime is None:
            return
        listed = quiet([runtime, "--root", root, "list", "-q"])
        if listed is not None and listed.returncode == 0:
            ids |= set(listed.stdout.decode().split())
        # Kill all first, then delete: a runtime that waits after killing (runc >= 1.2 sleeps 100 ms) waits less.
        parallel(lambda i: quiet([runtime, "--root", root, "kill", i, "9"]), sorted(ids), workers)
        parallel(lambda i: quiet([runtime, "--root", root, "delete", "--force", i]), sorted(ids), workers)
        shutil.rmtree(root, ignore_errors=True)
        del self.roots[root]  # only now: a cleanup cut short is finished by clean_all

    def clean_all(self):
        for root in list(self.roots):
            self.clean(root)


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.runtimes = dict(args.runtimes)
        self.index = {name: i for i, name in enumerate(self.runtimes)}  # short, unique container id prefixes
        self.janitor = Janitor()
        self.rootfs = os.path.join(work, "rootfs")
        subprocess.run(["bash", os.path.join(REPO, "scripts/make-rootfs.sh"), self.rootfs], check=True)
        self.base_config = self.default_config()
        self.bundle = self.make_bundle("bundle", ["/bin/true"])
        # The exec target gets a cgroup namespace too: exec then joins six namespaces, as runc spec's config has.
        self.sleep_bundle = self.make_bundle("bundle-sleep", ["sleep", "1000000"], cgroup_namespace=True)
        self.floor = self.compile("floor")
        self.exec_floor = self.compile("exec_floor")

    def default_config(self):
        """berth spec's config (the one every table measures), made runnable by every runtime here."""
        spec_tool = self.runtimes.get("berth") or os.environ.get("BERTH_BIN", os.path.join(REPO, "artifacts/bin/berth"))
        if not os.access(spec_tool, os.X_OK):
            spec_tool = shutil.which("runc") or sys.exit("no berth (scripts/publish.sh) or runc to write config.json")
        scratch = os.path.join(self.work, "spec")
        os.makedirs(scratch)
        subprocess.run([spec_tool, "spec", "--bundle", scratch], check=True)
        with open(os.path.join(scratch, "config.json")) as f:
            config = json.load(f)
        config["ociVersion"] = "1.0.2"  # crun 1.8.1 refuses newer versions
        config["process"]["terminal"] = False
        config["root"]["path"] = self.rootfs  # one rootfs for every bundle
        return config

    def make_bundle(self, name, args, memory_limit=None, cgroup_namespace=False):
        bundle = os.path.join(self.work, name)
        os.makedirs(bundle, exist_ok=True)
        config = json.loads(json.dumps(self.base_config))
        config["process"]["args"] = args
        namespaces = config["linux"]["namespaces"]
        if cgroup_namespace and not any(ns["type"] == "cgroup" for ns in namespaces):
            namespaces.append({"type": "cgroup"})
        if memory_limit is not None:
            config["linux"].setdefault("resources", {})["memory"] = {"limit": memory_limit}
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
        return bundle

    def compile(self, name):
        binary = os.path.join(self.work, name)
        subprocess.run(["gcc", "-O2", "-o", binary, os.path.join(HERE, name + ".c")], check=True)
        return binary

    def root(self, name, kind):
        return os.path.join(self.work, f"state-{kind}-{self.index.get(name, 'floor')}")

    def cmd(self, name, root, *args):
        return [self.runtimes[name], "--root", root, *args]

    def floor_cmd(self, root, cid):
        return [self.floor, self.rootfs, root, cid]

    def ratio(self, value, base):
        return f"{value / base:.2f}" if base else "n/a"

    def interleave(self, names, runs, one):
        """Calls one(name, i) for i in range(runs), runtimes interleaved; a runtime that fails leaves the pass. Each
        round starts with the next runtime (a rotation): the place in a round costs or saves a few tenths of a
        millisecond here (caches, the previous run's teardown), and the rotation gives each runtime every place alike."""
        samples = {name: [] for name in names}
        for i in range(runs):
            order = list(samples)
            for name in order[i % len(order):] + order[:i % len(order)] if order else []:
                try:
                    samples[name].append(one(name, i))
                except Failed as e:
                    print(f"  {name} left this pass: {e}", file=sys.stderr)
                    del samples[name]
        return samples

    def start_sleeper(self, name, root, cid):
        self.janitor.track(self.runtimes[name], root, cid)
        timed(self.cmd(name, root, "create", "--bundle", self.sleep_bundle, cid), cwd=self.sleep_bundle)
        timed(self.cmd(name, root, "start", cid))

    def pid_of(self, name, root, cid):
        out = subprocess.run(self.cmd(name, root, "state", cid), check=True, stdout=subprocess.PIPE).stdout
        return json.loads(out)["pid"]

    def median_table(self, title, samples, base_name, floor_name=None, extra=None):
        print(f"\n{title}")
        header = ["runtime", "median ms", "p10 ms", "p90 ms", f"vs {self.args.baseline}"]
        if floor_name:
            header.append("vs floor")
        if extra:
            header.append(extra[0])
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        base = statistics.median(samples[base_name]) if base_name in samples else None
        floor = statistics.median(samples[floor_name]) if floor_name in samples else None
        for name, times in samples.items():
            times = sorted(times)
            med = statistics.median(times)
            row = [name, f"{med:.1f}", f"{times[len(times) // 10]:.1f}", f"{times[len(times) * 9 // 10]:.1f}",
                   self.ratio(med, base) if name != floor_name else "—"]
            if floor_name:
                row.append(self.ratio(med, floor))
            if extra:
                row.append(extra[1].get(name, ""))
            print("| " + " | ".join(row) + " |")

    # --- passes -----------------------------------------------------------------------------------------------

    def pass_run(self):
        """`run` of /bin/true, each runtime and floor.c interleaved; peak RSS of the first five of each."""
        names = list(self.runtimes) + [FLOOR]
        rss = {}

        def one(name, i):
            cid = f"bench-{i}"
            root = self.root(name, "run")
            command = (lambda c: self.floor_cmd(root, c)) if name == FLOOR else (lambda c: self.cmd(name, root, "run", c))
            if name != FLOOR:
                self.janitor.track(self.runtimes[name], root, cid)
            elapsed = timed(command(cid), cwd=self.bundle)
            if i < 5:
                rss[name] = max(rss.get(name, 0.0), peak_rss_mb(command(f"rss-{i}"), self.bundle, self.work))
            return elapsed

        samples = self.interleave(names, self.args.runs, one)
        alone = [timed(["/bin/true"]) for _ in range(self.args.runs)]
        self.median_table(f"`run` /bin/true, {self.args.runs} sequential runs, interleaved "
                          f"(starting /bin/true alone: median {statistics.median(alone):.1f} ms):",
                          samples, self.args.baseline, FLOOR, ("peak RSS MB", {n: f"{v:.1f}" for n, v in rss.items()}))

    def pass_cycle(self):
        """create + start + delete --force: three processes, as podman and containerd drive a runtime."""
        def one(name, i):
            root, cid = self.root(name, "cycle"), f"cycle-{i}"
            self.janitor.track(self.runtimes[name], root, cid)
            return sum(timed(self.cmd(name, root, *step), cwd=self.bundle) for step in
                       (["create", "--bundle", self.bundle, cid], ["start", cid], ["delete", "--force", cid]))

        samples = self.interleave(list(self.runtimes), self.args.runs, one)
        self.median_table("create + start + delete --force (three processes, as podman and containerd drive a runtime):",
                          samples, self.args.baseline)

    def make_image(self):
        """A three-layer OCI layout made by umoci from the rootfs (all of it; then one file; then two more), and the
        same files unpacked as a plain directory, so that the two roots differ only in how they are given."""
        layout = os.path.join(self.work, "layout")
        image, unpacked = layout + ":bench", os.path.join(self.work, "unpacked")

        def umoci(*args):
            subprocess.run(["umoci", *args], check=True, cwd=self.work, stdout=subprocess.DEVNULL)

        umoci("init", "--layout", layout)
        umoci("new", "--image", image)
        umoci("unpack", "--image", image, unpacked)
        subprocess.run(["cp", "-a", self.rootfs + "/.", os.path.join(unpacked, "rootfs")], check=True)
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

    def pass_image(self):
        """issue 13's row: berth's `run` from a three-layer image in its store (root.image, overlayfs) against the
        same files as a plain directory (root.path), interleaved. Needs umoci and berth's `image import --store`."""
        berth = self.runtimes.get("berth")
        if berth is None or not shutil.which("umoci"):
            print("\nrun from an image: skipped (" + ("no berth among the runtimes" if berth is None else "umoci is not installed") + ")")
            return
        store = os.path.join(self.work, "store")
        image, digest, plain_rootfs = self.make_image()
        imported = subprocess.run([berth, "--store", store, "image", "import", image],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if imported.returncode != 0:
            print(f"\nrun from an image: skipped (berth --store … image import failed: {imported.stderr.strip()})")
            return
        bundles = {}
        for name, root in (("directory", {"path": plain_rootfs}), ("image, 3 layers", {"image": digest})):
            directory = os.path.join(self.work, "bundle-" + name.split(",")[0])
            os.makedirs(directory)
            config = json.loads(json.dumps(self.base_config))
            config["process"]["args"] = ["/bin/true"]
            config["root"] = root
            with open(os.path.join(directory, "config.json"), "w") as f:
                json.dump(config, f, indent=1)
            bundles[name] = directory
        root = self.root("berth", "image")
        times = {name: [] for name in bundles}
        for i in range(self.args.runs):
            # Rotated each round, as interleave does: neither root always runs first.
            for name, directory in list(bundles.items())[i % 2:] + list(bundles.items())[:i % 2]:
                cid = f"image-{i}-{name[0]}"
                self.janitor.track(berth, root, cid)
                times[name].append(timed([berth, "--root", root, "--store", store, "run", "--bundle", directory, cid], cwd=directory))
        print()
        print("berth `run` of /bin/true from a three-layer image (root.image, overlayfs) vs the same files as a directory:")
        print("| root | median ms | p10 ms | p90 ms |")
        print("|---|---|---|---|")
        for name, values in times.items():
            values.sort()
            print(f"| {name} | {statistics.median(values):.1f} | {values[len(values) // 10]:.1f} | {values[len(values) * 9 // 10]:.1f} |")
        difference = statistics.median(times["image, 3 layers"]) - statistics.median(times["directory"])
        print(f"the image costs {difference:+.2f} ms a run (median against median)")

    def cgroup_dirs(self, pid):
        """The cgroup directories of pid, one per mounted hierarchy, from /proc/PID/cgroup and our mountinfo."""
        mounts = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                tail = fields[fields.index("-") + 1:]
                if tail[0] in ("cgroup", "cgroup2"):
                    mounts.append((tail[0], set(tail[2].split(",")), fields[4], fields[3]))
        dirs = []
        with open(f"/proc/{pid}/cgroup") as f:
            for line in f:
                hid, controllers, path = line.rstrip("\n").split(":", 2)
                wanted = set(controllers.split(",")) if controllers else set()
                for fstype, options, mountpoint, mount_root in mounts:
                    if (fstype == "cgroup2") == (hid == "0") and wanted <= options and mount_root == "/":
                        dirs.append(mountpoint + path)
                        break
        return dirs

    def pass_exec(self):
        """`exec ID /bin/true` into a running `sleep` container of each runtime, interleaved, beside exec_floor.c."""
        containers = {}
        for name in self.runtimes:
            root, cid = self.root(name, "exec"), f"exec{self.index[name]}"
            try:
                self.start_sleeper(name, root, cid)
                containers[name] = (root, cid)
            except Failed as e:
                print(f"  {name} left the exec pass: {e}", file=sys.stderr)
        try:
            # The floor joins one of those containers (the baseline's if it runs): the kernel work is the same for all.
            target = self.args.baseline if self.args.baseline in containers else next(iter(containers), None)
            floor_cmd = None
            if target:
                pid = self.pid_of(target, *containers[target])
                floor_cmd = [self.exec_floor, str(pid)] + self.cgroup_dirs(pid)
            names = list(containers) + ([FLOOR] if floor_cmd else [])

            def one(name, i):
                if name == FLOOR:
                    return timed(floor_cmd)
                root, cid = containers[name]
                return timed(self.cmd(name, root, "exec", cid, "/bin/true"))

            samples = self.interleave(names, self.args.runs, one)
            floor_note = f"; the floor joins {target}'s container" if floor_cmd else ""
            self.median_table(f"`exec ID /bin/true` into a running sleep container, {self.args.runs} runs, "
                              f"interleaved{floor_note}:", samples, self.args.baseline, FLOOR)
        finally:
            for root, _ in containers.values():
                self.janitor.clean(root)

    def pass_memory(self):
        """The smallest linux.resources.memory.limit under which `run` /bin/true still succeeds, by bisection."""
        low, high, step = 64, 64 * 1024, 64  # KiB
        results = {}
        for name in self.runtimes:
            bundle_name = f"bundle-mem-{self.index[name]}"
            root = self.root(name, "memory")
            probes = [0]

            def enough(kib):
                bundle = self.make_bundle(bundle_name, ["/bin/true"], kib * 1024)
                for _ in range(self.args.memory_tries):
                    probes[0] += 1
                    cid = f"mem{self.index[name]}-{probes[0]}"
                    self.janitor.track(self.runtimes[name], root, cid)
                    try:
                        timed(self.cmd(name, root, "run", cid), cwd=bundle, timeout=30)
                        ok = True
                    except Failed:
                        ok = False
                    quiet(self.cmd(name, root, "delete", "--force", cid))
                    if not ok:
                        return False
                return True

            if not enough(high):
                results[name] = (f"> {high}", probes[0])
            elif enough(low):
                results[name] = (f"≤ {low}", probes[0])
            else:
                lo, hi = low, high  # lo fails, hi succeeds
                while hi - lo > step:
                    mid = (lo + hi) // 2 // step * step
                    if mid in (lo, hi):
                        break
                    if enough(mid):
                        hi = mid
                    else:
                        lo = mid
                results[name] = (str(hi), probes[0])
            self.janitor.clean(root)
        print(f"\nSmallest linux.resources.memory.limit under which `run` /bin/true succeeds "
              f"({self.args.memory_tries} runs in a row), bisected between {low} KiB and {high} KiB to {step} KiB "
              f"(only `limit` is set: on this cgroup v1 host that is memory.limit_in_bytes, no memsw):")
        print("| runtime | smallest limit KiB | probes |")
        print("|---|---|---|")
        for name, (kib, probes) in results.items():
            print(f"| {name} | {kib} | {probes} |")

    def pass_scale(self):
        """run, create, state, exec and list on a root holding N running sleep containers vs an almost empty root."""
        n = self.args.scale
        print(f"\nScale: {n} running `sleep` containers on one --root (started, so state and list check live "
              f"processes; a busybox sleep costs ~100 KB) vs a root holding only the container that state and exec "
              f"address; {self.args.runs} samples of each, empty and full interleaved:")
        print(f"| runtime | fill s | run | create | state | exec | list ms (1 → {n + 1}) | list ms per 1,000 | cleanup s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name in self.runtimes:
            idx = self.index[name]
            empty, full = self.root(name, "scale-empty"), self.root(name, "scale-full")
            try:
                self.start_sleeper(name, empty, f"t{idx}e")
                self.start_sleeper(name, full, f"t{idx}f")
                start = time.perf_counter()
                fill_ids = [f"s{idx}-{k}" for k in range(n)]
                self.janitor.track(self.runtimes[name], full, *fill_ids)
                parallel(lambda c: self.start_sleeper(name, full, c), fill_ids, 4,
                         lambda k: k % 200 == 0 and print(f"  {name}: {k} of {n} containers running", file=sys.stderr))
                fill = time.perf_counter() - start
                samples = {(op, where): [] for op in ("run", "create", "state", "exec", "list") for where in "ef"}
                for i in range(self.args.runs):
                    for where, root in (("e", empty), ("f", full)):
                        target, cid = f"t{idx}{where}", f"m{idx}{where}-{i}"
                        self.janitor.track(self.runtimes[name], root, cid, cid + "c")
                        samples["run", where].append(timed(self.cmd(name, root, "run", cid), cwd=self.bundle))
                        samples["create", where].append(
                            timed(self.cmd(name, root, "create", "--bundle", self.bundle, cid + "c"), cwd=self.bundle))
                        quiet(self.cmd(name, root, "delete", "--force", cid + "c"))
                        samples["state", where].append(timed(self.cmd(name, root, "state", target)))
                        samples["exec", where].append(timed(self.cmd(name, root, "exec", target, "/bin/true")))
                        samples["list", where].append(timed(self.cmd(name, root, "list")))
            except Failed as e:
                print(f"  {name} left the scale pass: {e}", file=sys.stderr)
                samples = None
            finally:
                start = time.perf_counter()
                self.janitor.clean(full)
                self.janitor.clean(empty)
                cleanup = time.perf_counter() - start
            if samples is None:
                print(f"| {name} | failed | | | | | | | {cleanup:.1f} |")
                continue
            med = {key: statistics.median(v) for key, v in samples.items()}
            cells = [f"{med[op, 'e']:.1f} → {med[op, 'f']:.1f} ms ({med[op, 'f'] / med[op, 'e']:.2f}×)"
                     for op in ("run", "create", "state", "exec")]
            per_thousand = (med["list", "f"] - med["list", "e"]) * 1000 / n
            print(f"| {name} | {fill:.1f} | " + " | ".join(cells) +
                  f" | {med['list', 'e']:.1f} → {med['list', 'f']:.1f} | {per_thousand:.1f} | {cleanup:.1f} |")

    def pass_throughput(self):
        """N `run`s of /bin/true, C at a time: the wall time until all have finished, median of the rounds."""
        total, concurrency = self.args.throughput, self.args.concurrency
        names = list(self.runtimes) + [FLOOR]
        # floor.c fills its parent cgroup's cpuset once; do it before runs race for it.
        timed(self.floor_cmd(self.root(FLOOR, "throughput"), "warm"), cwd=self.bundle)

        def one(name, rnd):
            root = self.root(name, "throughput")
            ids = [f"tp{self.index.get(name, 'f')}-{rnd}-{k}" for k in range(total)]
            if name == FLOOR:
                command = lambda c: self.floor_cmd(root, c)
            else:
                self.janitor.track(self.runtimes[name], root, *ids)
                command = lambda c: self.cmd(name, root, "run", c)
            start = time.perf_counter()
            parallel(lambda c: timed(command(c), cwd=self.bundle), ids, concurrency)
            return (time.perf_counter() - start) * 1000

        samples = self.interleave(names, self.args.rounds, one)
        print(f"\nThroughput: {total} `run`s of /bin/true, {concurrency} at a time; wall time until all finished, "
              f"median of {self.args.rounds} rounds, runtimes interleaved:")
        print(f"| runtime | wall ms | runs per s | vs {self.args.baseline} |")
        print("|---|---|---|---|")
        base = statistics.median(samples[self.args.baseline]) if self.args.baseline in samples else None
        for name, walls in samples.items():
            med = statistics.median(walls)
            print(f"| {name} | {med:.0f} | {total * 1000 / med:.0f} | {self.ratio(med, base) if name != FLOOR else '—'} |")


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main():
    args = parse_args(sys.argv[1:])
    enter_private_namespace()
    signal.signal(signal.SIGTERM, interrupted)
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:  # under nohup it stays ignored
        signal.signal(signal.SIGHUP, interrupted)
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    print("runtimes: " + ", ".join(f"{n}={p}" for n, p in args.runtimes.items()) + f"; ratios vs {args.baseline}")
    work = tempfile.mkdtemp(prefix="berth-bench-")
    bench = None
    try:
        bench = Bench(args, work)
        for name in args.passes:
            getattr(bench, "pass_" + name)()
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("\ninterrupted: deleting the benchmark's containers", file=sys.stderr)
    finally:
        # Nothing interrupts the cleanup: every container this run made is deleted.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if bench is not None:
            bench.janitor.clean_all()
        shutil.rmtree(work, ignore_errors=True)
        # floor.c keeps its parent cgroup ("floor") between runs, as the runtimes keep theirs; it is ours to remove.
        for hierarchy in os.listdir("/sys/fs/cgroup"):
            try:
                os.rmdir(os.path.join("/sys/fs/cgroup", hierarchy, "floor"))
            except OSError:
                pass
    print("\nload average after: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
