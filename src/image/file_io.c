/* Host file access for firmware images: whole-file reads with a size cap,
 * and writes that never leave a half-written file under the final name.
 * Files are binary on every system (src/platform/file.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpflash/image.h"
#include "platform/file.h"

/* Far above any STM32 flash; stops a wrong path (a disk image) from eating
 * memory. */
#define MAX_FILE_SIZE ((size_t)256 * 1024 * 1024)

static mpf_err read_all(FILE *f, const char *path, uint8_t **buf, size_t *len, size_t hint,
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
        size_t n = fread(data + used, 1, cap - used, f);
        used += n;
        if (n == 0 && ferror(f)) {
            int e = errno;
            free(data);
            return mpf_error_set(err, MPF_ERR_IO, "%s: read failed at offset %zu: %s", path, used, strerror(e));
        }
        if (n == 0 || feof(f))
            break;
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

/* Only a regular file is read: a tty or a FIFO would wait forever for bytes,
 * /dev/zero would give them forever. kind is what the path turned out to be. */
static mpf_err refuse_kind(const char *path, int kind, mpf_error *err)
{
    if (kind == MPF_FILE_DIR)
        return mpf_error_set(err, MPF_ERR_IO, "%s is a directory, not a regular file; give the firmware file inside it",
                             path);
    if (kind == MPF_FILE_DEVICE)
        return mpf_error_refuse(err, MPF_ERR_IO, MPF_REASON_DEVICE_FILE,
                                "%s is a device (a serial port?), not a regular file; give the firmware file", path);
    return mpf_error_set(err, MPF_ERR_IO, "%s is not a regular file (a pipe or socket); give the firmware file itself",
                         path);
}

mpf_err mpf_read_file(const char *path, uint8_t **buf, size_t *len, mpf_error *err)
{
    if (!path || !buf || !len)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_read_file: path, buf and len must not be NULL");
    *buf = NULL;
    *len = 0;
    /* Looked at before opening: opening a serial port can reset the board,
     * and opening a FIFO waits for a writer. */
    int kind = mpf_file_kind_of_path(path);
    if (kind < 0)
        return mpf_error_set(err, MPF_ERR_IO, "cannot open %s: %s; check the path and permissions", path,
                             strerror(errno));
    if (kind != MPF_FILE_REGULAR)
        return refuse_kind(path, kind, err);
    FILE *f = mpf_file_open_read(path);
    if (!f && errno == EISDIR)
        return refuse_kind(path, MPF_FILE_DIR, err);
    if (!f)
        return mpf_error_set(err, MPF_ERR_IO, "cannot open %s: %s; check the path and permissions", path,
                             strerror(errno));
    uint64_t size = 0;
    kind = mpf_file_kind(f, &size); /* again: the path may name another file by now */
    if (kind < 0) {
        int e = errno;
        fclose(f);
        return mpf_error_set(err, MPF_ERR_IO, "cannot stat %s: %s", path, strerror(e));
    }
    if (kind != MPF_FILE_REGULAR) {
        fclose(f);
        return refuse_kind(path, kind, err);
    }
    if (size > MAX_FILE_SIZE) {
        fclose(f);
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: %llu bytes is larger than %zu MiB; that is not a firmware image, check the file name",
                             path, (unsigned long long)size, MAX_FILE_SIZE >> 20);
    }
    mpf_err rc = read_all(f, path, buf, len, (size_t)size, err);
    fclose(f);
    return rc;
}

/* A fresh name beside the target: same folder, so the replace is atomic. */
static FILE *create_temp(const char *path, char *tmp, size_t tmp_size)
{
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        int n = snprintf(tmp, tmp_size, "%s.tmp%ld.%u", path, mpf_process_id(), attempt);
        if (n < 0 || (size_t)n >= tmp_size) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        FILE *f = mpf_file_create_new(tmp);
        if (f || errno != EEXIST)
            return f;
    }
    errno = EEXIST;
    return NULL;
}

mpf_err mpf_write_file_atomic(const char *path, const void *buf, size_t len, mpf_error *err)
{
    if (!path || (!buf && len))
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_write_file_atomic: path and buf must not be NULL");
    char tmp[4096];
    FILE *f = create_temp(path, tmp, sizeof tmp);
    if (!f)
        return mpf_error_set(err, MPF_ERR_IO, "cannot create a temporary file next to %s: %s; check the directory exists and is writable",
                             path, strerror(errno));
    mpf_err rc = MPF_OK;
    size_t done = len ? fwrite(buf, 1, len, f) : 0;
    if (done != len)
        rc = mpf_error_set(err, MPF_ERR_IO, "cannot write %s at offset %zu: %s", tmp, done, strerror(errno));
    int e = rc ? 0 : mpf_file_sync(f);
    if (e)
        rc = mpf_error_set(err, MPF_ERR_IO, "cannot flush %s to disk: %s", tmp, strerror(e));
    if (fclose(f) != 0 && !rc)
        rc = mpf_error_set(err, MPF_ERR_IO, "cannot close %s: %s", tmp, strerror(errno));
    if (!rc && (e = mpf_file_replace(tmp, path)) != 0)
        rc = mpf_error_set(err, MPF_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    if (rc) {
        mpf_file_remove(tmp);
        return rc;
    }
    mpf_file_sync_folder_of(path);
    return MPF_OK;
}
