/* The fake bus: boards built from MPFLASH_FAKE_USB, their flash carried
 * between processes through MPFLASH_FAKE_USB_STATE, every USB event logged
 * to MPFLASH_FAKE_USB_LOG, and the re-enumerations that follow a leave, a
 * reset or a detach. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_internal.h"
#include "mpflash/dfu.h"
#include "mpflash/layout.h"
#include "platform/thread.h"

fake_world fake;

static mpf_mutex fake_mutex = MPF_MUTEX_INITIALIZER;

void fake_lock(void)
{
    mpf_mutex_lock(&fake_mutex);
}

void fake_unlock(void)
{
    mpf_mutex_unlock(&fake_mutex);
}

void fake_log(const struct libusb_device *d, const char *fmt, ...)
{
    if (!fake.log_path[0])
        return;
    FILE *f = fopen(fake.log_path, "a");
    if (!f)
        return;
    if (d)
        fprintf(f, "%s ", d->serial[0] ? d->serial : "-");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static const struct {
    const char *name;
    int code;
} error_names[] = {
    {"access", LIBUSB_ERROR_ACCESS},   {"busy", LIBUSB_ERROR_BUSY},
    {"nodev", LIBUSB_ERROR_NO_DEVICE}, {"notsup", LIBUSB_ERROR_NOT_SUPPORTED},
    {"io", LIBUSB_ERROR_IO},           {"pipe", LIBUSB_ERROR_PIPE},
    {"timeout", LIBUSB_ERROR_TIMEOUT}, {"notfound", LIBUSB_ERROR_NOT_FOUND},
};

static int error_code(const char *name)
{
    for (size_t i = 0; i < sizeof error_names / sizeof error_names[0]; i++)
        if (strcmp(name, error_names[i].name) == 0)
            return error_names[i].code;
    return 0;
}

static void snapshot(struct libusb_device *d)
{
    mpf_sim_set_serial(d->sim, d->serial);
    char path[32];
    int n = snprintf(path, sizeof path, "%u", d->bus);
    for (uint8_t i = 0; i < d->nports && n > 0 && (size_t)n < sizeof path; i++)
        n += snprintf(path + n, sizeof path - (size_t)n, "%c%u", i ? '.' : '-', d->ports[i]);
    mpf_sim_set_path(d->sim, path);
    mpf_sim_transport(d->sim, &d->t);
}

static int parse_ports(struct libusb_device *d, const char *s)
{
    d->nports = 0;
    while (*s && d->nports < 7) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v > 255)
            return -1;
        d->ports[d->nports++] = (uint8_t)v;
        s = *end == '.' ? end + 1 : end;
        if (*end && *end != '.')
            return -1;
    }
    return *s ? -1 : 0;
}

/* The next ':'-separated field, empty ones included; NULL at the end. */
static char *next_field(char **rest)
{
    char *field = *rest;
    if (!field)
        return NULL;
    char *colon = strchr(field, ':');
    if (colon)
        *colon = '\0';
    *rest = colon ? colon + 1 : NULL;
    return field;
}

/* fault=KIND/OP/N[/STATUS]: the virtual device's fault injection, for one
 * board of several. '/' because ':' and ',' already separate options and
 * boards. */
static const struct {
    const char *name;
    mpf_sim_op op;
} fault_ops[] = {
    {"any", MPF_SIM_OP_ANY},          {"getstatus", MPF_SIM_OP_GETSTATUS},
    {"clrstatus", MPF_SIM_OP_CLRSTATUS}, {"abort", MPF_SIM_OP_ABORT},
    {"set-address", MPF_SIM_OP_SET_ADDRESS}, {"erase", MPF_SIM_OP_ERASE},
    {"mass-erase", MPF_SIM_OP_MASS_ERASE}, {"write", MPF_SIM_OP_WRITE},
    {"leave", MPF_SIM_OP_LEAVE},      {"upload", MPF_SIM_OP_UPLOAD},
    {"select-alt", MPF_SIM_OP_SELECT_ALT},
};

