"""Windows of llem's peers (Zeus, CodeCarbon) on llem's stand-ins, for scripts/bench_peers.ts.

    peer_windows.py gpu  TOOL NVML_LIBRARY WINDOWS   GPU energy of each window on the stand-in's manual clock
    peer_windows.py cpu  TOOL RAPL_DIR START WINDOWS  CPU/DRAM energy of each window, real clock from START
    peer_windows.py cost TOOL SECONDS                 the process's CPU while one window is open

TOOL is zeus or codecarbon; WINDOWS a JSON list of [start, end] seconds. Prints one JSON document. The
peers are pointed at the stand-ins, never changed otherwise: Zeus's RAPL folder and CodeCarbon's are module
defaults (set here), CodeCarbon looks for `nvidia-smi` on the PATH (the caller puts a stand-in there).
"""

import ctypes
import json
import sys
import time


def zeus_monitor(gpus, cpus, rapl_dir=None):
    if rapl_dir is not None:
        import zeus.device.cpu.rapl as rapl

        rapl.RAPL_DIR = rapl_dir
        rapl.rapl_is_available.cache_clear()
    from zeus.monitor import ZeusMonitor

    return ZeusMonitor(gpu_indices=gpus, cpu_indices=cpus)


def codecarbon_tracker(gpus, rapl_dir=None):
    import logging

    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    if rapl_dir is not None:
        import codecarbon.core.cpu as cpu

        original = cpu.IntelRAPL.__init__

        def stand_in_rapl(self, *args, **kwargs):
            kwargs["rapl_dir"] = rapl_dir
            original(self, *args, **kwargs)

        cpu.IntelRAPL.__init__ = stand_in_rapl
        cpu.is_rapl_available = lambda rapl_dir=None: True
    from codecarbon import OfflineEmissionsTracker

    return OfflineEmissionsTracker(
        country_iso_code="USA",
        gpu_ids=gpus,
        save_to_file=False,
        log_level="error",
        measure_power_secs=3600,
        tracking_mode="machine",
        rapl_include_dram=False,
    )


KWH = 3.6e6


def gpu_windows(tool, library, spans):
    clock = ctypes.CDLL(library).fakeNvmlSetTimeSeconds
    clock.argtypes = [ctypes.c_double]
    clock(0.0)
    energies = []
    if tool == "zeus":
        monitor = zeus_monitor([0], [])
        for i, (start, end) in enumerate(spans):
            clock(start)
            monitor.begin_window(f"w{i}", sync_execution=False)
            clock(end)
            energies.append(monitor.end_window(f"w{i}", sync_execution=False).gpu_energy[0])
    else:
        tracker = codecarbon_tracker([0])
        for i, (start, end) in enumerate(spans):
            clock(start)
            tracker.start_task(f"w{i}")
            clock(end)
            energies.append(tracker.stop_task(f"w{i}").gpu_energy * KWH)
    return energies


def sleep_until(unix_seconds):
    time.sleep(max(0.0, unix_seconds - time.time()))


def cpu_windows(tool, rapl_dir, start, spans):
    results = []
    # One window first, not counted: each peer sets itself up lazily on its first (Zeus starts its wrap
    # tracker process, CodeCarbon takes its RAPL baseline before stamping the task's start).
    if tool == "zeus":
        monitor = zeus_monitor([], [0], rapl_dir)
        monitor.begin_window("warm-up", sync_execution=False)
        monitor.end_window("warm-up", sync_execution=False)
        for i, (a, b) in enumerate(spans):
            sleep_until(start + a)
            monitor.begin_window(f"w{i}", sync_execution=False)
            sleep_until(start + b)
            m = monitor.end_window(f"w{i}", sync_execution=False)
            results.append({"cpu_j": m.cpu_energy[0], "dram_j": m.dram_energy[0], "seconds": m.time})
    else:
        tracker = codecarbon_tracker([], rapl_dir)
        tracker.start_task("warm-up")
        tracker.stop_task("warm-up")
        for i, (a, b) in enumerate(spans):
            sleep_until(start + a)
            tracker.start_task(f"w{i}")
            sleep_until(start + b)
            d = tracker.stop_task(f"w{i}")
            results.append({"cpu_j": d.cpu_energy * KWH, "dram_j": None, "seconds": d.duration})
    return results


def cost(tool, seconds):
    if tool == "zeus":
        monitor = zeus_monitor([0], [])
        monitor.begin_window("w", sync_execution=False)
    else:
        tracker = codecarbon_tracker([0])
        tracker.start_task("w")
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(seconds)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    if tool == "zeus":
        monitor.end_window("w", sync_execution=False)
    else:
        tracker.stop_task("w")
    return cpu / wall


def main(argv):
    mode, tool = argv[1], argv[2]
    if mode == "gpu":
        out = gpu_windows(tool, argv[3], json.loads(argv[4]))
    elif mode == "cpu":
        out = cpu_windows(tool, argv[3], float(argv[4]), json.loads(argv[5]))
    else:
        out = cost(tool, float(argv[3]))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
