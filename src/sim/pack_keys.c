/* The virtual packing mboot's "keys": a stand-in for libhydrogen, honestly
 * weaker and simpler, with the same sizes on the wire.
 *
 * Real mboot (MBOOT_ENABLE_PACKING=1) checks each chunk with hydro_sign
 * (a 64-byte Schnorr signature over Curve25519, public key in mboot) and
 * decrypts it with hydro_secretbox (36 header bytes before the ciphertext),
 * both with context "mbootenc" (ports/stm32/mboot/pack.c, pack.h,
 * mboot_pack_dfu.py). Re-implementing libhydrogen is out of reach here, so
 * the virtual board uses keyed SipHash-2-4 (Aumasson and Bernstein) with two
 * fixed 128-bit test keys:
 * - "signature" (64 bytes): SipHash of the message under the sign key,
 *   expanded to 64 bytes by hashing (that hash, index) again. A symmetric
 *   MAC stands in for a public-key signature: whoever holds the test key can
 *   sign, as whoever holds mboot_keys.h can. It catches any change to a
 *   chunk, which is what the tests need of it.
 * - "secretbox" (36-byte header + ciphertext): header = 20-byte nonce (a
 *   hash of the plaintext, as a synthetic IV) + 16-byte MAC over nonce and
 *   ciphertext; the ciphertext is the plaintext XOR a SipHash keystream.
 * Not modelled: the real algorithms and keys. A firmware.pack.dfu made by
 * mboot_pack_dfu.py with a board's real keys fails the virtual board's
 * check ("Invalid signature in file"), as it would on an mboot built with
 * other keys; packs for the virtual board come from mpf_sim_pack_chunk. */
#include <string.h>

#include "sim/sim_internal.h"

static const uint8_t sign_key[16] = {'m', 'p', 'f', 'l', 'a', 's', 'h', ' ',
                                     's', 'i', 'g', 'n', ' ', 'k', 'e', 'y'};
static const uint8_t box_key[16] = {'m', 'p', 'f', 'l', 'a', 's', 'h', ' ',
                                    'b', 'o', 'x', ' ', ' ', 'k', 'e', 'y'};
/* libhydrogen contexts are 8 bytes; mboot's is "mbootenc". */
static const uint8_t context[8] = {'m', 'b', 'o', 'o', 't', 'e', 'n', 'c'};

static uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void round2(sim_sip *s)
{
    for (int i = 0; i < 2; i++) {
        s->v[0] += s->v[1];
        s->v[1] = rotl(s->v[1], 13) ^ s->v[0];
        s->v[0] = rotl(s->v[0], 32);
        s->v[2] += s->v[3];
        s->v[3] = rotl(s->v[3], 16) ^ s->v[2];
        s->v[0] += s->v[3];
        s->v[3] = rotl(s->v[3], 21) ^ s->v[0];
        s->v[2] += s->v[1];
        s->v[1] = rotl(s->v[1], 17) ^ s->v[2];
        s->v[2] = rotl(s->v[2], 32);
    }
}

static void compress(sim_sip *s, uint64_t m)
{
    s->v[3] ^= m;
    round2(s);
    s->v[0] ^= m;
}

void sim_sip_init(sim_sip *s, const uint8_t key[16])
{
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    s->v[0] = k0 ^ 0x736f6d6570736575ull;
    s->v[1] = k1 ^ 0x646f72616e646f6dull;
    s->v[2] = k0 ^ 0x6c7967656e657261ull;
    s->v[3] = k1 ^ 0x7465646279746573ull;
    s->fill = 0;
    s->total = 0;
}

void sim_sip_update(sim_sip *s, const uint8_t *data, size_t len)
{
    s->total += len;
    while (len) {
        s->buf[s->fill++] = *data++;
        len--;
        if (s->fill == 8) {
            compress(s, le64(s->buf));
            s->fill = 0;
        }
    }
}

