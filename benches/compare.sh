#!/usr/bin/env bash
# Start-up cost of stockade next to bubblewrap and the kernel's own floor
# (unshare), measured side by side in one hyperfine run so that they share
# the machine's noise. Prints medians and ratios.
#
#   bash benches/compare.sh            # needs hyperfine and bwrap (apt-get install hyperfine bubblewrap)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
S=$PWD/target/release/stockade
runs=${RUNS:-300}
out=$(mktemp)
work=$(mktemp -d) && chmod 0777 "$work" && cd "$work"
hyperfine -N --warmup 30 --runs "$runs" --export-json "$out" \
  -n floor "unshare --user --map-root-user --pid --fork --mount --net --ipc --uts /bin/true" \
  -n bwrap "bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --ro-bind /etc /etc --tmpfs /tmp --proc /proc --dev /dev /bin/true" \
  -n stockade-strict "$S run -p strict -- /bin/true" \
  -n stockade-default "$S run -p default -- /bin/true" >/dev/null
python3 - "$out" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
floor = r["floor"]["median"]
bwrap = r["bwrap"]["median"]
print(f"{'command':<18} {'median':>9} {'vs floor':>9} {'vs bwrap':>9}")
for name, x in r.items():
    m = x["median"]
    print(f"{name:<18} {m*1000:>7.2f}ms {m/floor:>8.2f}x {m/bwrap:>8.2f}x")
PY
