#!/bin/bash
# Runs inside the second-kernel VM (see run.sh) as PID 1 after switch_root:
# runs every listed test binary, prints STOCKADE-VM-EXIT=<failures>, and
# powers the machine off.
out=$(sed -n 's/.*STOCKADE_VM_OUT=\([^ ]*\).*/\1/p' /proc/cmdline)
cd "$out/../.." || exit 1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TMPDIR=/tmp STOCKADE_TEST_MUST_WORK=1 RUST_BACKTRACE=1
echo "vm: guest kernel $(uname -r)"
ip link set lo up
# A second interface, so --net host differs from the sandbox's own
# network (the guest has no NIC).
ip link add stockade0 type dummy 2>/dev/null || echo "vm: no dummy interface"
failed=0
while read -r t; do
  echo "vm: running $(basename "$t")"
  "$t" --test-threads=2 --color never 2>&1 || failed=$((failed + 1))
done < "$out/tests.list"
echo "STOCKADE-VM-EXIT=$failed"
sync
echo o > /proc/sysrq-trigger
sleep 30