static int add_fault(struct libusb_device *d, const char *spec)
{
    char copy[128], *field[4] = {NULL};
    snprintf(copy, sizeof copy, "%s", spec);
    size_t n = 0;
    for (char *p = copy; p && n < 4; n++) {
        field[n] = p;
        p = strchr(p, '/');
        if (p)
            *p++ = '\0';
    }
    mpf_sim_fault f;
    memset(&f, 0, sizeof f);
    if (n >= 3 && strcmp(field[0], "stall") == 0)
        f.kind = MPF_SIM_FAULT_STALL;
    else if (n >= 3 && strcmp(field[0], "timeout") == 0)
        f.kind = MPF_SIM_FAULT_TIMEOUT;
    else if (n >= 3 && strcmp(field[0], "disconnect") == 0)
        f.kind = MPF_SIM_FAULT_DISCONNECT;
    else if (n == 4 && strcmp(field[0], "status") == 0)
        f.kind = MPF_SIM_FAULT_STATUS;
    else
        return -1;
    size_t o;
    for (o = 0; o < sizeof fault_ops / sizeof fault_ops[0] && strcmp(field[1], fault_ops[o].name) != 0; o++) {
    }
    if (o == sizeof fault_ops / sizeof fault_ops[0] || atoi(field[2]) <= 0)
        return -1;
    f.op = fault_ops[o].op;
    f.nth = (unsigned)atoi(field[2]);
    if (f.kind == MPF_SIM_FAULT_STATUS) {
        unsigned s;
        for (s = 0; s <= MPF_DFU_STATUS_ERR_STALLEDPKT && strcmp(field[3], mpf_dfu_status_name((uint8_t)s)) != 0;
             s++) {
        }
        if (s > MPF_DFU_STATUS_ERR_STALLEDPKT)
            return -1;
        f.status = (uint8_t)s;
    }
    return mpf_sim_add_fault(d->sim, &f, NULL) == MPF_OK ? 0 : -1;
}

/* One "chip[:serial[:option...]]" item; "chip:" is a board without a
 * serial number, "chip" one with the virtual device's default. */
static int add_board(char *item)
{
    if (fake.count == FAKE_MAX_DEVICES) {
        fprintf(stderr, "fakeusb: more than %d boards\n", FAKE_MAX_DEVICES);
        return -1;
    }
    struct libusb_device *d = &fake.devs[fake.count];
    memset(d, 0, sizeof *d);
    d->index = (int)fake.count;
    d->bus = 1;
    d->nports = 1;
    d->ports[0] = (uint8_t)(fake.count + 1);
    d->present = 1;
    char *rest = item;
    char *chip = next_field(&rest);
    char *serial = next_field(&rest);
    snprintf(d->chip, sizeof d->chip, "%s", chip);
    mpf_error err = {0};
    if (mpf_sim_new(chip, &d->sim, &err) != MPF_OK) {
        fprintf(stderr, "fakeusb: %s\n", err.message);
        return -1;
    }
    fake.count++;
    mpf_sim_set_timing(d->sim, 0);
    if (serial)
        snprintf(d->serial, sizeof d->serial, "%s", serial);
    else {
        mpf_transport t;
        mpf_sim_transport(d->sim, &t);
        snprintf(d->serial, sizeof d->serial, "%s", t.info.serial);
    }
    for (char *opt; (opt = next_field(&rest)) != NULL;) {
        if (!opt[0])
            continue;
        char *eq = strchr(opt, '=');
        const char *val = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        if (strcmp(opt, "port") == 0 && parse_ports(d, val) == 0)
            continue;
        if (strcmp(opt, "bus") == 0 && atoi(val) > 0 && atoi(val) < 256) {
            d->bus = (uint8_t)atoi(val);
            continue;
        }
        if (strcmp(opt, "open") == 0 && (d->open_error = error_code(val)) != 0)
            continue;
        if (strcmp(opt, "claim") == 0 && (d->claim_error = error_code(val)) != 0)
            continue;
        if (strcmp(opt, "appear") == 0 && *val) {
            snprintf(d->appear_path, sizeof d->appear_path, "%s", val);
            d->present = 0;
            continue;
        }
        if (strcmp(opt, "onleave") == 0 && *val) {
            snprintf(d->onleave_path, sizeof d->onleave_path, "%s", val);
            continue;
        }
        if (strcmp(opt, "driver") == 0 && *val) {
            snprintf(d->driver, sizeof d->driver, "%s", val);
            continue;
        }
        if (strcmp(opt, "fault") == 0 && add_fault(d, val) == 0)
            continue;
        if (strcmp(opt, "wp") == 0 && *val) {
            mpf_sim_write_protect(d->sim, (uint32_t)strtoul(val, NULL, 0));
            continue;
        }
        if (strcmp(opt, "id") == 0 && strchr(val, '/')) {
            mpf_sim_set_ids(d->sim, (uint16_t)strtoul(val, NULL, 16), (uint16_t)strtoul(strchr(val, '/') + 1, NULL, 16));
            continue;
        }
        if (strcmp(opt, "ctrl-c") == 0 && atoi(val) > 0) {
            d->ctrl_c_at = (unsigned)atoi(val);
            continue;
        }
        if (strcmp(opt, "transfer") == 0 && atoi(val) > 0) {
            mpf_sim_set_transfer_size(d->sim, (uint16_t)atoi(val));
            continue;
        }
        if (strcmp(opt, "nofunc") == 0)
            d->hide_functional = 1;
        else if (strcmp(opt, "runtime") == 0)
            d->runtime_capable = d->runtime = 1;
        else if (strcmp(opt, "willdetach") == 0)
            d->will_detach = 1;
        else if (strcmp(opt, "timing") == 0)
            mpf_sim_set_timing(d->sim, 1);
        else if (strcmp(opt, "start-error") == 0)
            mpf_sim_start_in_error(d->sim);
        else if (strcmp(opt, "rdp") == 0)
            mpf_sim_set_read_protection(d->sim, 1);
        else {
            fprintf(stderr, "fakeusb: unknown board option '%s%s%s'\n", opt, eq ? "=" : "", val);
            return -1;
        }
    }
    snapshot(d);
    return 0;
}

