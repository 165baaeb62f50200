/* stockade escape probe: one attack per invocation, named by argv[1].
 *
 * Every attack prints exactly one verdict line:
 *   ESCAPED: ...          the attack worked, or the call reached the kernel's
 *                         implementation (it failed only on the deliberately
 *                         bad argument: EFAULT for a bad pointer, EBADF for a
 *                         bad descriptor, as bubblewrap's try-syscall does);
 *   blocked: ... (ERRNO)  it failed with an answer the sandbox gives (a
 *                         filter's EPERM/ENOSYS, a missing path, a read-only
 *                         mount, a dropped capability, another namespace);
 *   other: ... (ERRNO)    anything else: neither verdict can be trusted.
 * A seccomp kill ends the whole sandbox with SIGSYS; the test reads that
 * from stockade's exit status.
 *
 * The tests run every attack twice: inside the sandbox, where it must be
 * blocked or killed, and as a control outside it (or with the guarding
 * layer off), where the same probe must print ESCAPED, so no attack can
 * pass by failing for an unrelated reason. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/personality.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#define BAD_PTR ((void *)1)
#define IN_CLOEXEC_FLAG 02000000

static int escaped(const char *what) { printf("ESCAPED: %s\n", what); return 0; }

/* Judges a failed call by its errno: `blocking` lists the sandbox's own
 * answers (0-terminated); `reached` lists the errnos that prove the call
 * got past every check to the bad argument. */
static int judge(const char *what, int err, const int *blocking, const int *reached) {
    for (const int *e = reached; e && *e; e++)
        if (err == *e) { printf("ESCAPED: %s (%s)\n", what, strerrorname_np(err)); return 0; }
    for (const int *e = blocking; *e; e++)
        if (err == *e) { printf("blocked: %s (%s)\n", what, strerrorname_np(err)); return 0; }
    printf("other: %s (%s)\n", what, err ? strerrorname_np(err) : "no errno");
    return 0;
}

#define ERRS(...) ((const int[]){__VA_ARGS__, 0})
/* What a seccomp errno rule, a missing capability or Landlock answers. */
#define FILTERED ERRS(EPERM, ENOSYS, EACCES)
/* What a socket-family rule answers. */
#define NO_FAMILY ERRS(EAFNOSUPPORT, EPERM, ENOSYS, EACCES)
/* A call judged by success, or by the bad argument it was given. */
#define CALL(ok, what, blocking, reached) \
    return (ok) ? escaped(what) : judge(what, errno, blocking, reached)

