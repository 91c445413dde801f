"""What the longconv bench peers share: how they time a case, when they refuse one, and the
thread count they were started with (bench_peer.py runs them; see its docstring)."""
import os
import time


class Skip(Exception):
    """This peer does not run this case; the message says why (it is shown in the row)."""


def threads():
    """The CPU thread count longconv asked for (OMP_NUM_THREADS and friends are set too)."""
    return int(os.environ.get("LONGCONV_PEER_THREADS", "1"))


def wall_ms(fn):
    """Milliseconds of one call of fn, by the wall clock (CPU work is done when fn returns)."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def sample_ms(fn, repeat, warmup, budget_ms, min_samples, max_samples, timer=wall_ms):
    """fn `warmup` times, then the times of `repeat` calls; without repeat, min_samples to
    max_samples calls within about budget_ms (the same rule as longconv's own sampling)."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while True:
        times.append(timer(fn))
        elapsed = (time.perf_counter() - start) * 1e3
        if repeat is not None:
            if len(times) >= repeat:
                return times
        elif len(times) >= max_samples or (len(times) >= min_samples and elapsed >= budget_ms):
            return times


def available_memory():
    """MemAvailable from /proc/meminfo in bytes, or None where there is no such file."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def guard(need_bytes, what, free_bytes=None):
    """Refuses a case whose working set would not fit: more than LONGCONV_PEER_MAX_BYTES, or
    else half the memory available now (free_bytes: a device's free memory instead)."""
    limit = os.environ.get("LONGCONV_PEER_MAX_BYTES")
    if limit is not None:
        limit = float(limit)
    else:
        free = available_memory() if free_bytes is None else free_bytes
        limit = None if free is None else free / 2
    if limit is not None and need_bytes > limit:
        raise Skip(f"{what} needs about {need_bytes / 2**30:.1f} GiB, over this peer's limit of "
                   f"{limit / 2**30:.1f} GiB (half the available memory, or LONGCONV_PEER_MAX_BYTES)")
