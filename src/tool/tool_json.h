/* A minimal streaming JSON writer: the tool emits one object per line, and
 * keys and value types are a documented contract (docs/json.md). */
#ifndef MPFLASH_TOOL_JSON_H
#define MPFLASH_TOOL_JSON_H

#include <stdint.h>
#include <stdio.h>

#define TOOL_JSON_DEPTH 8

typedef struct tool_json {
    FILE *f;
    int depth;
    int first[TOOL_JSON_DEPTH]; /* no member written yet at this level */
} tool_json;

void tj_begin(tool_json *j, FILE *f);   /* { */
void tj_end(tool_json *j);              /* }\n */
void tj_object(tool_json *j, const char *key); /* "key":{  (key NULL inside an array) */
void tj_array(tool_json *j, const char *key);  /* "key":[ */
void tj_close_object(tool_json *j);
void tj_close_array(tool_json *j);
void tj_str(tool_json *j, const char *key, const char *value); /* NULL value = null */
void tj_u64(tool_json *j, const char *key, uint64_t value);
void tj_int(tool_json *j, const char *key, long long value);
void tj_bool(tool_json *j, const char *key, int value);
void tj_hex32(tool_json *j, const char *key, uint32_t value); /* "0x%08x" as a string */
void tj_hex16(tool_json *j, const char *key, uint16_t value); /* "0x%04x" as a string */

#endif
