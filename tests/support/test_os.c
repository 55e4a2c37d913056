#include "test_os.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#endif

char *tos_temp_dir(const char *prefix)
{
    return tos_temp_dir_in(NULL, prefix);
}

char *tos_temp_dir_in(const char *in, const char *prefix)
{
#ifdef _WIN32
    char base[MAX_PATH];
    DWORD n = in ? (DWORD)snprintf(base, sizeof base, "%s\\", in) : GetTempPathA(sizeof base, base);
    if (n == 0 || n >= sizeof base)
        return NULL;
    for (unsigned attempt = 0; attempt < 1000; attempt++) {
        char *dir = malloc(MAX_PATH + 64);
        if (!dir)
            return NULL;
        snprintf(dir, MAX_PATH + 64, "%s%s-%lu-%u", base, prefix, (unsigned long)GetCurrentProcessId(),
                 (unsigned)(GetTickCount() + attempt));
        if (CreateDirectoryA(dir, NULL))
            return dir;
        free(dir);
        if (GetLastError() != ERROR_ALREADY_EXISTS)
            return NULL;
    }
    return NULL;
#else
    const char *tmp = in ? in : getenv("TMPDIR");
    size_t size = strlen(tmp && *tmp ? tmp : "/tmp") + strlen(prefix) + 16;
    char *dir = malloc(size);
    if (!dir)
        return NULL;
    snprintf(dir, size, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
    if (!mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    return dir;
#endif
}

int tos_remove_tree(const char *path)
{
    struct stat st;
#ifdef _WIN32
    if (stat(path, &st) != 0)
#else
    /* The link itself: a link to a folder is not followed into, and a link
     * whose target is gone (a closed pseudo-terminal) is still removed. */
    if (lstat(path, &st) != 0)
#endif
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return remove(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t size = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(size);
        if (!child) {
            rc = -1;
            break;
        }
        snprintf(child, size, "%s/%s", path, e->d_name);
        if (tos_remove_tree(child) != 0)
            rc = -1;
        free(child);
    }
    closedir(d);
    return rmdir(path) == 0 ? rc : -1;
}

int tos_mkdir(const char *path)
{
#ifdef _WIN32
    return mkdir(path);
#else
    return mkdir(path, 0755);
#endif
}

int tos_setenv(const char *name, const char *value)
{
#ifdef _WIN32
    return _putenv_s(name, value ? value : "") == 0 ? 0 : -1;
#else
    return value ? setenv(name, value, 1) : unsetenv(name);
#endif
}

FILE *tos_capture_begin(tos_capture *c)
{
    memset(c, 0, sizeof *c);
#ifdef _WIN32
    char dir[MAX_PATH], name[MAX_PATH];
    DWORD n = GetTempPathA(sizeof dir, dir);
    if (n == 0 || n >= sizeof dir || !GetTempFileNameA(dir, "mpf", 0, name))
        return NULL;
    c->f = fopen(name, "w+bTD"); /* T: kept in memory if it can be, D: deleted on close */
#else
    c->f = open_memstream(&c->buf, &c->len);
#endif
    return c->f;
}

char *tos_capture_end(tos_capture *c, size_t *len)
{
    if (!c->f)
        return NULL;
#ifdef _WIN32
    long size = (fflush(c->f) == 0 && fseek(c->f, 0, SEEK_END) == 0) ? ftell(c->f) : -1;
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (text) {
        rewind(c->f);
        if (fread(text, 1, (size_t)size, c->f) != (size_t)size) {
            free(text);
            text = NULL;
        } else {
            text[size] = '\0';
            c->len = (size_t)size;
        }
    }
    fclose(c->f);
    c->buf = text;
#else
    if (fclose(c->f) != 0) {
        free(c->buf);
        c->buf = NULL;
    }
#endif
    c->f = NULL;
    if (len)
        *len = c->len;
    return c->buf;
}
