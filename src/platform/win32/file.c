/* Host files on Windows: wide-character calls with UTF-8 names, binary
 * mode, and MoveFileExW for the atomic replace. */
#include "platform/file.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>

#include "platform/serial_port.h"
#include "platform/win32/utf16.h"

FILE *mpf_file_open_read(const char *path)
{
    wchar_t *w = mpf_utf16(path);
    if (!w)
        return NULL;
    DWORD attr = GetFileAttributesW(w);
    if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY)) {
        /* _wfopen says "Permission denied" for a folder; say what it is. */
        free(w);
        errno = EISDIR;
        return NULL;
    }
    FILE *f = _wfopen(w, L"rb");
    free(w);
    return f;
}

FILE *mpf_file_create_new(const char *path)
{
    wchar_t *w = mpf_utf16(path);
    if (!w)
        return NULL;
    int fd = _wopen(w, _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
    FILE *f = fd < 0 ? NULL : _fdopen(fd, "wb");
    if (fd >= 0 && !f) {
        int e = errno;
        _close(fd);
        _wunlink(w);
        errno = e;
    }
    free(w);
    return f;
}

int mpf_file_kind(FILE *f, uint64_t *size)
{
    struct _stat64 st;
    if (_fstat64(_fileno(f), &st) != 0)
        return -1;
    if (st.st_mode & _S_IFDIR)
        return MPF_FILE_DIR;
    if (st.st_mode & _S_IFCHR)
        return MPF_FILE_DEVICE; /* CON, NUL, a COM port */
    if (!(st.st_mode & _S_IFREG))
        return MPF_FILE_OTHER;
    *size = (uint64_t)st.st_size;
    return MPF_FILE_REGULAR;
}

int mpf_file_kind_of_path(const char *path)
{
    /* Opening COM5 to look at it would open the port; the name says it all.
     * Other devices (NUL, CON, \\.\ names) are told by mpf_file_kind once
     * open, before anything is read. */
    if (mpf_port_name_is_com(path))
        return MPF_FILE_DEVICE;
    if (_strnicmp(path, "\\\\.\\pipe\\", 9) == 0 || _strnicmp(path, "//./pipe/", 9) == 0)
        return MPF_FILE_OTHER; /* a named pipe: opening it takes the server's instance */
    wchar_t *w = mpf_utf16(path);
    if (!w)
        return -1;
    DWORD attr = GetFileAttributesW(w);
    free(w);
    if (attr == INVALID_FILE_ATTRIBUTES) {
        errno = mpf_errno_of(GetLastError());
        return -1;
    }
    return attr & FILE_ATTRIBUTE_DIRECTORY ? MPF_FILE_DIR : MPF_FILE_REGULAR;
}

int mpf_file_sync(FILE *f)
{
    if (fflush(f) != 0)
        return errno;
    HANDLE h = (HANDLE)_get_osfhandle(_fileno(f));
    if (h == INVALID_HANDLE_VALUE || !FlushFileBuffers(h))
        return mpf_errno_of(GetLastError());
    return 0;
}

int mpf_file_replace(const char *from, const char *to)
{
    wchar_t *wf = mpf_utf16(from), *wt = wf ? mpf_utf16(to) : NULL;
    int rc = 0;
    if (!wf || !wt)
        rc = errno;
    else if (!MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        rc = mpf_errno_of(GetLastError());
    free(wf);
    free(wt);
    return rc;
}

void mpf_file_sync_folder_of(const char *path)
{
    (void)path; /* MOVEFILE_WRITE_THROUGH returned after the move was on disk */
}

int mpf_file_remove(const char *path)
{
    wchar_t *w = mpf_utf16(path);
    if (!w)
        return errno;
    int rc = DeleteFileW(w) ? 0 : mpf_errno_of(GetLastError());
    free(w);
    return rc;
}

long mpf_process_id(void)
{
    return (long)GetCurrentProcessId();
}

static int full_path(const char *p, wchar_t *out, DWORD size)
{
    wchar_t *w = mpf_utf16(p);
    if (!w)
        return 0;
    DWORD n = GetFullPathNameW(w, size, out, NULL);
    free(w);
    return n > 0 && n < size;
}

int mpf_file_same(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    wchar_t fa[1024], fb[1024];
    /* Windows names are case-insensitive; COM5 and com5 are one port. */
    return full_path(a, fa, 1024) && full_path(b, fb, 1024) && _wcsicmp(fa, fb) == 0;
}
