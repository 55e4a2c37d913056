/* Host files on POSIX systems. */
#include "platform/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int kind_of(const struct stat *st)
{
    if (S_ISDIR(st->st_mode))
        return MPF_FILE_DIR;
    if (S_ISCHR(st->st_mode))
        return MPF_FILE_DEVICE;
    return S_ISREG(st->st_mode) ? MPF_FILE_REGULAR : MPF_FILE_OTHER;
}

FILE *mpf_file_open_read(const char *path)
{
    /* O_NONBLOCK: a FIFO or tty put at the path after the caller checked it
     * must not hold the open; O_NOCTTY: a tty must not become ours. Neither
     * changes how a regular file reads. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd); /* Linux opens a folder for reading; reading it fails later */
        errno = EISDIR;
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

FILE *mpf_file_create_new(const char *path)
{
    /* The mode 0666 goes through the umask like any new file. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(path);
        errno = e;
    }
    return f;
}

int mpf_file_kind(FILE *f, uint64_t *size)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return -1;
    if (S_ISREG(st.st_mode))
        *size = (uint64_t)st.st_size;
    return kind_of(&st);
}

int mpf_file_kind_of_path(const char *path)
{
    struct stat st;
    return stat(path, &st) != 0 ? -1 : kind_of(&st);
}

int mpf_file_sync(FILE *f)
{
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        return errno;
    return 0;
}

int mpf_file_replace(const char *from, const char *to)
{
    return rename(from, to) == 0 ? 0 : errno;
}

void mpf_file_sync_folder_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1; /* "/file": the root */
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int mpf_file_remove(const char *path)
{
    return unlink(path) == 0 ? 0 : errno;
}

long mpf_process_id(void)
{
    return (long)getpid();
}

int mpf_file_same(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}
