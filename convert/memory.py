"""Giving memory that a finished phase freed back to the system.

glibc's allocator keeps what a program frees for its next allocations. When a phase
frees many small blocks scattered through the heap (an lxml tree of a 20,000-entry
package document, the parsed posts of a book), the pages stay resident although little
on them is in use, and the next phase (the navigation, the NCX) takes fresh pages
beside them: peak memory becomes the sum of the phases instead of the largest one.
``malloc_trim`` hands every wholly free page back. Elsewhere (macOS, musl) this does
nothing; those allocators return memory on their own terms.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

_trim: Callable[[int], int] | None = None
if sys.platform.startswith("linux"):
    try:
        import ctypes  # a Python built without it still converts

        _trim = ctypes.CDLL(None).malloc_trim  # glibc only (musl has none)
        _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (ImportError, OSError, AttributeError):
        _trim = None


def release_free_memory() -> bool:
    """Return free heap pages to the system; True when the allocator could be asked."""
    if _trim is None:
        return False
    _trim(0)
    return True
