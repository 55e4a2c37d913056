/* A tiny Cortex-M4 firmware used as a real linker's output for the loader
 * cross-checks. It is never run in the tests, but it is a complete program:
 * reset copies the vector table and .data from flash to RAM, clears .bss
 * and moves VTOR, as MicroPython's startup does. */
#include <stdint.h>

extern uint32_t _estack;
extern uint32_t _sivector, _svector, _evector;
extern uint32_t _sidata, _sdata, _edata;
extern uint32_t _sbss, _ebss;

void Reset_Handler(void);
void Default_Handler(void);
int main(void);

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define VECTOR_COUNT (16 + 82) /* Cortex-M4 core + STM32F4 interrupts */

typedef void (*vector)(void);

__attribute__((section(".isr_vector"), used))
const vector vector_table[VECTOR_COUNT] = {
    (vector)&_estack,
    Reset_Handler,
    [2 ... VECTOR_COUNT - 1] = Default_Handler,
};

/* Non-zero initial values, so .data has bytes to store in flash. */
volatile uint32_t boot_count = 0x4D504631u; /* "MPF1" */
volatile uint8_t pattern[24] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233};
volatile uint32_t scratch[32];

static void copy_words(uint32_t *dst, const uint32_t *src, const uint32_t *dst_end)
{
    while (dst < dst_end)
        *dst++ = *src++;
}

void Reset_Handler(void)
{
    copy_words(&_svector, &_sivector, &_evector);
    SCB_VTOR = (uint32_t)&_svector;
    copy_words(&_sdata, &_sidata, &_edata);
    for (uint32_t *p = &_sbss; p < &_ebss; p++)
        *p = 0;
    main();
    for (;;) {
    }
}

void Default_Handler(void)
{
    for (;;) {
    }
}

int main(void)
{
    for (uint32_t i = 0;; i++) {
        scratch[i % 32] = boot_count + pattern[i % sizeof pattern];
        boot_count++;
    }
}
