/* stockade escape probe: one attack per invocation, named by argv[1].
 * Prints "blocked: ..." when the sandbox held, "ESCAPED: ..." when the
 * attack worked. A seccomp kill (the whole sandbox dies with SIGSYS) also
 * counts as held; the test reads stockade's exit status for that. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

static int held(const char *what) { printf("blocked: %s (%s)\n", what, strerrorname_np(errno)); return 0; }
static int escaped(const char *what) { printf("ESCAPED: %s\n", what); return 0; }
#define CHECK(cond, what) return (cond) ? escaped(what) : held(what)

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *a = argv[1];
    const char *arg = argc > 2 ? argv[2] : "";
    if (!strcmp(a, "read-outside")) {          /* a host path that is not bound */
        CHECK(open(arg, O_RDONLY) >= 0, "read a host file outside the view");
    } else if (!strcmp(a, "write-system")) {
        CHECK(open("/usr/stockade-escape", O_CREAT | O_WRONLY, 0644) >= 0, "create a file in /usr");
    } else if (!strcmp(a, "dotdot")) {          /* climb above the root after pivot_root */
        struct stat root, here;
        stat("/", &root);
        for (int i = 0; i < 64; i++) chdir("..");
        stat(".", &here);
        errno = 0;
        CHECK(here.st_ino != root.st_ino || here.st_dev != root.st_dev, "chdir(..) above the root");
    } else if (!strcmp(a, "fds")) {             /* anything but stdio inherited? */
        int extra = 0;
        for (int fd = 3; fd < 1024; fd++) if (fcntl(fd, F_GETFD) != -1) extra++;
        errno = EBADF;
        CHECK(extra > 0, "inherited descriptor beyond stdio");
    } else if (!strcmp(a, "open-by-handle")) {
        char buf[128] = {0};
        CHECK(syscall(SYS_open_by_handle_at, AT_FDCWD, buf, O_RDONLY) >= 0, "open_by_handle_at");
    } else if (!strcmp(a, "proc-exe")) {        /* CVE-2019-5736 shape: reach the launcher's binary */
        int fd = open("/proc/1/exe", O_RDONLY);
        if (fd < 0) return held("open /proc/1/exe");
        CHECK(write(fd, "x", 1) == 1 || open("/proc/1/exe", O_WRONLY) >= 0, "write the launcher's binary");
    } else if (!strcmp(a, "proc-root")) {
        struct stat r, p;
        stat("/", &r);
        if (stat("/proc/1/root/.", &p) != 0) return held("/proc/1/root");
        CHECK(r.st_ino != p.st_ino || r.st_dev != p.st_dev, "/proc/1/root leads outside");
    } else if (!strcmp(a, "ptrace")) {
        CHECK(ptrace(PTRACE_ATTACH, 1, 0, 0) == 0, "ptrace PID 1");
    } else if (!strcmp(a, "vm-read")) {
        char buf[8]; struct iovec l = {buf, 8}, r = {(void *)0x400000, 8};
        CHECK(syscall(SYS_process_vm_readv, 1, &l, 1, &r, 1, 0) >= 0, "process_vm_readv of PID 1");
    } else if (!strcmp(a, "signal-host")) {     /* argv[2]: a host pid */
        CHECK(kill(atoi(arg), 0) == 0, "signal a host process");
    } else if (!strcmp(a, "abstract-socket")) { /* argv[2]: abstract name of a host listener */
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un u = {.sun_family = AF_UNIX};
        strncpy(u.sun_path + 1, arg, sizeof u.sun_path - 2);
        CHECK(s >= 0 && connect(s, (void *)&u, sizeof(sa_family_t) + 1 + strlen(arg)) == 0, "connect to a host abstract socket");
    } else if (!strcmp(a, "path-socket")) {     /* argv[2]: host path of a listening socket */
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un u = {.sun_family = AF_UNIX};
        strncpy(u.sun_path, arg, sizeof u.sun_path - 1);
        CHECK(s >= 0 && connect(s, (void *)&u, sizeof u) == 0, "connect to a host filesystem socket");
    } else if (!strcmp(a, "tcp-loopback")) {    /* argv[2]: port of a host listener on 127.0.0.1 */
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(atoi(arg))};
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(s >= 0 && connect(s, (void *)&in, sizeof in) == 0, "TCP to the host's loopback");
    } else if (!strcmp(a, "tiocsti")) {
        char c = 'x';
        CHECK(syscall(SYS_ioctl, 0, TIOCSTI | 0x100000000UL, &c) == 0, "TIOCSTI");
    } else if (!strcmp(a, "tioclinux")) {
        char c = 2;
        CHECK(syscall(SYS_ioctl, 0, TIOCLINUX, &c) == 0, "TIOCLINUX");
    } else if (!strcmp(a, "userns")) {
        CHECK(unshare(CLONE_NEWUSER) == 0, "nested user namespace");
    } else if (!strcmp(a, "mount")) {
        CHECK(mount("none", "/tmp", "tmpfs", 0, 0) == 0, "mount");
    } else if (!strcmp(a, "io-uring")) {
        char params[120] = {0};
        CHECK(syscall(SYS_io_uring_setup, 1, params) >= 0, "io_uring_setup");
    } else if (!strcmp(a, "bpf")) {
        char attr[128] = {0};
        CHECK(syscall(SYS_bpf, 0, attr, sizeof attr) >= 0, "bpf");
    } else if (!strcmp(a, "perf")) {
        char attr[128] = {0};
        CHECK(syscall(SYS_perf_event_open, attr, 0, -1, -1, 0) >= 0, "perf_event_open");
    } else if (!strcmp(a, "keyctl")) {
        CHECK(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0) >= 0, "keyctl");
