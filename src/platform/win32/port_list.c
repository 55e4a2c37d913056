/* Finding USB serial ports on Windows: every present device of the Ports
 * class (SetupAPI), its PortName from the device's registry key, its
 * instance ID and its parent's (CfgMgr32), the bus-reported description
 * and the location paths (its own and its parent's); mpf_win_port_describe makes sense of them. The
 * sysfs_root and dev_root arguments of mpf_serial_list are Linux's and are
 * ignored here. */
#include <initguid.h>
#include <windows.h>
#include <cfgmgr32.h>
#include <devguid.h>
#include <devpkey.h>
#include <setupapi.h>
#include <stdlib.h>
#include <string.h>

#include "bootentry/serial_internal.h"
#include "platform/win32/utf16.h"
#include "platform/win_device_id.h"

static int reg_port_name(HDEVINFO set, SP_DEVINFO_DATA *d, char *out, int size)
{
    HKEY key = SetupDiOpenDevRegKey(set, d, DICS_FLAG_GLOBAL, 0, DIREG_DEV, KEY_READ);
    if (key == INVALID_HANDLE_VALUE)
        return 0;
    wchar_t w[64];
    DWORD type = 0, bytes = sizeof w - sizeof w[0];
    LONG rc = RegQueryValueExW(key, L"PortName", NULL, &type, (BYTE *)w, &bytes);
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS || type != REG_SZ)
        return 0;
    w[bytes / sizeof w[0]] = L'\0';
    return mpf_utf8(w, out, size);
}

/* A string property of a device node (a string list: its first entry). */
static int node_string(DEVINST inst, const DEVPROPKEY *key, char *out, int size)
{
    wchar_t w[512];
    DEVPROPTYPE type = 0;
    ULONG bytes = sizeof w - sizeof w[0];
    out[0] = '\0';
    if (CM_Get_DevNode_PropertyW(inst, key, &type, (BYTE *)w, &bytes, 0) != CR_SUCCESS ||
        (type != DEVPROP_TYPE_STRING && type != DEVPROP_TYPE_STRING_LIST))
        return 0;
    w[511] = L'\0';
    return mpf_utf8(w, out, size);
}

/* The parent's device ID and first location path (for the interface of a
 * composite device, the USB device's). */
static void parent_of(DEVINST inst, char *id, int id_size, char *location, int location_size)
{
    DEVINST parent;
    wchar_t w[MAX_DEVICE_ID_LEN + 1];
    id[0] = location[0] = '\0';
    if (CM_Get_Parent(&parent, inst, 0) != CR_SUCCESS)
        return;
    if (CM_Get_Device_IDW(parent, w, MAX_DEVICE_ID_LEN, 0) == CR_SUCCESS) {
        w[MAX_DEVICE_ID_LEN] = L'\0';
        mpf_utf8(w, id, id_size);
    }
    node_string(parent, &DEVPKEY_Device_LocationPaths, location, location_size);
}

static int by_name(const void *a, const void *b)
{
    return mpf_serial_name_cmp(((const mpf_serial_port *)a)->name, ((const mpf_serial_port *)b)->name);
}

mpf_err mpf_serial_list(const char *sysfs_root, const char *dev_root, mpf_serial_port **ports, size_t *count,
                        mpf_error *err)
{
    (void)sysfs_root;
    (void)dev_root;
    if (!ports || !count)
        return mpf_error_set(err, MPF_ERR_USAGE, "mpf_serial_list: ports and count are required");
    *ports = NULL;
    *count = 0;
    HDEVINFO set = SetupDiGetClassDevsW(&GUID_DEVCLASS_PORTS, NULL, NULL, DIGCF_PRESENT);
    if (set == INVALID_HANDLE_VALUE)
        return mpf_error_set(err, MPF_ERR_IO, "cannot list the serial ports (SetupAPI error %lu)",
                             (unsigned long)GetLastError());
    mpf_serial_port *list = NULL;
    size_t n = 0, cap = 0;
    mpf_err rc = MPF_OK;
    SP_DEVINFO_DATA d = {.cbSize = sizeof d};
    for (DWORD i = 0; SetupDiEnumDeviceInfo(set, i, &d); i++) {
        char name[64], id[MAX_DEVICE_ID_LEN + 1], parent[MAX_DEVICE_ID_LEN + 1], product[128], location[256],
            parent_location[256];
        wchar_t wid[MAX_DEVICE_ID_LEN + 1];
        if (!reg_port_name(set, &d, name, sizeof name) ||
            !SetupDiGetDeviceInstanceIdW(set, &d, wid, MAX_DEVICE_ID_LEN, NULL) ||
            !mpf_utf8(wid, id, sizeof id))
            continue;
        parent_of(d.DevInst, parent, sizeof parent, parent_location, sizeof parent_location);
        node_string(d.DevInst, &DEVPKEY_Device_BusReportedDeviceDesc, product, sizeof product);
        node_string(d.DevInst, &DEVPKEY_Device_LocationPaths, location, sizeof location);
        mpf_win_port_record r = {name, id, parent[0] ? parent : NULL, product[0] ? product : NULL,
                                 location[0] ? location : NULL, parent_location[0] ? parent_location : NULL};
        mpf_serial_port p;
        if (!mpf_win_port_describe(&r, &p))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            mpf_serial_port *grown = realloc(list, ncap * sizeof *list);
            if (!grown) {
                rc = mpf_error_set(err, MPF_ERR_NOMEM, "out of memory listing serial ports");
                break;
            }
            list = grown;
            cap = ncap;
        }
        list[n++] = p;
    }
    SetupDiDestroyDeviceInfoList(set);
    if (rc) {
        free(list);
        return rc;
    }
    if (n)
        qsort(list, n, sizeof *list, by_name);
    *ports = list;
    *count = n;
    return MPF_OK;
}

void mpf_serial_list_free(mpf_serial_port *ports)
{
    free(ports);
}
