/* Shared test helpers: generated fixtures and comparisons. Each helper file
 * in tests/support/ has one concern; add declarations here. */
#ifndef MPFLASH_TEST_FIXTURES_H
#define MPFLASH_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#endif
