/* nosys: run a command with a few newer system calls answering ENOSYS.
 *
 *   nosys COMMAND [ARG...]          (used as: nosys proot -q qemu-aarch64-static -r ROOT ...)
 *
 * Debian 12's proot (5.1) does not translate the paths of statx, faccessat2, openat2 and
 * fchmodat2, so inside its root `[ -x file ]`, `ls` and `stat` see the host's files or fail;
 * clone3 escapes its tracing. glibc and qemu-user fall back to the older calls (fstatat,
 * faccessat, openat, clone, fchmodat) when these say ENOSYS, and proot translates those.
 * The filter is inherited by proot, qemu and everything they start. Built by
 * scripts/arm64-check.sh with `gcc -static -O2`.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NOSYS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NOSYS_ARCH AUDIT_ARCH_AARCH64
#else
#error "nosys: unsupported host architecture"
#endif

/* Numbers older kernel headers may lack (the same on x86-64 and arm64). */
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
                 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
        return 2;
    }
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOSYS_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        DENY(__NR_statx),
        DENY(__NR_faccessat2),
        DENY(__NR_openat2),
        DENY(__NR_clone3),
        DENY(__NR_fchmodat2),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        perror("nosys: PR_SET_NO_NEW_PRIVS");
        return 1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("nosys: PR_SET_SECCOMP");
        return 1;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "nosys: cannot run %s: %s\n", argv[1], strerror(errno));
    return 127;
}
