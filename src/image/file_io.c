/* Host file access for firmware images: whole-file reads with a size cap,
 * and writes that never leave a half-written file under the final name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpflash/image.h"

/* Far above any STM32 flash; stops a wrong path (a disk image, /dev/zero)
 * from eating memory. */
#define MAX_FILE_SIZE ((size_t)256 * 1024 * 1024)

static mpf_err read_all(int fd, const char *path, uint8_t **buf, size_t *len, size_t hint,
                        mpf_error *err)
{
    size_t cap = hint ? hint + 1 : 4096; /* +1 so a regular file ends with one short read */
    uint8_t *data = malloc(cap);
    if (!data)
        return mpf_error_set(err, MPF_ERR_NOMEM, "%s: out of memory for %zu bytes", path, cap);
    size_t used = 0;
    for (;;) {
        if (used == cap) {
            if (cap > MAX_FILE_SIZE) {
                free(data);
                return mpf_error_set(err, MPF_ERR_INPUT,
                                     "%s: larger than %zu MiB; that is not a firmware image, check the file name",
                                     path, MAX_FILE_SIZE >> 20);
            }
            /* Stop one byte past the cap: that byte is the proof of "too large". */
            size_t grown_cap = cap < MAX_FILE_SIZE / 2 ? cap * 2 : MAX_FILE_SIZE + 1;
            uint8_t *grown = realloc(data, grown_cap);
            if (!grown) {
                free(data);
                return mpf_error_set(err, MPF_ERR_NOMEM, "%s: out of memory for %zu bytes", path, grown_cap);
            }
            data = grown;
            cap = grown_cap;
        }
        ssize_t n = read(fd, data + used, cap - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(data);
            return mpf_error_set(err, MPF_ERR_IO, "%s: read failed at offset %zu: %s", path, used, strerror(e));
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    if (used > MAX_FILE_SIZE) {
        free(data);
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: larger than %zu MiB; that is not a firmware image, check the file name",
                             path, MAX_FILE_SIZE >> 20);
    }
    *buf = data;
    *len = used;
    return MPF_OK;
}

mpf_err mpf_read_file(const char *path, uint8_t **buf, size_t *len, mpf_error *err)
{
    if (!path || !buf || !len)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_read_file: path, buf and len must not be NULL");
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return mpf_error_set(err, MPF_ERR_IO, "cannot open %s: %s; check the path and permissions", path,
                             strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return mpf_error_set(err, MPF_ERR_IO, "cannot stat %s: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return mpf_error_set(err, MPF_ERR_IO, "%s is a directory; give the firmware file inside it", path);
    }
    size_t hint = 0;
    if (S_ISREG(st.st_mode)) {
        if ((unsigned long long)st.st_size > MAX_FILE_SIZE) {
            close(fd);
            return mpf_error_set(err, MPF_ERR_INPUT,
                                 "%s: %lld bytes is larger than %zu MiB; that is not a firmware image, check the file name",
                                 path, (long long)st.st_size, MAX_FILE_SIZE >> 20);
        }
        hint = (size_t)st.st_size;
    }
    mpf_err rc = read_all(fd, path, buf, len, hint, err);
    close(fd);
    return rc;
}

static mpf_err write_all(int fd, const char *tmp, const uint8_t *p, size_t len, mpf_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return mpf_error_set(err, MPF_ERR_IO, "cannot write %s at offset %zu: %s", tmp, done,
                                 strerror(errno));
        }
        done += (size_t)n;
    }
    return MPF_OK;
}

/* A fresh name beside the target: same directory, so rename is atomic. The
 * mode 0666 goes through the umask like any new file. */
static int open_temp(const char *path, char *tmp, size_t tmp_size)
{
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        int n = snprintf(tmp, tmp_size, "%s.tmp%ld.%u", path, (long)getpid(), attempt);
        if (n < 0 || (size_t)n >= tmp_size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Make the rename itself durable; a failure here loses nothing already
 * written, so it is not reported. */
static void sync_parent_dir(const char *path)
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
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

mpf_err mpf_write_file_atomic(const char *path, const void *buf, size_t len, mpf_error *err)
{
    if (!path || (!buf && len))
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_write_file_atomic: path and buf must not be NULL");
    char tmp[4096];
    int fd = open_temp(path, tmp, sizeof tmp);
    if (fd < 0)
        return mpf_error_set(err, MPF_ERR_IO, "cannot create a temporary file next to %s: %s; check the directory exists and is writable",
                             path, strerror(errno));
    mpf_err rc = write_all(fd, tmp, buf, len, err);
    if (!rc && fsync(fd) != 0)
        rc = mpf_error_set(err, MPF_ERR_IO, "cannot flush %s to disk: %s", tmp, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = mpf_error_set(err, MPF_ERR_IO, "cannot close %s: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = mpf_error_set(err, MPF_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc) {
        unlink(tmp);
        return rc;
    }
    sync_parent_dir(path);
    return MPF_OK;
}
