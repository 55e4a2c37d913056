/* Serial ports on Windows: the comm API on \\.\COMn. Reads and writes are
 * bounded by COMMTIMEOUTS: with ReadIntervalTimeout and
 * ReadTotalTimeoutMultiplier at MAXDWORD, ReadFile returns at once with
 * what is buffered, or waits up to ReadTotalTimeoutConstant for the first
 * byte (the documented special case in the COMMTIMEOUTS reference). */
#include "platform/serial_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "platform/win32/utf16.h"

typedef struct win_port {
    HANDLE h;
    const char *name;
} win_port;

/* "COM5" -> "\\.\COM5": only COM1-COM9 are reserved DOS names, so COM10
 * and above open only through the device namespace. */
static int device_name(const char *name, char *out, size_t size)
{
    const char *p = name;
    if (strncmp(p, "\\\\.\\", 4) == 0)
        p += 4;
    return snprintf(out, size, "\\\\.\\%s", p) < (int)size;
}

static mpf_err open_error(const char *port, DWORD e, mpf_error *err)
{
    char what[160];
    if (!FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, what,
                        sizeof what, NULL))
        snprintf(what, sizeof what, "Windows error %lu", (unsigned long)e);
    size_t n = strlen(what);
    while (n && (what[n - 1] == '\n' || what[n - 1] == '\r' || what[n - 1] == '.' || what[n - 1] == ' '))
        what[--n] = '\0';
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        return mpf_error_set(err, MPF_ERR_NO_DEVICE,
                             "cannot open %s: %s; is the board plugged in? (Device Manager lists the COM ports)",
                             port, what);
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
        /* A COM port is exclusive: denied means another program holds it. */
        return mpf_error_set(err, MPF_ERR_USB_BUSY,
                             "cannot open %s: another program has it open (mpremote, Thonny, a serial monitor?); close it and retry",
                             port);
    default:
        return mpf_error_set(err, MPF_ERR_USB, "cannot open %s: %s", port, what);
    }
}

static mpf_err configure(HANDLE h, const char *port, mpf_error *err)
{
    DCB dcb;
    memset(&dcb, 0, sizeof dcb);
    dcb.DCBlength = sizeof dcb;
    if (!GetCommState(h, &dcb))
        return mpf_error_set(err, MPF_ERR_USAGE, "%s is not a serial port; give the board's port, e.g. COM5", port);
    dcb.BaudRate = CBR_115200;
    dcb.ByteSize = 8;
    dcb.Parity = NOPARITY;
    dcb.StopBits = ONESTOPBIT;
    dcb.fBinary = TRUE;
    dcb.fParity = FALSE;
    dcb.fOutxCtsFlow = FALSE;
    dcb.fOutxDsrFlow = FALSE;
    dcb.fDsrSensitivity = FALSE;
    dcb.fOutX = FALSE;
    dcb.fInX = FALSE;
    dcb.fNull = FALSE;
    dcb.fAbortOnError = FALSE;
    /* DTR and RTS asserted, as pyserial does: TinyUSB's CDC counts a host
     * as connected only with DTR set. */
    dcb.fDtrControl = DTR_CONTROL_ENABLE;
    dcb.fRtsControl = RTS_CONTROL_ENABLE;
    if (!SetCommState(h, &dcb))
        return mpf_error_set(err, MPF_ERR_USB, "cannot configure %s as a raw 115200 baud port (Windows error %lu)",
                             port, (unsigned long)GetLastError());
    /* Output the board printed before we came is not an answer to us. */
    PurgeComm(h, PURGE_RXCLEAR | PURGE_TXCLEAR | PURGE_RXABORT | PURGE_TXABORT);
    return MPF_OK;
}

/* The port's handle, opened for exclusive read and write (a COM port has
 * no sharing); both port_open and port_touch start here. */
static mpf_err open_handle(const char *name, HANDLE *out, mpf_error *err)
{
    char dev[300];
    if (!device_name(name, dev, sizeof dev))
        return mpf_error_set(err, MPF_ERR_USAGE, "serial port name too long: %.60s...", name);
    wchar_t *w = mpf_utf16(dev);
    if (!w)
        return mpf_error_set(err, MPF_ERR_USAGE, "serial port name %s is not valid UTF-8", name);
    HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return open_error(name, GetLastError(), err);
    *out = h;
    return MPF_OK;
}

