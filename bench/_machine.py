"""The machine a benchmark ran on: cores, memory, Python, CPU model and load."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["machine"]


def _cpu_model(cpuinfo: Path) -> str:
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_bytes(meminfo: Path) -> int | None:
    try:
        text = meminfo.read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def machine() -> dict[str, Any]:
    """Cores, total memory, Python version, CPU model (``/proc/cpuinfo``) and load average."""
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(Path("/proc/meminfo")),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_model": _cpu_model(Path("/proc/cpuinfo")),
        "platform": platform.platform(),
        "load_average": load,
    }
