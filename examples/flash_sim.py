#!/usr/bin/env python3
"""Flash a firmware file onto libmpflash's virtual STM32F401 from Python,
through ctypes and nothing else: what a Python front end (mpremote, Thonny)
would do with a real board (mpf_usb_open_matching instead of the virtual one).

It also shows cancelling: the first flash is cancelled from the progress
callback halfway through writing, the session is opened again, and the same
flash run again finishes the job. Then every byte is checked on the board.

    python3 flash_sim.py firmware.dfu [path/to/libmpflash.so]
"""
import ctypes
import ctypes.util
import sys
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char, c_char_p, c_int,
                    c_size_t, c_uint8, c_uint32, c_uint64, c_void_p)

MPF_OK = 0
MPF_ERR_CANCELLED = 21   # enum mpf_err in <mpflash/error.h>
MPF_PHASE_WRITE = 2      # enum mpf_phase in <mpflash/engine.h>
MPF_LOG_WARN = 1


# The structures this program touches, as <mpflash/*.h> declare them: in
# full where it reads them all (mpf_error, mpf_segment), else the leading
# fields it reads and room to spare for the rest, which only C looks at.
class Error(Structure):
    _fields_ = [("code", c_int), ("reason", c_int), ("message", c_char * 512)]


class Transport(Structure):
    # mpf_transport: ops, ctx, then the mpf_device_info a plan is built from.
    _fields_ = [("ops", c_void_p), ("ctx", c_void_p), ("info", c_uint8 * 16384)]


class Segment(Structure):
    _fields_ = [("alt", c_uint8), ("address", c_uint32), ("data", POINTER(c_uint8)),
                ("size", c_size_t), ("source", c_char * 96)]


class Image(Structure):
    _fields_ = [("segments", POINTER(Segment)), ("count", c_size_t), ("rest", c_uint8 * 1024)]


class Plan(Structure):
    _fields_ = [("erases", c_void_p), ("erase_count", c_size_t), ("rest", c_uint8 * 1024)]


PROGRESS = CFUNCTYPE(None, c_void_p, c_int, c_uint64, c_uint64)
LOG = CFUNCTYPE(None, c_void_p, c_int, c_char_p)


class Callbacks(Structure):
    _fields_ = [("progress", PROGRESS), ("log", LOG), ("user", c_void_p)]


def load(path):
    lib = ctypes.CDLL(path)
    sigs = {
        "mpf_version": (c_char_p, []),
        "mpf_strerror": (c_char_p, [c_int]),
        "mpf_image_init": (None, [POINTER(Image)]),
        "mpf_image_free": (None, [POINTER(Image)]),
        "mpf_load_file": (c_int, [POINTER(Image), c_char_p, c_void_p, c_void_p, POINTER(Error)]),
        "mpf_image_normalize": (c_int, [POINTER(Image), POINTER(Error)]),
        "mpf_sim_new": (c_int, [c_char_p, POINTER(c_void_p), POINTER(Error)]),
        "mpf_sim_free": (None, [c_void_p]),
        "mpf_sim_transport": (None, [c_void_p, POINTER(Transport)]),
        "mpf_sim_peek": (c_int, [c_void_p, c_uint32, c_void_p, c_size_t]),
        "mpf_transport_close": (None, [POINTER(Transport)]),
        "mpf_plan_build": (c_int, [POINTER(Image), c_void_p, c_void_p, POINTER(Plan),
                                   POINTER(Error)]),
        "mpf_plan_free": (None, [POINTER(Plan)]),
        "mpf_dfu_new": (c_int, [POINTER(Transport), POINTER(Callbacks), POINTER(c_void_p),
                                POINTER(Error)]),
        "mpf_dfu_open": (c_int, [c_void_p, POINTER(Transport), POINTER(Callbacks), POINTER(Error)]),
        "mpf_dfu_flash_ex": (c_int, [c_void_p, POINTER(Plan), c_void_p, POINTER(Error)]),
        "mpf_dfu_cancel": (None, [c_void_p]),
        "mpf_dfu_close": (None, [c_void_p]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


class Failed(Exception):
    pass


def check(lib, rc, err):
    if rc != MPF_OK:
        raise Failed("%s (%s)" % (err.message.decode(), lib.mpf_strerror(rc).decode()))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: flash_sim.py FIRMWARE [LIBRARY]")
    path = sys.argv[2] if len(sys.argv) == 3 else ctypes.util.find_library("mpflash")
    lib = load(path or "libmpflash.so")
    print("libmpflash %s" % lib.mpf_version().decode())

    err = Error()
    img, plan, t = Image(), Plan(), Transport()
    sim, dfu = c_void_p(), c_void_p()
    lib.mpf_image_init(byref(img))
    state = {"cancel_at": None, "cancelled": False}

    def on_progress(_user, phase, done, total):
        # Halfway through writing, the first time: a GUI's Cancel button.
        if phase == MPF_PHASE_WRITE and state["cancel_at"] is None and total:
            state["cancel_at"] = total // 2
        if (phase == MPF_PHASE_WRITE and not state["cancelled"]
                and done >= (state["cancel_at"] or total + 1)):
            state["cancelled"] = True
            lib.mpf_dfu_cancel(dfu)
        if done == total:
            print("%s: %d/%d" % (("connect", "erase", "write", "verify", "read", "leave")[phase],
                                 done, total))

    def on_log(_user, level, message):
        if level <= MPF_LOG_WARN:
            print("flash_sim.py: %s" % message.decode(), file=sys.stderr)

    cb = Callbacks(PROGRESS(on_progress), LOG(on_log), None)
    try:
        check(lib, lib.mpf_load_file(byref(img), sys.argv[1].encode(), None, None, byref(err)), err)
        check(lib, lib.mpf_image_normalize(byref(img), byref(err)), err)
        check(lib, lib.mpf_sim_new(b"f401", byref(sim), byref(err)), err)
        lib.mpf_sim_transport(sim, byref(t))
        check(lib, lib.mpf_plan_build(byref(img), byref(t.info), None, byref(plan), byref(err)), err)
        print("plan: %d sectors to erase" % plan.erase_count)
        check(lib, lib.mpf_dfu_new(byref(t), byref(cb), byref(dfu), byref(err)), err)

        rc = lib.mpf_dfu_flash_ex(dfu, byref(plan), None, byref(err))
        if rc != MPF_ERR_CANCELLED:
            raise Failed("the first flash was to be cancelled, it gave %d" % rc)
        print("cancelled: %s" % err.message.decode())
        # A cancelled session is opened again; the same flash finishes the job.
        check(lib, lib.mpf_dfu_open(dfu, byref(t), byref(cb), byref(err)), err)
        check(lib, lib.mpf_dfu_flash_ex(dfu, byref(plan), None, byref(err)), err)

        total = 0
        for i in range(img.count):
            seg = img.segments[i]
            got = (c_uint8 * seg.size)()
            if lib.mpf_sim_peek(sim, seg.address, got, seg.size) != 0 or \
                    bytes(got) != ctypes.string_at(seg.data, seg.size):
                raise Failed("0x%08X: board differs from the image" % seg.address)
            total += seg.size
        print("done: %d bytes on the board, byte for byte" % total)
        return 0
    except Failed as e:
        print("flash_sim.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        lib.mpf_dfu_close(dfu)
        lib.mpf_transport_close(byref(t))
        lib.mpf_plan_free(byref(plan))
        lib.mpf_sim_free(sim)
        lib.mpf_image_free(byref(img))


if __name__ == "__main__":
    sys.exit(main())
