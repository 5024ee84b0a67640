"""Keeping freed memory in the process, so a tick's fresh arrays do not fault in new pages.

Every tick allocates and frees the same few hundred kilobyte-sized column arrays. glibc's
allocator hands large blocks back to the kernel (``munmap``, or trimming the heap top) as soon
as they are freed, so the next tick's allocation of the same size faults in zeroed pages again
(about 300 page faults per tiny_island tick). ``keep_freed_memory`` raises the allocator's
mmap and trim thresholds so freed blocks stay in the heap for reuse. Only the process's
allocator settings change, never a value: a no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
"""Blocks below this come from the heap (32 MiB, glibc's largest allowed value)."""
TRIM_THRESHOLD = 512 << 20
"""Free memory at the heap top kept before trimming (bounds what an idle process holds)."""
_done: list[bool] = []


def keep_freed_memory() -> bool:
    """Set the allocator thresholds once per process; True when they are in effect."""
    if _done:
        return _done[0]
    ok = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):
            mallopt = None
        if mallopt is not None:
            ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
    _done.append(ok)
    return ok