#if defined(__x86_64__)
    } else if (!strcmp(a, "x32")) {
        CHECK(syscall(0x40000000L | 39) >= 0, "x32 getpid");
    } else if (!strcmp(a, "int80")) {
        long r; __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L));
        errno = 0;
        CHECK(r > 0, "i386 getpid through int 0x80");
#endif
    } else if (!strcmp(a, "caps")) {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256]; int bad = 0;
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Cap", 3) && !strstr(line, "0000000000000000")) bad = 1;
        errno = 0;
        CHECK(bad || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1, "a capability or missing no_new_privs");
    } else if (!strcmp(a, "proc-sys")) {
        CHECK(open("/proc/sys/kernel/hostname", O_WRONLY) >= 0 || open("/proc/sysrq-trigger", O_WRONLY) >= 0, "write /proc/sys");
    } else if (!strcmp(a, "sys")) {
        CHECK(access("/sys/kernel", F_OK) == 0, "see /sys");
    } else if (!strcmp(a, "devices")) {
        const char *devs[] = {"/dev/mem", "/dev/kmem", "/dev/kmsg", "/dev/port", "/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/loop0"};
        for (unsigned i = 0; i < sizeof devs / sizeof *devs; i++)
            if (open(devs[i], O_RDONLY) >= 0) return escaped(devs[i]);
        return held("kernel and block devices");
    } else if (!strcmp(a, "hostname")) {
        CHECK(sethostname("stockade-escaped", 16) == 0, "sethostname");
    } else if (!strcmp(a, "env")) {
        errno = 0;
        CHECK(getenv("STOCKADE_TEST_SECRET") != NULL, "host environment secret");
    } else if (!strcmp(a, "fork-bomb")) {
        int n = 0;
        for (int i = 0; i < 100000; i++) { pid_t p = fork(); if (p == 0) { pause(); _exit(0); } if (p < 0) break; n++; }
        errno = EAGAIN;
        CHECK(n >= 100000, "unbounded fork");
    } else if (!strcmp(a, "memory-bomb")) {
        size_t total = 0;
        for (int i = 0; i < 4096; i++) { void *p = mmap(0, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0); if (p == MAP_FAILED) break; total += 16 << 20; }
        errno = ENOMEM;
        CHECK(total >= (size_t)4096 << 20, "unbounded memory");
    } else {
        return 2;
    }
}
