"""A peer of `longconv bench`: times one other implementation (numpy, fftw or torch) of the
benchmark cases, in this process, and reports the raw times to longconv.

    python3 bench_peer.py numpy|fftw|torch

Protocol, one JSON object per line. First this process says whether it can run:
    {"ready": true, "peer": "torch", "version": "...", "python": "...", "ops": ["fftconv", ...],
     "devices": ["cpu", "cuda"]}
    {"ready": false, "skipped": "why not"}
Then, for each line it reads,
    {"id": 1, "op": "fftconv", "device": "cpu", "shape": {"B": 8, "H": 32}, "L": 1024,
     "repeat": null, "warmup": 2, "budgetMs": 667, "minSamples": 1, "maxSamples": 4}
it answers
    {"id": 1, "fwdMs": [...], "fwdBwdMs": [...]}      (one time per timed call, in ms)
    {"id": 1, "skipped": "why not"}
until its input ends. longconv asks for each case several times (rounds alternating with its
own timing); the last case built is kept, so only the first request pays for building it.
The cases are built in bench_<peer>.py, each from the same op, shape and
length as longconv's case (lib/bench/suites.ts), in float32, with the thread count of the
environment (LONGCONV_PEER_THREADS, OMP_NUM_THREADS, ...). Everything but the timed calls
(data, FFTW plans, models) is made before the timing starts.
"""
import gc
import importlib
import json
import sys

from bench_common import Skip, sample_ms


def say(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class LastCase:
    """The most recent case, kept for the next request with the same op, shape, L and device."""
    key = None
    case = None

    @classmethod
    def get(cls, module, request):
        key = json.dumps([request["op"], request["shape"], request["L"], request["device"]], sort_keys=True)
        if key != cls.key:
            cls.key, cls.case = None, None
            gc.collect()
            module.release()
            build = module.CASES.get(request["op"])
            if build is None:
                raise Skip(f"{module.NAME} has no {request['op']} (it runs {', '.join(module.CASES)})")
            cls.case = build(request["shape"], request["L"], request["device"])
            cls.key = key
        return cls.case


def run_case(module, request):
    case = LastCase.get(module, request)
    timer = {"timer": case["timer"]} if "timer" in case else {}
    plan = (request.get("repeat"), request["warmup"], request["budgetMs"], request["minSamples"], request["maxSamples"])
    return {"fwdMs": sample_ms(case["forward"], *plan, **timer),
            "fwdBwdMs": sample_ms(case["forward_backward"], *plan, **timer)}


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in ("numpy", "fftw", "torch"):
        say({"ready": False, "skipped": f"unknown peer '{name}' (choose from numpy, fftw, torch)"})
        return
    python = f"{sys.executable} (Python {sys.version.split()[0]})"
    try:
        module = importlib.import_module(f"bench_{name}")
    except ImportError as e:
        say({"ready": False, "skipped": f"{python} cannot import {e.name or name} ({e})"})
        return
    say({"ready": True, "peer": name, "version": module.version(), "python": python, "ops": list(module.CASES),
         "devices": list(module.DEVICES)})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            answer = run_case(module, request)
        except Skip as e:
            answer = {"skipped": str(e)}
        except MemoryError:
            answer = {"skipped": "out of memory"}
        except Exception as e:  # a failure of the peer's own library is reported, not fatal
            answer = {"skipped": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
        say({"id": request["id"], **answer})


if __name__ == "__main__":
    main()
