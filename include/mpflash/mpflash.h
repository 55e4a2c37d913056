/* mpflash — umbrella header for the library. */
#ifndef MPFLASH_MPFLASH_H
#define MPFLASH_MPFLASH_H

#include "mpflash/chip.h"
#include "mpflash/dfu.h"
#include "mpflash/engine.h"
#include "mpflash/error.h"
#include "mpflash/image.h"
#include "mpflash/layout.h"
#include "mpflash/machine.h"
#include "mpflash/pack.h"
#include "mpflash/plan.h"
#include "mpflash/serial.h"
#include "mpflash/sim.h"
#include "mpflash/timing.h"
#include "mpflash/transport.h"
#include "mpflash/usb.h"
#include "mpflash/version.h"

#endif
