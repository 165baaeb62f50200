# The commands compare.sh and cpu.sh measure stockade against (sourced):
# the kernel's floor, the same namespaces with no view, and bubblewrap
# building the view of stockade's strict profile (its payload follows).
floor="unshare --user --map-root-user --pid --fork --mount --net --ipc --uts /bin/true"
bwrap_cmd="bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --ro-bind /etc /etc --tmpfs /tmp --proc /proc --dev /dev"
