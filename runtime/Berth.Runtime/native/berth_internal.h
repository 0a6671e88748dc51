/* Declarations shared by the C files of the native helper; not part of the managed side's layout. */
#ifndef BERTH_INTERNAL_H
#define BERTH_INTERNAL_H
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "berth_exec.h"

/* channel.c: the fixed-size records between the container's first process and berth. */
int write_full(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);
int send_with_fd(int sock, const void *data, size_t len, int fd);
void report(int fd, int32_t kind, int32_t index, int32_t err, int32_t pid);

/* hooks.c */
pid_t raw_fork(void);
int run_hook(const char *path, char *const argv[], char *const envp[], const void *input, size_t len, int timeout_ms, int staged,
             int output_fd);

/* paths.c: close(2) of a descriptor that may be -1, errno kept. */
void close_keep_errno(int fd);

/* layers.c */
int attach_layers(const struct berth_op *op);

/* paths.c: the container's root and the host's procfs, as descriptors the child holds from the start. */
int paths_open_proc(void);
int paths_set_root(const char *host_path);
int paths_pivot(int no_pivot, const char *host_path, unsigned long old_root_propagation);
void paths_home(void);
int paths_chdir_root(void);
void paths_forget(void);
void paths_keep_dir(const char *path, int fd, int nosym);
int in_root_open(const char *path, int flags, int nosym);
int in_root_mkdir_all(const char *path, mode_t mode, int nosym);
int in_root_create_file(const char *path, mode_t mode);
int in_root_mknod(const struct berth_op *op);
int in_root_symlink(const char *target, const char *path);
int in_root_mount(const struct berth_op *op);
int in_root_bind(const struct berth_op *op, const int *slots);
int in_root_mask(const struct berth_op *op);
int in_root_readonly(const struct berth_op *op);
int in_root_chdir(const char *path);
int in_root_open_device(const char *path, int flags, uint64_t rdev);
int in_root_open_regular(const char *path);
int in_root_find_exec(const char *const *candidates, const char **found);
int proc_write(const char *path, const void *data, size_t len);
extern int paths_force_walk;

/* passwd.c */
const char *passwd_find_home(const char *buf, size_t size, uint32_t uid, size_t *home_len);
int passwd_home_entry(const char *path, uint32_t uid, const char *fallback, const char **entry);

/* ops.c */
int run_op(const struct berth_op *op, int *slots);

/* spawn.c */
int stage_execute(const char *path, const char *const *argv, const char *const *envp, const char *extra);
extern const char *exec_extra_env;
#endif
