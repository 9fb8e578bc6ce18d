"""The test engine: "generates" tokens on a schedule and fails on demand, with no model and no GPU. It runs
llem's tests and `llem demo` (which says its figures are simulated).

Engine options (from `configure`):
  ttft_s         seconds to the first token of each batch (default 0.01)
  token_s        seconds per further token (default 0.001)
  output_tokens  tokens per request (default: max_new_tokens; an "EOS" earlier unless ignore_eos)
  eos_after      tokens after which a request stops when ignore_eos is false (default: never)
  fail           one of: load, exit_mid_window, hang, hold_gil, oom, garbage, out_of_order, print_stdout, raise
  fail_on_window the window ordinal (1-based) on which `fail` fires (default 1)
  fail_unless    a path: `fail` fires only while nothing exists there (a fault a retry can get past)
  expect_env     {NAME: value}: fail to load unless the environment has exactly these values
  spawn_worker   start a worker process at load, as engines do (vLLM's), that lives until killed
  pid_file       write {"harness": pid, "worker": pid or null} to this file at load
Prompts are whitespace-separated words; one word is one token.
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time


class Prepared:
    def __init__(self, prompts, workload):
        self.prompts = prompts
        self.workload = workload
        self.n_requests = len(prompts)
        self.input_tokens = sum(len(p.split()) for p in prompts)


class TestEngine:
    def __init__(self):
        self.options = {}
        self.channel = None
        self.windows = 0

    def attach_channel(self, channel):
        self.channel = channel

    def engine_version(self):
        return "test-engine 1.0"

    def load(self, model, engine_options, dtype, seed):
        self.options = dict(engine_options)
        # Settings may come flat (protocol tests) or under `extra` (an engine section of a study config).
        self.options.update(self.options.pop("extra", None) or {})
        if self.options.get("fail") == "load":
            raise RuntimeError("the test engine was asked to fail while loading " + model)
        for name, digest in self.options.get("expect_env_sha256", {}).items():
            # Proves a secret reached the engine's environment without echoing it anywhere.
            seen = hashlib.sha256(os.environ.get(name, "").encode("utf-8")).hexdigest()
            if seen != digest:
                raise RuntimeError("the environment variable %s is missing or different" % name)
        for name, value in self.options.get("expect_env", {}).items():
            # Proves what a runner put in the engine's environment (the GPUs a container was given).
            if os.environ.get(name) != value:
                raise RuntimeError("%s is %r, expected %r" % (name, os.environ.get(name), value))
        worker = None
        if self.options.get("spawn_worker"):
            # A process of the engine's own, in the harness's process group, that never exits by itself.
            worker = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(3600)"],
                                      stdin=subprocess.DEVNULL).pid
        if self.options.get("pid_file"):
            with open(self.options["pid_file"], "w", encoding="utf-8") as handle:
                json.dump({"harness": os.getpid(), "worker": worker}, handle)
        observed = {"ttft_s": self.ttft(), "token_s": self.token_time()}
        if worker is not None:
            observed["worker_pid"] = worker
        return {
            "model_info": {"parameters": 1000, "layers": 2, "hidden_size": 16, "vocab_size": 100, "dtype": dtype},
            "memory_bytes": None,
            "observed_params": observed,
        }

    def ttft(self):
        return float(self.options.get("ttft_s", 0.01))

    def token_time(self):
        return float(self.options.get("token_s", 0.001))

    def prepare(self, workload):
        if workload.get("prompts") is not None:
            prompts = list(workload["prompts"])
        else:
            synthetic = workload["synthetic"]
            prompts = [" ".join(["tok"] * synthetic["input_len_tokens"])] * synthetic["n_prompts"]
        limit = workload.get("max_input_tokens")
        if limit:
            prompts = [" ".join(p.split()[:limit]) for p in prompts]
        return Prepared(prompts, workload)

    def run(self, prepared):
        self.windows += 1
        workload = prepared.workload
        fail = self.options.get("fail")
        failing_now = fail and self.windows == int(self.options.get("fail_on_window", 1))
        cured = self.options.get("fail_unless")
        if cured and os.path.exists(cured):
            failing_now = False
        if failing_now:
            self.fail(fail)
        n_out = int(self.options.get("output_tokens", workload["max_new_tokens"]))
        eos_after = self.options.get("eos_after")
        if eos_after is not None and not workload.get("ignore_eos", False):
            n_out = min(n_out, int(eos_after))
        profiling = bool(workload.get("latency_profiling"))
        requests = []
        batch = max(1, int(workload.get("batch_size", 1)))
        for first in range(0, prepared.n_requests, batch):
            members = range(first, min(first + batch, prepared.n_requests))
            start = time.monotonic()
            time.sleep(self.ttft())
            times = [time.monotonic()]
            for _ in range(n_out - 1):
                time.sleep(self.token_time())
                times.append(time.monotonic())
            for index in members:
                record = {
                    "index": index,
                    "input_tokens": len(prepared.prompts[index].split()),
                    "output_tokens": n_out,
                    "start_s": start,
                    "first_token_s": times[0] if n_out > 0 else None,
                    "end_s": times[-1] if n_out > 0 else start,
                }
                if profiling:
                    record["token_times_s"] = times[:n_out]
                requests.append(record)
        return ("streaming" if profiling else "per_batch"), requests

    def fail(self, mode):
        if mode == "exit_mid_window":
            os._exit(3)
        if mode == "hang":
            while True:
                time.sleep(3600)
        if mode == "hold_gil":
            # Busy in C code that never releases the GIL (as some engine calls are): a catastrophic regex.
            while True:
                re.match(r"(a+)+$", "a" * 64 + "b")
        if mode == "oom":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "garbage":
            self.channel.send_raw("this is not JSON {")
        if mode == "out_of_order":
            self.channel.send({"type": "ready", "window_id": "nobody-asked", "n_requests": 0, "input_tokens": 0})
        if mode == "print_stdout":
            # Engines print to stdout; the harness must keep this out of the protocol stream.
            print("engine chatter on stdout")
            sys.stdout.flush()
        if mode == "raise":
            raise RuntimeError("the test engine failed mid-window")


def create_adapter():
    return TestEngine()
