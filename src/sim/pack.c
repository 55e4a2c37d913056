/* placeholder: replaced below */
#include "sim/sim_internal.h"
mpf_err sim_pack_new(mpf_sim *sim, mpf_error *err) { (void)sim; return mpf_error_set(err, MPF_ERR_USAGE, "packing: not yet"); }
void sim_pack_free(mpf_sim *sim) { (void)sim; }
sim_outcome sim_pack_write(mpf_sim *sim, uint32_t address, const uint8_t *data, uint16_t len) { (void)sim; (void)address; (void)data; (void)len; return (sim_outcome){.failed = 1}; }
