"""Record tests/transcripts/*.jsonl from real sessions of the harness with the test engine.

    python3 engines/tests/record_transcripts.py
Times in the recordings are whatever the run produced; tests check shapes, not values.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_harness import TRANSCRIPTS, WORKLOAD, Harness  # noqa: E402


def write(name, transcript):
    with open(os.path.join(TRANSCRIPTS, name), "w", encoding="utf-8") as handle:
        for entry in transcript:
            handle.write(json.dumps(entry, separators=(",", ":")) + "\n")


def main():
    os.makedirs(TRANSCRIPTS, exist_ok=True)
    h = Harness({"ttft_s": 0.002, "token_s": 0.001})
    h.receive()
    h.configure()
    h.send({"type": "idle", "seconds": 0.01})
    h.send({"type": "warmup", "mode": "converged", "n_requests": 2, "max_requests": 5, "cv_threshold": 0.5,
            "window": 3, "min_seconds": 0, "workload": WORKLOAD})
    h.send({"type": "prepare", "window_id": "001_c0", "workload": WORKLOAD})
    h.send({"type": "go", "window_id": "001_c0"})
    h.send({"type": "prepare", "window_id": "002_c0", "workload": dict(WORKLOAD, latency_profiling=True, batch_size=1)})
    h.send({"type": "go", "window_id": "002_c0"})
    h.send({"type": "go", "window_id": "002_c0"})
    h.send({"type": "shutdown"})
    h.close()
    write("session.jsonl", h.transcript)

    h = Harness({"fail": "load"})
    h.receive()
    h.configure()
    h.close()
    write("failed_load.jsonl", h.transcript)


if __name__ == "__main__":
    main()
