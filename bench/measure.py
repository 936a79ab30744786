"""Measuring one command as a whole process tree: wall time, CPU time and peak memory.

Used by ``bench_batch.py``; see the "Batch conversion (archive scale)" section of
``bench/README.md`` for the method.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

MB = 2**20


class TreeSampler(threading.Thread):
    """Samples the resident memory of a process and all its descendants every
    ``interval`` seconds and keeps the largest sum.

    Each tick lists ``/proc``, reads the parent of every process not seen before (from
    ``/proc/PID/stat``), walks down from the root, and adds up ``VmRSS`` from
    ``/proc/PID/status``. Worker processes started by ``fork`` share unchanged pages with
    their parent; VmRSS counts such a page in every process that maps it, so the sum is
    what ``ps``/``top`` would add up (an upper bound on physical memory), as the issue's
    bars mean it. ``VmHWM`` (each process's own peak) is kept too: its sum over the tree
    bounds the sampled peak from above, since the processes need not peak together. The
    largest sum of ``Pss`` (``/proc/PID/smaps_rollup``: each shared page divided among
    the processes sharing it) is kept as well: that is the memory the tree really used.
    """

    def __init__(self, root: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.done = threading.Event()
        self.parent: dict[int, int] = {}
        self.hwm: dict[int, int] = {}
        self.cpu: dict[int, float] = {}  # pid -> its own user + system seconds, last seen
        self.tick = os.sysconf("SC_CLK_TCK")
        self.peak_sum = self.peak_processes = self.samples = self.peak_pss = 0

    @staticmethod
    def _ppid(pid: int) -> int | None:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                return int(f.read().rsplit(b")", 1)[1].split()[1])  # after "(comm)": state ppid
        except (OSError, ValueError, IndexError):
            return None

    def _cpu(self, pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime
        except (OSError, ValueError, IndexError):
            return None

    @staticmethod
    def _memory(pid: int) -> tuple[int, int]:
        rss = hwm = 0
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmRSS:"):
                        rss = int(line.split()[1]) * 1024
                    elif line.startswith(b"VmHWM:"):
                        hwm = int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return rss, hwm

    @staticmethod
    def _pss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def _tree(self) -> list[int]:
        alive = {int(n) for n in os.listdir("/proc") if n.isdigit()}
        for pid in list(self.parent):
            if pid not in alive:  # gone: forget it, so a reused pid is looked up again
                del self.parent[pid]
        for pid in alive - self.parent.keys():
            ppid = self._ppid(pid)
            if ppid is not None:
                self.parent[pid] = ppid
        children: dict[int, list[int]] = {}
        for pid, ppid in self.parent.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        return tree

    def sample(self) -> None:
        total, pss, tree = 0, 0, self._tree()
        for pid in tree:
            rss, hwm = self._memory(pid)
            total += rss
            pss += self._pss(pid)
            cpu = self._cpu(pid)
            if cpu is not None:
                self.cpu[pid] = cpu
            self.hwm[pid] = max(self.hwm.get(pid, 0), hwm)
        self.samples += 1
        self.peak_pss = max(self.peak_pss, pss)
        if total > self.peak_sum:
            self.peak_sum, self.peak_processes = total, len(tree)

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)


def run_measured(argv: list[str], log: Path, timeout: float,
                 cwd: Path | None = None) -> dict:
    """Run ``argv`` as a fresh process (its own session, so a timeout kills all of it):
    wall time, exit code, CPU time, and peak RSS of the tree.

    ``tree_peak_rss`` is the larger of the sampled sum (:class:`TreeSampler`) and the
    ``ru_maxrss`` that ``os.wait4`` reports for the top process (the largest of it and
    its waited-for descendants, not a sum), so a peak between two samples of a lone
    process is not missed.
    """
    load = os.getloadavg()[0]
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out, start_new_session=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        killer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
            wall = time.perf_counter() - start
            sampler.done.set()
            sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    top_peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {"wall_s": wall, "exit_code": proc.returncode, "user_s": usage.ru_utime,
            "sys_s": usage.ru_stime, "top_peak_rss": top_peak,
            "sampled_tree_rss": sampler.peak_sum, "tree_processes": sampler.peak_processes,
            "tree_peak_rss": max(top_peak, sampler.peak_sum),
            "tree_hwm_sum": sum(sampler.hwm.values()), "tree_peak_pss": sampler.peak_pss,
            "samples": sampler.samples,
            # own CPU of the top process and of the rest of the tree, as last sampled
            # (up to one interval early): the top process's share bounds the speed-up
            "top_own_cpu_s": sampler.cpu.get(proc.pid, 0.0),
            "others_cpu_s": sum(v for k, v in sampler.cpu.items() if k != proc.pid),
            "load_before": load, "load_after": os.getloadavg()[0],
            "log_tail": log.read_text("utf-8", "replace")[-1500:]}


def count_files(folder: Path, suffix: str) -> int:
    return sum(1 for p in folder.rglob(f"*{suffix}") if p.is_file())
