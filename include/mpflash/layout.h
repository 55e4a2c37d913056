/* mpflash — DfuSe memory layouts, parsed from an alt setting's interface
 * string (ST UM0424): "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg".
 */
#ifndef MPFLASH_LAYOUT_H
#define MPFLASH_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "mpflash/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sector type bits: the letter a..g minus 'a' + 1. */
#define MPF_MEM_READABLE 0x1
#define MPF_MEM_ERASABLE 0x2
#define MPF_MEM_WRITABLE 0x4

/* The layout string comes from the device, so it is untrusted input: a
 * string with more sector groups than this is refused. A 255-byte interface
 * string holds at most ~40 groups ("1*1Ba,"), so real devices never reach it. */
#define MPF_LAYOUT_MAX_GROUPS 64

/* `count` equal sectors of `sector_size` bytes starting at `start`. */
typedef struct mpf_sector_group {
    uint32_t start;
    uint32_t sector_size;
    uint32_t count;
    uint8_t type; /* MPF_MEM_* */
} mpf_sector_group;

typedef struct mpf_layout {
    char name[64]; /* "Internal Flash" (trailing spaces removed) */
    mpf_sector_group *groups;
    size_t count;
} mpf_layout;

/* Parse a layout string; a malformed string is MPF_ERR_INPUT naming the
 * offending character position (1-based), never a guess. Also refused:
 * sector count or size 0, sizes or blocks that run past 0xFFFFFFFF, blocks
 * that overlap, more than MPF_LAYOUT_MAX_GROUPS groups. The name is trimmed
 * of spaces at both ends and cut to 63 bytes. On failure *out is left empty
 * (safe to mpf_layout_free). */
mpf_err mpf_layout_parse(const char *s, mpf_layout *out, mpf_error *err);
void mpf_layout_free(mpf_layout *l);

/* The sector holding addr: returns 1 and fills the out-parameters (any may be
 * NULL), or 0 when addr is outside the layout. */
int mpf_layout_find(const mpf_layout *l, uint32_t addr, uint32_t *sector_start,
                    uint32_t *sector_size, uint8_t *type);

/* Total bytes described. */
uint64_t mpf_layout_size(const mpf_layout *l);

/* The type letter 'a'..'g' of MPF_MEM_* bits (1..7), '?' otherwise. */
char mpf_layout_type_letter(uint8_t type);

#ifdef __cplusplus
}
#endif
#endif
