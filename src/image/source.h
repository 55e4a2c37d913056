/* The "source" of a segment or slice: a fixed-size description of where its
 * bytes came from, for messages ("fw.elf: segment 2"). */
#ifndef MPFLASH_IMAGE_SOURCE_H
#define MPFLASH_IMAGE_SOURCE_H

#include "mpflash/image.h"

/* Copy src (NULL = "") into dst. An over-long source keeps its tail (the end
 * of a path names the file, its start only directories) behind a "…" that
 * shows it was cut. */
void mpf_source_copy(char dst[MPF_SOURCE_MAX], const char *src);

#endif
