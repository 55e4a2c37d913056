/* Parse, check and write the DFU 1.1 file suffix. */
#include "image/dfu_suffix.h"

#include <string.h>

#include "image/byte_order.h"

/* Offsets inside the suffix. */
enum {
    SFX_BCD_DEVICE = 0,
    SFX_PID = 2,
    SFX_VID = 4,
    SFX_BCD_DFU = 6,
    SFX_SIGNATURE = 8,
    SFX_LENGTH = 11,
    SFX_CRC = 12
};

static const uint8_t ufd[3] = {'U', 'F', 'D'};

int mpf_dfu_suffix_present(const uint8_t *buf, size_t len)
{
    if (len < MPF_DFU_SUFFIX_LEN)
        return 0;
    const uint8_t *s = buf + len - MPF_DFU_SUFFIX_LEN;
    return memcmp(s + SFX_SIGNATURE, ufd, sizeof ufd) == 0 && s[SFX_LENGTH] == MPF_DFU_SUFFIX_LEN;
}

int mpf_dfu_suffix_valid(const uint8_t *buf, size_t len)
{
    if (!mpf_dfu_suffix_present(buf, len))
        return 0;
    return mpf_crc32_update(0xFFFFFFFFu, buf, len - 4) == mpf_get_le32(buf + len - 4);
}

mpf_err mpf_dfu_suffix_parse(const uint8_t *buf, size_t len, const char *name,
                             mpf_dfu_suffix *s, mpf_error *err)
{
    if (len < MPF_DFU_SUFFIX_LEN)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: the file is only %zu bytes, too short for the 16-byte DFU suffix; the file is truncated",
                             name, len);
    size_t at = len - MPF_DFU_SUFFIX_LEN;
    const uint8_t *p = buf + at;
    if (memcmp(p + SFX_SIGNATURE, ufd, sizeof ufd) != 0)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: offset %zu: no DFU suffix (expected \"UFD\", found %02X %02X %02X); the file is truncated or damaged",
                             name, at + SFX_SIGNATURE, p[SFX_SIGNATURE], p[SFX_SIGNATURE + 1],
                             p[SFX_SIGNATURE + 2]);
    if (p[SFX_LENGTH] != MPF_DFU_SUFFIX_LEN)
        return mpf_error_set(err, MPF_ERR_INPUT,
                             "%s: offset %zu: DFU suffix bLength is %u, expected 16; the file is damaged or uses an unsupported suffix",
                             name, at + SFX_LENGTH, (unsigned)p[SFX_LENGTH]);
    s->bcd_device = mpf_get_le16(p + SFX_BCD_DEVICE);
    s->pid = mpf_get_le16(p + SFX_PID);
    s->vid = mpf_get_le16(p + SFX_VID);
    s->bcd_dfu = mpf_get_le16(p + SFX_BCD_DFU);
    s->crc_stored = mpf_get_le32(p + SFX_CRC);
    s->crc_computed = mpf_crc32_update(0xFFFFFFFFu, buf, at + SFX_CRC);
    return MPF_OK;
}

mpf_err mpf_dfu_suffix_check_crc(const mpf_dfu_suffix *s, size_t len, const char *name,
                                 int accept_bad_crc, mpf_error *err)
{
    if (s->crc_stored == s->crc_computed || accept_bad_crc)
        return MPF_OK;
    return mpf_error_set(err, MPF_ERR_INPUT,
                         "%s: offset %zu: CRC-32 is 0x%08X, file says 0x%08X; the file is damaged",
                         name, len - 4, (unsigned)s->crc_computed, (unsigned)s->crc_stored);
}

void mpf_dfu_suffix_record(mpf_image *img, const mpf_dfu_suffix *s)
{
    int ok = s->crc_stored == s->crc_computed;
    if (img->has_suffix) {
        /* Keep the first bad CRC visible: one damaged file spoils the set. */
        if (img->crc_ok && !ok) {
            img->crc_ok = 0;
            img->crc_stored = s->crc_stored;
            img->crc_computed = s->crc_computed;
        }
        return;
    }
    img->has_suffix = 1;
    img->vid = s->vid;
    img->pid = s->pid;
    img->bcd_device = s->bcd_device;
    img->bcd_dfu = s->bcd_dfu;
    img->crc_stored = s->crc_stored;
    img->crc_computed = s->crc_computed;
    img->crc_ok = ok;
}

void mpf_dfu_suffix_write(uint8_t *buf, size_t body_len, uint16_t bcd_device, uint16_t pid,
                          uint16_t vid, uint16_t bcd_dfu)
{
    uint8_t *p = buf + body_len;
    mpf_put_le16(p + SFX_BCD_DEVICE, bcd_device);
    mpf_put_le16(p + SFX_PID, pid);
    mpf_put_le16(p + SFX_VID, vid);
    mpf_put_le16(p + SFX_BCD_DFU, bcd_dfu);
    memcpy(p + SFX_SIGNATURE, ufd, sizeof ufd);
    p[SFX_LENGTH] = MPF_DFU_SUFFIX_LEN;
    mpf_put_le32(p + SFX_CRC, mpf_crc32_update(0xFFFFFFFFu, buf, body_len + SFX_CRC));
}