static int open_probe(const char *path, int flags, const char *what, const int *blocking) {
    int fd = open(path, flags | O_CLOEXEC, 0600);
    if (fd >= 0) { close(fd); return escaped(what); }
    return judge(what, errno, blocking, NULL);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *a = argv[1];
    const char *arg = argc > 2 ? argv[2] : "";
    setvbuf(stdout, NULL, _IONBF, 0);

    if (!strcmp(a, "read-outside")) {        /* a host file that is not bound */
        return open_probe(arg, O_RDONLY, "read a host file outside the view", ERRS(ENOENT, EACCES));
    } else if (!strcmp(a, "write-system")) { /* argv[2]: a path in a system directory */
        int fd = open(arg, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) { unlink(arg); return escaped("create a file in a system directory"); }
        return judge("create a file in a system directory", errno, ERRS(EROFS, EACCES, ENOENT), NULL);
    } else if (!strcmp(a, "dotdot")) {       /* climb from the working directory past the root */
        struct stat root, here;
        if (stat("/", &root)) return judge("stat /", errno, ERRS(0), NULL);
        for (int i = 0; i < 64; i++) (void)!chdir("..");
        if (stat(".", &here)) return judge("stat ..", errno, ERRS(0), NULL);
        if (here.st_ino != root.st_ino || here.st_dev != root.st_dev) return escaped("chdir(..) above the root");
        printf("blocked: chdir(..) stops at the root\n");
        return 0;
    } else if (!strcmp(a, "fds")) {          /* anything but stdio inherited? */
        for (int fd = 3; fd < 1024; fd++)
            if (fcntl(fd, F_GETFD) != -1) { printf("ESCAPED: inherited descriptor %d\n", fd); return 0; }
        printf("blocked: only stdio is open\n");
        return 0;
    } else if (!strcmp(a, "open-by-handle")) { /* the "shocker" escape; a bad handle pointer */
        CALL(syscall(SYS_open_by_handle_at, AT_FDCWD, BAD_PTR, O_RDONLY) >= 0,
             "open_by_handle_at", FILTERED, ERRS(EFAULT, EBADF));
    } else if (!strcmp(a, "proc-exe")) {     /* argv[2]: pid; CVE-2019-5736 starts here */
        char p[64];
        snprintf(p, sizeof p, "/proc/%s/exe", arg);
        return open_probe(p, O_RDONLY, "open another process's executable", ERRS(EACCES, EPERM, ENOENT));
    } else if (!strcmp(a, "proc-root")) {    /* argv[2]: pid whose root may differ from ours */
        struct stat r, p;
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/root/.", arg);
        if (stat("/", &r)) return judge("stat /", errno, ERRS(0), NULL);
        if (stat(path, &p)) return judge("/proc/PID/root", errno, ERRS(EACCES, EPERM, ENOENT), NULL);
        if (r.st_ino != p.st_ino || r.st_dev != p.st_dev) return escaped("/proc/PID/root leads outside");
        printf("blocked: /proc/PID/root is our own root\n");
        return 0;
    } else if (!strcmp(a, "proc-cmdline")) { /* argv[2]: PID:TOKEN; the launcher's argv holds TOKEN */
        char path[64], buf[8192] = {0};
        const char *colon = strchr(arg, ':');
        if (!colon) return 2;
        snprintf(path, sizeof path, "/proc/%.*s/cmdline", (int)(colon - arg), arg);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return judge("read another process's command line", errno, ERRS(EACCES, ENOENT, EPERM), NULL);
        ssize_t n = read(fd, buf, sizeof buf - 1);
        for (ssize_t i = 0; i < n; i++) if (!buf[i]) buf[i] = ' ';
        if (n > 0 && strstr(buf, colon + 1)) return escaped("the launcher's command line");
        printf("blocked: /proc/PID/cmdline shows nothing of the launcher\n");
        return 0;
    } else if (!strcmp(a, "ptrace")) {       /* argv[2]: pid */
        pid_t pid = atoi(arg);
        if (ptrace(PTRACE_ATTACH, pid, 0, 0) == 0) {
            waitpid(pid, NULL, __WALL);
            ptrace(PTRACE_DETACH, pid, 0, 0);
            return escaped("ptrace");
        }
        return judge("ptrace", errno, ERRS(EPERM, ENOSYS, EACCES, ESRCH), NULL);
    } else if (!strcmp(a, "vm-read")) {      /* argv[2]: pid; the address is never mapped */
        char buf[8];
        struct iovec l = {buf, 8}, r = {BAD_PTR, 8};
        CALL(syscall(SYS_process_vm_readv, atoi(arg), &l, 1, &r, 1, 0) >= 0,
             "process_vm_readv", ERRS(EPERM, ENOSYS, EACCES, ESRCH), ERRS(EFAULT));
    } else if (!strcmp(a, "signal-host")) {  /* argv[2]: a host pid */
        CALL(kill(atoi(arg), 0) == 0, "signal a host process", ERRS(ESRCH, EPERM), NULL);
    } else if (!strcmp(a, "abstract-socket")) { /* argv[2]: abstract name of a host listener */
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) return judge("socket(AF_UNIX)", errno, NO_FAMILY, NULL);
        struct sockaddr_un u = {.sun_family = AF_UNIX};
        strncpy(u.sun_path + 1, arg, sizeof u.sun_path - 2);
        CALL(connect(s, (void *)&u, sizeof(sa_family_t) + 1 + strlen(arg)) == 0,
             "connect to a host abstract socket", ERRS(ECONNREFUSED, EPERM, EACCES), NULL);
    } else if (!strcmp(a, "path-socket")) {  /* argv[2]: host path of a listening socket */
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) return judge("socket(AF_UNIX)", errno, NO_FAMILY, NULL);
        struct sockaddr_un u = {.sun_family = AF_UNIX};
        strncpy(u.sun_path, arg, sizeof u.sun_path - 1);
        CALL(connect(s, (void *)&u, sizeof u) == 0, "connect to a host filesystem socket",
             ERRS(ENOENT, EACCES, EPERM, ECONNREFUSED), NULL);
    } else if (!strcmp(a, "tcp-loopback")) { /* argv[2]: port of a host listener on 127.0.0.1 */
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) return judge("socket(AF_INET)", errno, NO_FAMILY, NULL);
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(atoi(arg))};
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CALL(connect(s, (void *)&in, sizeof in) == 0, "TCP to the host's loopback",
             ERRS(ECONNREFUSED, ENETUNREACH, EPERM, EACCES), NULL);
    } else if (!strcmp(a, "vsock")) {       /* the hypervisor's port space; no namespace covers it */
        CALL(socket(40 /* AF_VSOCK */, SOCK_STREAM | SOCK_CLOEXEC, 0) >= 0, "AF_VSOCK socket", NO_FAMILY, NULL);
    } else if (!strcmp(a, "vsock-high")) {  /* the same with bits above the int the kernel reads */
        CALL(syscall(SYS_socket, (1L << 32) | 40, SOCK_STREAM | SOCK_CLOEXEC, 0) >= 0,
             "AF_VSOCK socket with the high bits set", NO_FAMILY, NULL);
    } else if (!strcmp(a, "packet")) {      /* raw frames: needs CAP_NET_RAW, and the filter says no first */
        CALL(syscall(SYS_socket, (1L << 32) | AF_PACKET, SOCK_RAW, 0) >= 0, "AF_PACKET socket", NO_FAMILY, NULL);
    } else if (!strcmp(a, "stack-filter")) { /* silence the sandbox's kill with a filter of our own */
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_listen, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {sizeof f / sizeof *f, f};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
            return judge("stack a seccomp filter", errno, FILTERED, NULL);
        /* From here our filter answers listen with EPERM, outranking the
         * sandbox's kill notification. */
        return escaped(listen(-1, 1) == -1 && errno == EPERM ? "a stacked filter silenced the sandbox's verdict on listen"
                                                             : "stacked a seccomp filter");
    } else if (!strcmp(a, "personality")) { /* READ_IMPLIES_EXEC: every readable mapping executable */
        CALL(syscall(SYS_personality, READ_IMPLIES_EXEC) != -1 && (personality(0xffffffff) & READ_IMPLIES_EXEC),
             "personality(READ_IMPLIES_EXEC)", FILTERED, NULL);
    } else if (!strcmp(a, "setuid-file")) { /* argv[2]: a path in a writable directory */
        struct stat st;
        unlink(arg);
        int fd = open(arg, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 04755);
        int err = errno;
        if (fd >= 0) {
            int bad = fstat(fd, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID));
            close(fd);
            if (bad) { unlink(arg); return escaped("created a set-user-ID file"); }
        } else if (err != EPERM) {
            return judge("open(O_CREAT, 04755)", err, ERRS(0), NULL);
        } else if ((fd = open(arg, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0755)) >= 0) {
            close(fd);
        }
        int r = chmod(arg, 02755);
        err = errno;
        int bad = r == 0 && stat(arg, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID));
        unlink(arg);
        if (bad) return escaped("made a file set-group-ID");
        return judge("chmod(02755)", r == 0 ? 0 : err, ERRS(EPERM), NULL);
    } else if (!strcmp(a, "inotify-flood")) { /* argv[2]: instances wanted (the launching user's share) */
        int want = atoi(arg), n = 0;
        while (n < want && syscall(SYS_inotify_init1, IN_CLOEXEC_FLAG) >= 0) n++;
        if (n >= want) return escaped("took the launching user's inotify instances");
        return judge("inotify_init1", errno, ERRS(EMFILE), NULL);
    } else if (!strcmp(a, "sigqueue-flood")) { /* argv[2]: signals wanted queued */
        int want = atoi(arg), n = 0;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGRTMIN);
        sigprocmask(SIG_BLOCK, &set, NULL);
        union sigval v = {0};
        while (n < want && sigqueue(getpid(), SIGRTMIN, v) == 0) n++;
        if (n >= want) return escaped("queued the launching user's share of signals");
        return judge("sigqueue", errno, ERRS(EAGAIN), NULL);
    } else if (!strcmp(a, "memfd-exec")) {  /* code written to memory, then executed */
        int src = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
        int mfd = syscall(SYS_memfd_create, "x", 1 /* MFD_CLOEXEC */);
        if (src < 0) return judge("open /usr/bin/true", errno, ERRS(0), NULL);
        if (mfd < 0) return judge("memfd_create", errno, FILTERED, NULL);
        char buf[65536];
        ssize_t n;
        while ((n = read(src, buf, sizeof buf)) > 0) (void)!write(mfd, buf, n);
        pid_t p = fork();
        if (p == 0) {
            char *argv[] = {"true", NULL}, *envp[] = {NULL};
            syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
            _exit(errno == EACCES ? 11 : errno == EPERM ? 12 : 13);
        }
        int st = 0;
        waitpid(p, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return escaped("executed code from a memfd");
        if (WIFEXITED(st) && WEXITSTATUS(st) == 11) return judge("execveat(memfd)", EACCES, FILTERED, NULL);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 12) return judge("execveat(memfd)", EPERM, FILTERED, NULL);
        return judge("execveat(memfd)", 0, ERRS(0), NULL);
    } else if (!strcmp(a, "tiocsti")) {      /* stdin is a terminal; the high bits are ignored by the kernel */
        char c = '#';
        if (!isatty(0)) return judge("TIOCSTI needs a terminal on stdin", ENOTTY, ERRS(0), NULL);
        CALL(syscall(SYS_ioctl, 0, TIOCSTI | 0x100000000UL, &c) == 0, "TIOCSTI into the terminal",
             ERRS(EPERM, ENOSYS, EACCES, EIO), NULL);
    } else if (!strcmp(a, "tioclinux")) {    /* the filter alone: a bad descriptor */
        char c = 2;
        CALL(syscall(SYS_ioctl, -1, TIOCLINUX, &c) == 0, "TIOCLINUX", FILTERED, ERRS(EBADF));
    } else if (!strcmp(a, "userns")) {
        CALL(unshare(CLONE_NEWUSER) == 0, "nested user namespace", ERRS(EPERM, ENOSYS, ENOSPC, EACCES), NULL);
    } else if (!strcmp(a, "mount")) {
        CALL(mount("none", "/tmp", "tmpfs", 0, 0) == 0, "mount", FILTERED, NULL);
    } else if (!strcmp(a, "io-uring")) {     /* a bad params pointer */
        CALL(syscall(SYS_io_uring_setup, 1, BAD_PTR) >= 0, "io_uring_setup", FILTERED, ERRS(EFAULT));
    } else if (!strcmp(a, "bpf")) {          /* a bad attr pointer */
        CALL(syscall(SYS_bpf, 0, BAD_PTR, 72) >= 0, "bpf", FILTERED, ERRS(EFAULT));
    } else if (!strcmp(a, "perf")) {         /* a bad attr pointer */
        CALL(syscall(SYS_perf_event_open, BAD_PTR, 0, -1, -1, 0) >= 0, "perf_event_open", FILTERED, ERRS(EFAULT));
    } else if (!strcmp(a, "keyctl")) {       /* an unknown command */
        CALL(syscall(SYS_keyctl, 0x7fff, 0, 0) >= 0, "keyctl", FILTERED, ERRS(EOPNOTSUPP));
#if defined(__x86_64__)
    } else if (!strcmp(a, "x32")) {          /* kernels without x32 answer ENOSYS; the filter kills */
        CALL(syscall(0x40000000L | 39) >= 0, "x32 getpid", ERRS(0), ERRS(ENOSYS));
    } else if (!strcmp(a, "int80")) {        /* i386 getpid; the filter kills */
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
        CALL(r > 0, "i386 getpid through int 0x80", ERRS(0), ERRS(ENOSYS));
#endif
    } else if (!strcmp(a, "caps")) {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        if (!f) return judge("read /proc/self/status", errno, ERRS(0), NULL);
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "Cap", 3) && !strstr(line, "0000000000000000")) return escaped(line);
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return escaped("no_new_privs is not set");
        printf("blocked: no capability, no_new_privs set\n");
        return 0;
    } else if (!strcmp(a, "proc-sys")) {     /* opened for writing, never written */
        return open_probe("/proc/sys/kernel/hostname", O_WRONLY, "write /proc/sys", ERRS(EROFS, EACCES, ENOENT));
    } else if (!strcmp(a, "sysrq")) {        /* opened for writing, never written */
        return open_probe("/proc/sysrq-trigger", O_WRONLY, "write /proc/sysrq-trigger", ERRS(EROFS, EACCES, ENOENT));
    } else if (!strcmp(a, "sys")) {
        CALL(access("/sys/kernel", F_OK) == 0, "see /sys", ERRS(ENOENT, EACCES), NULL);
    } else if (!strcmp(a, "devices")) {
        const char *devs[] = {"/dev/mem", "/dev/kmem", "/dev/kmsg", "/dev/port", "/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/loop0"};
        for (unsigned i = 0; i < sizeof devs / sizeof *devs; i++) {
            int fd = open(devs[i], O_RDONLY | O_CLOEXEC);
            if (fd >= 0) return escaped(devs[i]);
            if (errno != ENOENT && errno != EACCES && errno != EPERM) return judge(devs[i], errno, ERRS(0), NULL);
        }
        printf("blocked: no kernel or block device opens\n");
        return 0;
    } else if (!strcmp(a, "hostname")) {
        CALL(sethostname("stockade-escaped", 16) == 0, "sethostname", FILTERED, NULL);
    } else if (!strcmp(a, "env")) {
        if (getenv("STOCKADE_TEST_SECRET")) return escaped("host environment secret");
        printf("blocked: the secret is not in the environment\n");
        return 0;
    } else if (!strcmp(a, "fork-bomb")) {   /* argv[2]: how many processes at once */
        int want = atoi(arg), n = 0;
        pid_t *kids = calloc(want > 0 ? want : 1, sizeof *kids);
        if (!kids) return judge("calloc", errno, ERRS(0), NULL);
        for (; n < want; n++) {
            pid_t p = fork();
            if (p == 0) { pause(); _exit(0); }
            if (p < 0) break;
            kids[n] = p;
        }
        int err = errno;
        for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
        for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
        if (n >= want) return escaped("unbounded fork");
        return judge("fork", err, ERRS(EAGAIN), NULL);
    } else if (!strcmp(a, "memory-bomb")) { /* argv[2]: MiB to touch */
        size_t want = (size_t)atoi(arg) << 20, total = 0;
        while (total < want) {
            void *p = mmap(0, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
            if (p == MAP_FAILED) return judge("allocate", errno, ERRS(ENOMEM), NULL);
            total += 16 << 20;
        }
        return escaped("unbounded memory");
    }
    return 2;
}
