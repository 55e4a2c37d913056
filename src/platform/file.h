/* Host files, the same on every system: UTF-8 names, binary mode always
 * (Windows' text mode turns \r\n into \n and stops at 0x1a, which misreads
 * every firmware image), and a replace that is atomic and durable. Errors
 * are errno values, for strerror. Internal (src/platform). */
#ifndef MPFLASH_PLATFORM_FILE_H
#define MPFLASH_PLATFORM_FILE_H

#include <stdint.h>
#include <stdio.h>

/* Opens for reading; NULL with errno set (EISDIR for a directory). The open
 * itself never waits (a FIFO without a writer, a tty waiting for carrier):
 * check mpf_file_kind of the result before reading. */
FILE *mpf_file_open_read(const char *path);

/* Creates path for writing; fails with EEXIST if it exists. */
FILE *mpf_file_create_new(const char *path);

/* What an open file is: MPF_FILE_REGULAR (with *size), MPF_FILE_DIR,
 * MPF_FILE_DEVICE (a character device: a tty, /dev/zero, COM5),
 * MPF_FILE_OTHER (pipe, socket, block device), or -1 with errno set. */
#define MPF_FILE_REGULAR 0
#define MPF_FILE_DIR 1
#define MPF_FILE_OTHER 2
#define MPF_FILE_DEVICE 3
int mpf_file_kind(FILE *f, uint64_t *size);

/* The same for a path, without opening it (opening a serial port can reset
 * the board; opening a FIFO waits for a writer). Links are followed. A name
 * that can only be a device (COM5 on Windows) is MPF_FILE_DEVICE. */
int mpf_file_kind_of_path(const char *path);

/* Flushes f's buffer and then the system's to the disk: 0 or an errno. */
int mpf_file_sync(FILE *f);

/* Renames from to to, replacing to if it exists, in one step: rename() on
 * POSIX, MoveFileExW with MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH
 * on Windows (where rename() refuses an existing target). 0 or an errno. */
int mpf_file_replace(const char *from, const char *to);

/* Makes a finished replace of path durable (POSIX: fsync of its folder;
 * Windows: done by MOVEFILE_WRITE_THROUGH). Failure loses nothing written. */
void mpf_file_sync_folder_of(const char *path);

/* Deletes a file; 0 or an errno. */
int mpf_file_remove(const char *path);

/* This process's id, for unique temporary names. */
long mpf_process_id(void);

/* Nonzero if a and b name the same file (through links, or . and ..). */
int mpf_file_same(const char *a, const char *b);

#endif
