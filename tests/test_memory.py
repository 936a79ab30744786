"""convert.memory: freed heap pages go back to the system."""

from __future__ import annotations

import sys

import pytest

from convert.memory import release_free_memory


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_scattered_freed_blocks_leave_the_resident_set() -> None:
    if not release_free_memory():
        pytest.skip("not glibc")
    # 8,000 blocks of 16 KB (glibc's heap: beyond pymalloc, below mmap), every other
    # one kept, so no freed run reaches the top of the heap where glibc trims by itself.
    blocks = [bytes(16_384) for _ in range(8_000)]
    kept = blocks[1::2]
    del blocks
    before = _rss_kb()
    assert release_free_memory()
    after = _rss_kb()
    assert before - after > 30_000, (before, after)  # most of the 64 MB freed
    assert len(kept) == 4_000
