import subprocess
import sys

import pytest

from daedalus.world.core.memory import keep_freed_memory

# A tick in miniature: fresh 55k-slot columns made and dropped, a third of them kept a while.
_TICKS = """
import resource, sys
import numpy as np
from daedalus.world.core.memory import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def tick():
    kept, x = [], np.zeros(55_000)
    for i in range(30):
        x = x + i
        if i % 3 == 0:
            kept.append(x.astype(np.float32))
tick()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    tick()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def _faults_per_tick(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _TICKS, mode], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc allocator settings")
def test_kept_memory_removes_the_page_faults_of_fresh_columns():
    assert keep_freed_memory() is keep_freed_memory()  # set once per process
    kept, default = _faults_per_tick("keep"), _faults_per_tick("default")
    assert kept < 20
    assert default > 10 * max(kept, 10)
