#!/usr/bin/env bash
# Second-kernel harness: boots Debian's stock kernel (linux-image-amd64)
# under qemu and runs stockade's sandbox tests inside it, as root (the
# tests drop to uid 65534 for their rootless runs).
#
# The guest sees the host's root filesystem read-only over 9p, so the test
# binaries built here run there unchanged; it gets its own /proc, /sys,
# /dev and a tmpfs /tmp. KVM is used when /dev/kvm works, TCG otherwise.
#
#   bash tests/vm/run.sh            # build the tests, boot, run them
#   STOCKADE_VM_TESTS="escape cli" bash tests/vm/run.sh   # a subset
#
# Prints a short summary; the whole guest log is kept in
# target/vm/console.log. Exits non-zero when a test fails in the guest or
# the guest does not finish.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
out=$repo/target/vm
mkdir -p "$out"

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || need+=(linux-image-amd64)
command -v modinfo >/dev/null || need+=(kmod)
command -v cpio >/dev/null || need+=(cpio)
if [ ${#need[@]} -gt 0 ]; then
  echo "vm: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian's newest packaged kernel (not necessarily the running one).
kver=$(ls /boot/vmlinuz-*-amd64 | sed 's|/boot/vmlinuz-||' | sort -V | tail -n 1)
kernel=/boot/vmlinuz-$kver
[ -d "/lib/modules/$kver" ] || { echo "vm: no modules for $kver"; exit 1; }

# The test binaries, built on the host; the guest runs them from the share.
tests=${STOCKADE_VM_TESTS:-sandbox escape privileges seccomp cli library hosts child_alloc architecture cgroup terminal profiles}
exes=$(cargo test --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, sys
want = set(sys.argv[1].split())
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["target"]["kind"] == ["test"] and m["target"]["name"] in want:
        print(m["executable"])
' "$tests")
[ -n "$exes" ] || { echo "vm: no test binaries built"; exit 1; }

# The initramfs: static busybox, the virtio and 9p modules, an init.
initrd=$out/initrd
rm -rf "$initrd"
mkdir -p "$initrd"/{bin,dev,proc,sys,newroot,hostroot,lib/modules}
cp /bin/busybox "$initrd/bin/busybox"
for t in sh mount insmod mkdir switch_root cat echo sleep poweroff test [; do
  ln -s busybox "$initrd/bin/$t"
done
order=()
add_module() {
  local m=$1 dep f
  for seen in "${order[@]}"; do [ "$seen" = "$m" ] && return 0; done
  for dep in $(modinfo -k "$kver" -F depends "$m" | tr ',' ' '); do add_module "$dep"; done
  f=$(modinfo -k "$kver" -F filename "$m")
  case "$f" in
    (builtin) return 0 ;;
    (*.ko.xz) xz -dc "$f" > "$initrd/lib/modules/$m.ko" ;;
    (*.ko.zst) zstd -qdc "$f" > "$initrd/lib/modules/$m.ko" ;;
    (*) cp "$f" "$initrd/lib/modules/$m.ko" ;;
  esac
  order+=("$m")
}
for m in virtio_pci 9pnet_virtio 9p; do add_module "$m"; done
printf '%s\n' "${order[@]}" > "$initrd/modules"

cat > "$initrd/init" <<INIT
#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in \$(cat /modules); do insmod /lib/modules/\$m.ko || echo "vm: insmod \$m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 host /newroot || {
  echo "vm: cannot mount the host's root"; echo o > /proc/sysrq-trigger; sleep 10; }
# The guest's own /proc, /sys, /dev, /tmp and /run cover the host's; keep a
# view of the whole share for the repository, which may live under one.
mount --bind /newroot /hostroot
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmp /newroot/dev/shm
mount -t tmpfs -o mode=1777 tmp /newroot/tmp
mount -t tmpfs -o mode=755 run /newroot/run
if [ ! -d "/newroot$repo/tests/vm" ]; then
  mkdir -p "/newroot$repo" && mount --bind "/hostroot$repo" "/newroot$repo"
fi
exec switch_root /newroot /bin/bash $repo/tests/vm/guest.sh
INIT
chmod +x "$initrd/init"
printf '%s\n' $exes > "$out/tests.list"
(cd "$initrd" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out/initrd.img"

# KVM when it can boot this kernel (nested KVM sometimes cannot: a quick
# probe must print the kernel banner), TCG otherwise. TCG runs both vCPUs
# on one host thread: with a thread per vCPU, a JVM that patches a
# compiled method's entry while another thread runs it crashes with
# SIGILL a few bytes past that entry, since qemu then translates code
# another vCPU is half-way through rewriting (the everyday java run: 2
# crashes in 23 runs, one of them outside any sandbox; none in 24 on one
# thread, where the whole suite takes 1,233 s instead of 705).
accel=(-accel tcg,thread=single -cpu max)
if [ -w /dev/kvm ] && timeout 15 qemu-system-x86_64 -accel kvm -cpu host,-arch-capabilities \
     -m 256M -nographic -no-reboot -nic none -kernel "$kernel" \
     -append "console=ttyS0 panic=-1 init=/none" </dev/null 2>/dev/null |
     grep -aq -m1 'Linux version'; then
  accel=(-accel kvm -cpu host,-arch-capabilities)
fi
echo "vm: booting Debian's $kver (${accel[1]}), tests: $tests"
start=$(date +%s)
set +e
timeout "${STOCKADE_VM_TIMEOUT:-3000}" qemu-system-x86_64 "${accel[@]}" -m 4G -smp 2 \
  -nographic -no-reboot -nic none \
  -kernel "$kernel" -initrd "$out/initrd.img" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3 STOCKADE_VM_OUT=$out" \
  -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
  </dev/null > "$out/console.log" 2>&1
qrc=$?
set -e
secs=$(( $(date +%s) - start ))
# The summary: each binary's result line, every failure with its message
# (up to 25 lines, until the backtrace), the verdict.
tr -d '\r' < "$out/console.log" | awk '
  msg > 0 && (/^stack backtrace:/ || /^note: /) { msg = 0 }
  msg > 0 { print; msg--; next }
  /panicked at/ { print; msg = 25; next }
  /^vm:|^test result:|^failures:|^    [a-z_]+$|^skipped:|^---- / { print }
' || true
verdict=$(grep -a '^STOCKADE-VM-EXIT=' "$out/console.log" | tr -d '\r' | tail -n 1 | cut -d= -f2)
echo "vm: $kver, ${secs}s, qemu exit $qrc, guest verdict ${verdict:-none} (log: target/vm/console.log)"
[ "${verdict:-1}" = 0 ]