/* ---- flash carried between processes ------------------------------------ */

static void state_path(const struct libusb_device *d, char *out, size_t size)
{
    snprintf(out, size, "%s/%s-%s.mem", fake.state_dir, d->chip,
             d->serial[0] ? d->serial : "noserial");
}

/* Calls fn for every sector of every exposed layout the chip backs. */
static void each_sector(struct libusb_device *d,
                        void (*fn)(struct libusb_device *, uint32_t, uint32_t, FILE *), FILE *f)
{
    uint32_t start, size;
    size_t parsed = 0;
    for (size_t a = 0; a < d->t.info.num_alts; a++) {
        mpf_layout l;
        if (mpf_layout_parse(d->t.info.alts[a].name, &l, NULL) != MPF_OK)
            continue;
        parsed++;
        for (size_t g = 0; g < l.count; g++)
            for (uint32_t s = 0; s < l.groups[g].count; s++)
                fn(d, l.groups[g].start + s * l.groups[g].sector_size, l.groups[g].sector_size,
                   f);
        mpf_layout_free(&l);
    }
    /* A plain DFU board whose alt names are not layouts: its storage. */
    if (!parsed && mpf_sim_storage(d->sim, &start, &size))
        fn(d, start, size, f);
}

static void save_sector(struct libusb_device *d, uint32_t addr, uint32_t size, FILE *f)
{
    uint8_t *buf = malloc(size);
    if (buf && mpf_sim_peek(d->sim, addr, buf, size) == 0) {
        uint8_t head[8] = {(uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                           (uint8_t)(addr >> 24), (uint8_t)size, (uint8_t)(size >> 8),
                           (uint8_t)(size >> 16), (uint8_t)(size >> 24)};
        fwrite(head, 1, sizeof head, f);
        fwrite(buf, 1, size, f);
    }
    free(buf);
}

void fake_world_save(struct libusb_device *d)
{
    if (!fake.state_dir[0] || !d->sim)
        return;
    char path[700];
    state_path(d, path, sizeof path);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "fakeusb: cannot write %s\n", path);
        return;
    }
    each_sector(d, save_sector, f);
    fclose(f);
}

