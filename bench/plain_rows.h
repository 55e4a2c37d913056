/* The plain DFU 1.1 rows of bench_flash: a 1.5 MiB download onto each
 * virtual plain board against the device's own limit. */
#ifndef MPFLASH_BENCH_PLAIN_ROWS_H
#define MPFLASH_BENCH_PLAIN_ROWS_H

/* Prints the rows (and their JSON lines); returns 0, or -1 if a row failed. */
int bench_plain_rows(void);

#endif