static mpf_err port_open(void *ctx, const char *name, void **handle, mpf_error *err)
{
    (void)ctx;
    *handle = NULL;
    HANDLE h;
    mpf_err orc = open_handle(name, &h, err);
    if (orc)
        return orc;
    mpf_err rc = configure(h, name, err);
    win_port *p = rc ? NULL : malloc(sizeof *p);
    if (!rc && !p)
        rc = mpf_error_set(err, MPF_ERR_NOMEM, "out of memory opening %s", name);
    if (rc) {
        CloseHandle(h);
        return rc;
    }
    p->h = h;
    p->name = name;
    *handle = p;
    return MPF_OK;
}

static void port_close(void *ctx, void *handle)
{
    (void)ctx;
    win_port *p = handle;
    if (!p)
        return;
    CloseHandle(p->h);
    free(p);
}

/* Errors the USB serial driver gives once the device has gone. */
static int is_gone(DWORD e)
{
    return e == ERROR_ACCESS_DENIED || e == ERROR_BAD_COMMAND || e == ERROR_DEVICE_NOT_CONNECTED ||
           e == ERROR_GEN_FAILURE || e == ERROR_OPERATION_ABORTED || e == ERROR_FILE_NOT_FOUND ||
           e == ERROR_INVALID_HANDLE;
}

static int set_timeouts(HANDLE h, uint32_t read_ms, uint32_t write_ms)
{
    COMMTIMEOUTS t;
    t.ReadIntervalTimeout = MAXDWORD;
    t.ReadTotalTimeoutMultiplier = MAXDWORD;
    /* 0 with the two MAXDWORDs would mean "block"; 1 ms is "barely wait". */
    t.ReadTotalTimeoutConstant = read_ms ? read_ms : 1;
    t.WriteTotalTimeoutMultiplier = 0;
    t.WriteTotalTimeoutConstant = write_ms ? write_ms : 1;
    return SetCommTimeouts(h, &t) != 0;
}

static long port_write(void *ctx, void *handle, const uint8_t *data, size_t len, uint32_t wait_ms,
                       mpf_error *err)
{
    (void)ctx;
    win_port *p = handle;
    DWORD done = 0;
    DWORD chunk = len > 65536u ? 65536u : (DWORD)len;
    if (!set_timeouts(p->h, 1, wait_ms) || !WriteFile(p->h, data, chunk, &done, NULL)) {
        DWORD e = GetLastError();
        if (is_gone(e)) {
            mpf_error_set(err, MPF_ERR_USB_DISCONNECTED, "%s went away while mpflash was writing to it", p->name);
            return MPF_PORT_HANGUP;
        }
        mpf_error_set(err, MPF_ERR_USB, "writing to %s failed (Windows error %lu)", p->name, (unsigned long)e);
        return MPF_PORT_FAILED;
    }
    return (long)done;
}

static long port_read(void *ctx, void *handle, uint8_t *buf, size_t cap, uint32_t wait_ms)
{
    (void)ctx;
    win_port *p = handle;
    DWORD got = 0;
    DWORD want = cap > 65536u ? 65536u : (DWORD)cap;
    if (!set_timeouts(p->h, wait_ms, 1) || !ReadFile(p->h, buf, want, &got, NULL))
        return is_gone(GetLastError()) ? MPF_PORT_HANGUP : MPF_PORT_FAILED;
    return got ? (long)got : MPF_PORT_TIMEOUT;
}

/* Arduino's touch: open at `baud` with DTR set, then drop DTR and close. */
static mpf_err port_touch(void *ctx, const char *name, uint32_t baud, mpf_error *err)
{
    (void)ctx;
    HANDLE h;
    mpf_err orc = open_handle(name, &h, err);
    if (orc)
        return orc;
    DCB dcb;
    memset(&dcb, 0, sizeof dcb);
    dcb.DCBlength = sizeof dcb;
    mpf_err rc = MPF_OK;
    if (!GetCommState(h, &dcb)) {
        rc = mpf_error_set(err, MPF_ERR_USAGE, "%s is not a serial port; give the board's port, e.g. COM5", name);
    } else {
        dcb.BaudRate = baud;
        dcb.fDtrControl = DTR_CONTROL_ENABLE;
        if (!SetCommState(h, &dcb))
            rc = mpf_error_set(err, MPF_ERR_USB, "cannot set %s to %u baud (Windows error %lu)", name,
                               (unsigned)baud, (unsigned long)GetLastError());
        EscapeCommFunction(h, CLRDTR);
    }
    CloseHandle(h);
    return rc;
}

static const mpf_port_ops host_ports = {port_open, port_close, port_write, port_read, NULL, port_touch};

const mpf_port_ops *mpf_port_host(void)
{
    return &host_ports;
}

int mpf_port_name_is_port(const char *name)
{
    return mpf_port_name_is_com(name);
}

int mpf_port_node_ready(const char *name)
{
    (void)name; /* SetupAPI lists only ports that are present */
    return 1;
}