static void load_state(struct libusb_device *d)
{
    char path[700];
    state_path(d, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return; /* a new board: erased */
    uint8_t head[8];
    while (fread(head, 1, sizeof head, f) == sizeof head) {
        uint32_t addr = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 |
                        (uint32_t)head[3] << 24;
        uint32_t size = (uint32_t)head[4] | (uint32_t)head[5] << 8 | (uint32_t)head[6] << 16 |
                        (uint32_t)head[7] << 24;
        uint8_t *buf = size <= (16u << 20) ? malloc(size) : NULL;
        int ok = buf && fread(buf, 1, size, f) == size && mpf_sim_poke(d->sim, addr, buf, size) == 0;
        free(buf);
        if (!ok) {
            fprintf(stderr, "fakeusb: bad state file %s at 0x%08x\n", path, addr);
            break;
        }
    }
    fclose(f);
}

/* ---- lifetime ------------------------------------------------------------ */

int fake_world_start(void)
{
    memset(&fake, 0, sizeof fake);
    const char *dir = getenv("MPFLASH_FAKE_USB_STATE");
    const char *log = getenv("MPFLASH_FAKE_USB_LOG");
    snprintf(fake.state_dir, sizeof fake.state_dir, "%s", dir ? dir : "");
    snprintf(fake.log_path, sizeof fake.log_path, "%s", log ? log : "");
    const char *spec = getenv("MPFLASH_FAKE_USB");
    if (!spec || !spec[0])
        return 0;
    char *copy = strdup(spec);
    if (!copy)
        return -1;
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
         item = strtok_r(NULL, ",", &save))
        rc = add_board(item);
    free(copy);
    for (size_t i = 0; rc == 0 && fake.state_dir[0] && i < fake.count; i++)
        load_state(&fake.devs[i]);
    if (rc != 0)
        fake_world_stop();
    return rc;
}

void fake_world_stop(void)
{
    int leaked = 0;
    for (size_t i = 0; i < fake.count; i++) {
        struct libusb_device *d = &fake.devs[i];
        fake_world_save(d);
        leaked += d->refs;
        mpf_sim_free(d->sim);
        d->sim = NULL;
    }
    if (leaked)
        fprintf(stderr, "fakeusb: %d device reference(s) leaked\n", leaked);
    if (fake.open_handles)
        fprintf(stderr, "fakeusb: %d handle(s) left open\n", fake.open_handles);
    fake.count = 0;
}

void fake_enter_dfu(struct libusb_device *d)
{
    d->runtime = 0;
    d->detach_armed = 0;
    d->generation++;
    mpf_sim_replug(d->sim);
    snapshot(d);
    fake_log(d, "enumerate dfu");
}

/* What the bus looks like now: a board that left DFU mode runs its
 * application (a DFU runtime interface if it has one, else nothing of
 * ours); one that reset itself (option bytes, 0x92) is back in DFU mode. */
void fake_world_refresh(void)
{
    for (size_t i = 0; i < fake.count; i++) {
        struct libusb_device *d = &fake.devs[i];
        /* appear=PATH: a board entering its bootloader on someone's cue. */
        if (!d->present && d->appear_path[0] && access(d->appear_path, F_OK) == 0) {
            d->appear_path[0] = '\0';
            d->present = 1;
            d->generation++;
            fake_log(d, "enumerate dfu (appeared)");
            continue;
        }
        if (!d->present || d->runtime || mpf_sim_connected(d->sim))
            continue;
        uint32_t jump = 0;
        if (!mpf_sim_has_left(d->sim, &jump)) {
            fake_enter_dfu(d);
            continue;
        }
        d->generation++;
        if (d->runtime_capable) {
            mpf_sim_replug(d->sim);
            d->runtime = 1;
            fake_log(d, "enumerate runtime");
        } else {
            d->present = 0;
            fake_log(d, "gone");
        }
    }
}

void fake_after_request(struct libusb_device *d)
{
    if (!d->onleave_path[0] || d->leave_signalled || d->runtime || !mpf_sim_has_left(d->sim, NULL))
        return;
    d->leave_signalled = 1;
    /* Saved first, so whoever the file wakes finds the flash as it was left. */
    fake_world_save(d);
    FILE *f = fopen(d->onleave_path, "w");
    if (f)
        fclose(f);
    fake_log(d, "left dfu, signalled %s", d->onleave_path);
}