uint64_t sim_sip_final(sim_sip *s)
{
    uint8_t last[8] = {0};
    memcpy(last, s->buf, s->fill);
    last[7] = (uint8_t)s->total;
    compress(s, le64(last));
    s->v[2] ^= 0xFF;
    round2(s);
    round2(s); /* SipHash-2-4: four finalisation rounds */
    return s->v[0] ^ s->v[1] ^ s->v[2] ^ s->v[3];
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* out[len] from the 64-bit digest: block i = SipHash(key, digest || i). */
static void expand(const uint8_t key[16], uint64_t digest, uint8_t *out, size_t len)
{
    for (size_t i = 0; i * 8 < len; i++) {
        uint8_t in[16], block[8];
        put64(in, digest);
        put64(in + 8, i);
        sim_sip s;
        sim_sip_init(&s, key);
        sim_sip_update(&s, in, sizeof in);
        put64(block, sim_sip_final(&s));
        size_t n = len - i * 8 < 8 ? len - i * 8 : 8;
        memcpy(out + i * 8, block, n);
    }
}

void sim_sign_init(sim_sip *s)
{
    sim_sip_init(s, sign_key);
    sim_sip_update(s, context, sizeof context);
}

void sim_sign_final(sim_sip *s, uint8_t sig[SIM_PACK_SIG_BYTES])
{
    expand(sign_key, sim_sip_final(s), sig, SIM_PACK_SIG_BYTES);
}

void sim_sign(const uint8_t *msg, size_t len, uint8_t sig[SIM_PACK_SIG_BYTES])
{
    sim_sip s;
    sim_sign_init(&s);
    sim_sip_update(&s, msg, len);
    sim_sign_final(&s, sig);
}

int sim_sign_verify(const uint8_t *msg, size_t len, const uint8_t sig[SIM_PACK_SIG_BYTES])
{
    uint8_t want[SIM_PACK_SIG_BYTES];
    sim_sign(msg, len, want);
    uint8_t diff = 0;
    for (size_t i = 0; i < sizeof want; i++)
        diff |= (uint8_t)(want[i] ^ sig[i]);
    return diff == 0 ? 0 : -1;
}

static void keystream_xor(const uint8_t nonce[20], const uint8_t *in, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint8_t block[8], seed[28];
        memcpy(seed, nonce, 20);
        put64(seed + 20, i / 8);
        sim_sip s;
        sim_sip_init(&s, box_key);
        sim_sip_update(&s, seed, sizeof seed);
        put64(block, sim_sip_final(&s));
        for (size_t j = 0; j < 8 && i + j < len; j++)
            out[i + j] = (uint8_t)(in[i + j] ^ block[j]);
    }
}

static void box_mac(const uint8_t nonce[20], const uint8_t *ct, size_t len, uint8_t mac[16])
{
    sim_sip s;
    sim_sip_init(&s, box_key);
    sim_sip_update(&s, context, sizeof context);
    sim_sip_update(&s, nonce, 20);
    sim_sip_update(&s, ct, len);
    expand(box_key, sim_sip_final(&s), mac, 16);
}

void sim_box_seal(const uint8_t *plain, size_t len, uint8_t *out)
{
    sim_sip s;
    sim_sip_init(&s, box_key);
    sim_sip_update(&s, plain, len);
    expand(box_key, sim_sip_final(&s), out, 20);
    keystream_xor(out, plain, out + SIM_PACK_BOX_HEADER, len);
    box_mac(out, out + SIM_PACK_BOX_HEADER, len, out + 20);
}

int sim_box_open(const uint8_t *boxed, size_t len, uint8_t *plain)
{
    if (len < SIM_PACK_BOX_HEADER)
        return -1;
    size_t n = len - SIM_PACK_BOX_HEADER;
    uint8_t mac[16], diff = 0;
    box_mac(boxed, boxed + SIM_PACK_BOX_HEADER, n, mac);
    for (size_t i = 0; i < sizeof mac; i++)
        diff |= (uint8_t)(mac[i] ^ boxed[20 + i]);
    if (diff)
        return -1;
    keystream_xor(boxed, boxed + SIM_PACK_BOX_HEADER, plain, n);
    return 0;
}
