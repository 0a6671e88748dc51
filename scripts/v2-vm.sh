#!/usr/bin/env bash
# Runs berth on a pure cgroup v2 host: boots Debian's kernel with cgroup_no_v1=all in qemu, from an initramfs that
# holds berth, crun, runc (with their libraries), busybox and two bundles, and prints what happened. This machine's
# own cgroups are hybrid and cannot be switched (PLATFORM.md), so this is how berth's v2 path runs end to end.
#
#   scripts/v2-vm.sh            checks only: limits, device rules, cgroup namespace, the lifecycle commands
#                               (pause/resume by cgroup.freeze, kill --all by cgroup.kill), nothing left behind
#   scripts/v2-vm.sh 100        and a timing of 100 runs each of berth, crun and runc
#
# qemu runs with TCG (software emulation): nested KVM guests hang at boot on this VM. Timings are therefore only
# comparable with each other, not with the host's. Not part of ./test.sh (it needs ~100 MB of packages and a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-0}
scripts/install-deps.sh qemu-system-x86 linux-image-amd64 crun runc cpio
scripts/publish.sh >/dev/null
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -1)
work=$(mktemp -d /tmp/berth-v2vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,usr/bin,proc,sys,dev,run,tmp,newroot}

# busybox and its applets; the binaries and the libraries they load.
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
binaries=(artifacts/bin/berth "$(command -v crun)" "$(command -v runc)")
# (berth is static: ldd has nothing to say about it but "not a dynamic executable")
for lib in $(ldd "${binaries[@]}" 2>/dev/null | grep -o '/lib[^ ]*' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "${binaries[@]}" "$root/usr/bin/"
gcc -O2 -static -o "$root/usr/bin/vmbench" -x c - <<'EOF'
/* vmbench N LABEL CMD [LABEL CMD]...: runs the commands interleaved N times (%d in CMD is the run number) and
 * prints median, p10, p90 (ms) and peak RSS of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv)
{
    int n = atoi(argv[1]), k = (argc - 2) / 2;
    double *t = calloc((size_t)(n * k), sizeof *t);
    long *rss = calloc((size_t)k, sizeof *rss);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < k; c++) {
            char line[4096], *args[64];
            int a = 0;
            snprintf(line, sizeof line, argv[3 + 2 * c], i);
            for (char *p = strtok(line, " "); p && a < 63; p = strtok(NULL, " ")) args[a++] = p;
            args[a] = NULL;
            double start = now();
            pid_t pid = fork();
            if (pid == 0) { execv(args[0], args); _exit(127); }
            int status;
            struct rusage ru;
            wait4(pid, &status, 0, &ru);
            t[c * n + i] = now() - start;
            if (ru.ru_maxrss > rss[c]) rss[c] = ru.ru_maxrss;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "%s failed (status %d)\n", argv[2 + 2 * c], status); return 1; }
        }
    double base = 0;
    for (int c = 0; c < k; c++) {
        qsort(t + c * n, (size_t)n, sizeof *t, cmp);
        if (strcmp(argv[2 + 2 * c], "crun") == 0) base = t[c * n + n / 2];
    }
    printf("| runtime | median ms | p10 ms | p90 ms | vs crun | peak RSS MB |\n|---|---|---|---|---|---|\n");
    for (int c = 0; c < k; c++) {
        double med = t[c * n + n / 2];
        printf("| %s | %.1f | %.1f | %.1f | %.2f | %.1f |\n", argv[2 + 2 * c], med, t[c * n + n / 10], t[c * n + n * 9 / 10], base > 0 ? med / base : 0, rss[c] / 1024.0);
    }
    return 0;
}
EOF

# Three bundles: /bench runs /bin/true; /check reports its cgroup, limits and device access from inside; /life
# sleeps, for the lifecycle commands.
for b in bench check life; do
  scripts/make-rootfs.sh "$root/$b/rootfs" >/dev/null
  artifacts/bin/berth spec --bundle "$root/$b"
done
python3 - "$root" <<'EOF'
import json, sys
root = sys.argv[1]
for bundle, args in [("bench", ["/bin/true"]), ("life", ["sleep", "600"]), ("check", ["sh", "-c",
        "echo cgroup=$(cat /proc/self/cgroup) memory.max=$(cat /sys/fs/cgroup/memory.max) pids.max=$(cat /sys/fs/cgroup/pids.max);"
        " ls /dev/zero >/dev/null && echo zero-node-exists;"
        " head -c1 /dev/zero >/dev/null 2>&1 && echo zero-readable || echo zero-denied;"
        " head -c1 /dev/urandom >/dev/null && echo urandom-readable"])]:
    path = f"{root}/{bundle}/config.json"
    config = json.load(open(path))
    config["ociVersion"] = "1.0.2"  # crun 1.8.1 refuses newer versions
    config["process"]["terminal"] = False
    config["process"]["args"] = args
    if bundle == "check":
        resources = config["linux"].setdefault("resources", {})
        resources["memory"] = {"limit": 67108864}
        resources["pids"] = {"limit": 32}
        resources["devices"] = [{"allow": False, "access": "rwm"}, {"allow": False, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]
    json.dump(config, open(path, "w"), indent=1)
EOF

cat > "$root/init" <<EOF
#!/bin/sh
export PATH=/bin:/usr/bin
if [ "\$1" != stage2 ]; then
  # pivot_root cannot leave the initramfs: copy everything into a tmpfs and make that the root.
  mount -t tmpfs -o size=1g tmpfs /newroot
  for d in bin usr lib lib64 bench check life init; do [ -e /\$d ] && cp -a /\$d /newroot/; done
  mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/run /newroot/tmp
  exec switch_root /newroot /init stage2
fi
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t cgroup2 none /sys/fs/cgroup; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm /dev/mqueue; mount -t devpts devpts /dev/pts
echo "== kernel \$(uname -r); cgroup v1 hierarchies: \$(grep -c ' - cgroup ' /proc/self/mountinfo); cgroup2: \$(cat /sys/fs/cgroup/cgroup.controllers)"
echo "== berth run of /check (memory 64 MiB, pids 32, devices: deny all, the defaults, then deny c 1:5)"
berth --root /run/berth run --bundle /check check; echo "exit=\$?"
echo "== lifecycle: create, start, exec, pause (cgroup.freeze), resume, kill --all (cgroup.kill), delete"
B="berth --root /run/berth"
\$B create --bundle /life life && echo "state after create: \$(\$B state life | grep '\"status\"')"
\$B start life && echo "state after start: \$(\$B state life | grep '\"status\"')"
\$B exec life sh -c 'echo exec: cgroup=\$(cat /proc/self/cgroup) pid1=\$(cat /proc/1/comm)'
\$B pause life && echo "frozen=\$(cat /sys/fs/cgroup/berth/life/cgroup.freeze) state: \$(\$B state life | grep '\"status\"')"
\$B resume life && echo "state after resume: \$(\$B state life | grep '\"status\"')"
\$B kill --all life KILL; sleep 0.5; echo "state after kill: \$(\$B state life | grep '\"status\"')"
\$B delete life; echo "delete exit=\$?"
echo "== left behind: \$(ls /run/berth | wc -l) state directories, \$(ls -d /sys/fs/cgroup/berth/*/ 2>/dev/null | wc -l) cgroups"
if [ $runs -gt 0 ]; then
  cd /bench
  vmbench $runs berth "/usr/bin/berth --root /run/berth run --bundle /bench b%d" crun "/usr/bin/crun --root /run/crun run --bundle /bench c%d" runc "/usr/bin/runc --root /run/runc run --bundle /bench r%d"
fi
echo "== done"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$work/initrd.gz")
timeout $((300 + runs * 10)) qemu-system-x86_64 -accel tcg -cpu max -m 2048 -smp 2 -kernel "$kernel" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 rdinit=/init cgroup_no_v1=all panic=-1 quiet" -nographic -no-reboot 2>&1 \
  | tr -d '\r' | sed -n 's/.*\(== kernel\)/\1/; /^== kernel/,/^== done/p'
