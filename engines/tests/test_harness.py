"""Tests of the harness, run by .ci/run with `python3 -B -m unittest discover -s engines/tests`."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from support import HARNESS, REPO, REQUEST_FIELDS, workload
import harness  # after support, which puts engines/ on sys.path

TEST_ENGINE = os.path.join(REPO, "engines", "test_engine", "adapter.py")
TRANSCRIPTS = os.path.join(REPO, "tests", "transcripts")
WORKLOAD = workload(ignore_eos=True)

# Required fields of each harness message, per engines/README.md.
REQUIRED = {
    "hello": {"protocol", "harness_version", "engine", "engine_version", "python"},
    "loaded": {"load_seconds", "model_info", "memory_bytes", "observed_params"},
    "idle_done": set(),
    "warmup_done": {"iterations", "latencies_s", "converged", "final_cv", "seconds"},
    "ready": {"window_id", "n_requests", "input_tokens"},
    "finished": {"window_id", "finished_s", "finished_unix_s"},
    "done": {"window_id", "started_s", "finished_s", "capture", "requests"},
    "bye": set(),
    "log": {"level", "message"},
    "error": {"error_type", "message", "traceback", "fatal", "in_reply_to"},
}


def check_harness_message(test, message):
    test.assertIn(message["type"], REQUIRED)
    test.assertTrue(REQUIRED[message["type"]] <= set(message), message)
    for request in message.get("requests", []):
        test.assertTrue(REQUEST_FIELDS <= set(request), request)


class Harness:
    """A harness process with the test engine, spoken to line by line."""

    def __init__(self, options=None, env=None):
        self.process = subprocess.Popen(
            [sys.executable, HARNESS, "--engine", "test", "--adapter-path", TEST_ENGINE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        self.options = options or {}
        self.transcript = []
        self.finished = None  # the last window's `finished`

    def receive(self):
        line = self.process.stdout.readline()
        if not line:
            return None
        message = json.loads(line)
        self.transcript.append({"from": "harness", "message": message})
        return message

    def send(self, message):
        """Send a message and return its answer; a go's answer is its `done`, after its `finished`."""
        self.transcript.append({"from": "host", "message": message})
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        answer = self.receive()
        if message["type"] == "go" and answer is not None and answer["type"] == "finished":
            self.finished = answer
            done = self.receive()
            assert done is not None and done["window_id"] == answer["window_id"], (answer, done)
            return done
        return answer

    def configure(self):
        return self.send({"type": "configure", "model": "test/model", "engine_options": self.options,
                          "dtype": "bfloat16", "seed": 0})

    def close(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()


class HarnessProcessTest(unittest.TestCase):
    def session(self, options=None, env=None):
        h = Harness(options, env)
        self.addCleanup(h.close)
        hello = h.receive()
        self.assertEqual(hello["type"], "hello")
        self.assertEqual(hello["protocol"], harness.PROTOCOL_VERSION)
        self.assertEqual(hello["engine_version"], "test-engine 1.0")
        return h

    def test_a_secret_from_the_secrets_file_reaches_the_engine_and_nothing_else(self):
        secret = "hf_secretForTheHarnessTest42"
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        path = os.path.join(folder, "secrets.env")
        with open(path, "w") as handle:
            handle.write("# comment\nHF_TOKEN=%s\n" % secret)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        env = dict(os.environ, LLEM_SECRETS_FILE=path)
        env.pop("HF_TOKEN", None)
        h = self.session({"expect_env_sha256": {"HF_TOKEN": digest}}, env)
        self.assertEqual(h.configure()["type"], "loaded")
        self.assertEqual(h.send({"type": "shutdown"})["type"], "bye")
        self.assertNotIn(secret, json.dumps(h.transcript))
        wrong = self.session({"expect_env_sha256": {"HF_TOKEN": "0" * 64}}, env)
        error = wrong.configure()
        self.assertEqual(error["type"], "error")
        self.assertNotIn(secret, json.dumps(error))

    def test_the_harness_writes_no_bytecode_beside_itself(self):
        # A source checkout must stay clean: the harness, adapter_common and the adapter are imported from
        # the engines folder, which Python would otherwise fill with __pycache__.
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        for name in ("harness.py", "adapter_common.py"):
            shutil.copy(os.path.join(os.path.dirname(HARNESS), name), folder)
        os.mkdir(os.path.join(folder, "transformers"))
        shutil.copy(os.path.join(os.path.dirname(HARNESS), "transformers", "adapter.py"),
                    os.path.join(folder, "transformers"))
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        done = subprocess.run([sys.executable, os.path.join(folder, "harness.py"), "--engine", "transformers"],
                              input='{"type": "shutdown"}\n', capture_output=True, text=True, env=env, timeout=30)
        self.assertIn('"bye"', done.stdout, done.stderr)
        written = [root for root, dirs, files in os.walk(folder) if "__pycache__" in dirs]
        self.assertEqual(written, [])

    def test_load_secrets_reads_key_value_lines_and_returns_only_names(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        path = os.path.join(folder, "s.env")
        with open(path, "w") as handle:
            handle.write("\n# note\nA=1=2\nB= spaced \nnot a pair\n")
        environ = {"LLEM_SECRETS_FILE": path}
        self.assertEqual(harness.load_secrets(environ), ["A", "B"])
        self.assertEqual(environ["A"], "1=2")
        self.assertEqual(environ["B"], "spaced")
        self.assertEqual(harness.load_secrets({}), [])

    def test_a_full_session_follows_the_protocol(self):
        h = self.session({"ttft_s": 0.005, "token_s": 0.001})
        loaded = h.configure()
        self.assertEqual(loaded["type"], "loaded")
        self.assertEqual(loaded["model_info"]["layers"], 2)
        self.assertEqual(h.send({"type": "idle", "seconds": 0.01})["type"], "idle_done")
        warm = h.send({"type": "warmup", "mode": "fixed", "n_requests": 2, "max_requests": 20, "cv_threshold": 0.05,
                       "window": 3, "min_seconds": 0, "workload": WORKLOAD})
        self.assertEqual(warm["iterations"], 2)
        ready = h.send({"type": "prepare", "window_id": "w1", "workload": WORKLOAD})
        self.assertEqual(ready, {"type": "ready", "window_id": "w1", "n_requests": 4, "input_tokens": 28})
        done = h.send({"type": "go", "window_id": "w1"})
        self.assertEqual(done["type"], "done")
        # The window closes on `finished`, sent before the records with the same finish time.
        self.assertEqual(h.transcript[-2]["message"]["type"], "finished")
        self.assertEqual(h.finished, {"type": "finished", "window_id": "w1", "finished_s": done["finished_s"],
                                      "finished_unix_s": done["finished_unix_s"]})
        self.assertEqual(done["capture"], "per_batch")
        self.assertEqual([r["output_tokens"] for r in done["requests"]], [5, 5, 5, 5])
        self.assertEqual([r["input_tokens"] for r in done["requests"]], [7, 7, 7, 7])
        for r in done["requests"]:
            self.assertTrue(done["started_s"] <= r["start_s"] <= r["first_token_s"] <= r["end_s"] <= done["finished_s"])
        self.assertEqual(h.send({"type": "shutdown"}), {"type": "bye"})
        self.assertEqual(h.process.wait(timeout=10), 0)
        for entry in h.transcript:
            if entry["from"] == "harness":
                check_harness_message(self, entry["message"])

    def test_output_tokens_stop_at_eos_unless_ignored(self):
        h = self.session({"eos_after": 2, "ttft_s": 0, "token_s": 0})
        h.configure()
        h.send({"type": "prepare", "window_id": "a", "workload": dict(WORKLOAD, ignore_eos=False)})
        self.assertEqual({r["output_tokens"] for r in h.send({"type": "go", "window_id": "a"})["requests"]}, {2})
        h.send({"type": "prepare", "window_id": "b", "workload": WORKLOAD})
        self.assertEqual({r["output_tokens"] for r in h.send({"type": "go", "window_id": "b"})["requests"]}, {5})

    def test_latency_profiling_reports_each_token_time(self):
        h = self.session({"ttft_s": 0, "token_s": 0.001})
        h.configure()
        h.send({"type": "prepare", "window_id": "p", "workload": dict(WORKLOAD, latency_profiling=True, batch_size=1)})
        done = h.send({"type": "go", "window_id": "p"})
        self.assertEqual(done["capture"], "streaming")
        for r in done["requests"]:
            self.assertEqual(len(r["token_times_s"]), 5)
            self.assertEqual(r["token_times_s"], sorted(r["token_times_s"]))

    def test_engine_output_on_stdout_never_reaches_the_protocol_stream(self):
        h = self.session({"fail": "print_stdout", "ttft_s": 0, "token_s": 0})
        h.configure()
        h.send({"type": "prepare", "window_id": "w", "workload": WORKLOAD})
        self.assertEqual(h.send({"type": "go", "window_id": "w"})["type"], "done")
        h.send({"type": "shutdown"})
        h.process.wait(timeout=10)
        self.assertIn("engine chatter on stdout", h.process.stderr.read())

    def test_a_go_for_the_wrong_window_is_a_non_fatal_protocol_error(self):
        h = self.session({"ttft_s": 0, "token_s": 0})
        h.configure()
        h.send({"type": "prepare", "window_id": "w1", "workload": WORKLOAD})
        error = h.send({"type": "go", "window_id": "w2"})
        self.assertEqual((error["type"], error["error_type"], error["fatal"]), ("error", "ProtocolError", False))
        self.assertEqual(h.send({"type": "prepare", "window_id": "w3", "workload": WORKLOAD})["type"], "ready")

    def test_prepare_before_configure_and_unknown_types_are_protocol_errors(self):
        h = self.session()
        self.assertEqual(h.send({"type": "prepare", "window_id": "x", "workload": WORKLOAD})["error_type"], "ProtocolError")
        self.assertEqual(h.send({"type": "dance"})["error_type"], "ProtocolError")

    def test_a_failed_load_is_fatal_with_a_traceback(self):
        h = self.session({"fail": "load"})
        error = h.configure()
        self.assertEqual((error["type"], error["fatal"], error["in_reply_to"]), ("error", True, "configure"))
        self.assertIn("RuntimeError", error["traceback"])
        self.assertEqual(h.process.wait(timeout=10), 1)

    def test_an_engine_exception_mid_window_is_fatal(self):
        h = self.session({"fail": "raise"})
        h.configure()
        h.send({"type": "prepare", "window_id": "w", "workload": WORKLOAD})
        error = h.send({"type": "go", "window_id": "w"})
        self.assertEqual((error["type"], error["fatal"], error["error_type"]), ("error", True, "RuntimeError"))


def process_state(pid):
    """A process's state letter from /proc (Z for a zombie), or None when there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def gone(pid):
    """The process has ended (a zombie has ended too: it only waits for its parent to reap it)."""
    return process_state(pid) in (None, "Z")


def wait_until_gone(test, pids, seconds):
    """Poll until every pid has ended, failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(gone(pid) for pid in pids):
            return
        time.sleep(0.05)
    test.fail("still alive after %s s: %s" % (seconds, [p for p in pids if not gone(p)]))


def group_members(pgid):
    """Live processes in process group `pgid`."""
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(name))
    return members


def kill_quietly(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (OSError, TypeError):
            pass


# A stand-in for llem: starts the harness with LLEM_PARENT_PID set to its own pid, handing on its stdin and
# stdout, and waits. Killing it with SIGKILL leaves the harness's stdin open (the test holds the other end),
# so only the parent-death signal can end the harness.
STAND_IN_PARENT = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], env=dict(os.environ, LLEM_PARENT_PID=str(os.getpid())))
child.wait()
"""


@unittest.skipUnless(sys.platform.startswith("linux"), "reads /proc and uses the Linux parent-death signal")
class HostGoneTest(unittest.TestCase):
    """A harness never outlives its host: busy or not, its engine's processes end with it."""

    def busy_session(self, options):
        """A harness with a worker process, busy in `go`, and the pids of both."""
        h = Harness(dict(options, spawn_worker=True))
        hello = h.receive()
        self.assertEqual(hello["type"], "hello")
        loaded = h.configure()
        self.assertEqual(loaded["type"], "loaded", loaded)
        pids = [h.process.pid, loaded["observed_params"]["worker_pid"]]
        self.addCleanup(kill_quietly, pids)
        self.addCleanup(h.close)
        self.assertEqual(h.send({"type": "prepare", "window_id": "w", "workload": WORKLOAD})["type"], "ready")
        h.process.stdin.write(json.dumps({"type": "go", "window_id": "w"}) + "\n")
        h.process.stdin.flush()
        time.sleep(0.3)
        self.assertEqual([gone(pid) for pid in pids], [False, False], "the session is busy")
        return h, pids

    def test_a_harness_busy_in_a_call_ends_with_its_workers_when_the_host_closes_its_pipe(self):
        h, pids = self.busy_session({"fail": "hang"})
        h.process.stdin.close()
        wait_until_gone(self, pids, 10)

    def test_a_harness_stuck_holding_the_gil_is_ended_by_its_guardian_when_the_host_goes(self):
        h, pids = self.busy_session({"fail": "hold_gil"})
        h.process.stdin.close()
        wait_until_gone(self, pids, harness.GUARDIAN_GRACE_S + 10)

    def test_a_harness_killed_from_outside_takes_its_workers_with_it(self):
        h, pids = self.busy_session({"fail": "hang"})
        os.kill(h.process.pid, signal.SIGKILL)
        wait_until_gone(self, pids, 10)

    def test_a_harness_dies_with_its_parent_though_its_stdin_stays_open(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        pid_file = os.path.join(folder, "pids.json")
        read_end, write_end = os.pipe()
        parent = subprocess.Popen(
            [sys.executable, "-c", STAND_IN_PARENT, sys.executable, HARNESS, "--engine", "test",
             "--adapter-path", TEST_ENGINE],
            stdin=read_end, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        os.close(read_end)
        self.addCleanup(os.close, write_end)
        self.addCleanup(parent.stdout.close)
        self.addCleanup(parent.wait)
        options = {"fail": "hang", "spawn_worker": True, "pid_file": pid_file}
        for message in [
            {"type": "configure", "model": "m", "engine_options": options, "dtype": "bfloat16", "seed": 0},
            {"type": "prepare", "window_id": "w", "workload": WORKLOAD},
            {"type": "go", "window_id": "w"},
        ]:
            os.write(write_end, (json.dumps(message) + "\n").encode())
        self.assertEqual([json.loads(parent.stdout.readline())["type"] for _ in range(3)],
                         ["hello", "loaded", "ready"])
        with open(pid_file, encoding="utf-8") as handle:
            pids = json.load(handle)
        pids = [pids["harness"], pids["worker"]]
        self.addCleanup(kill_quietly, pids)
        os.kill(parent.pid, signal.SIGKILL)
        wait_until_gone(self, pids, 10)

    def test_an_orderly_shutdown_exits_0_and_leaves_no_process_of_the_harness_behind(self):
        # Not even a worker that the engine left running (it would hold the GPU's memory).
        h = Harness({"spawn_worker": True})
        self.addCleanup(h.close)
        self.assertEqual(h.receive()["type"], "hello")
        worker = h.configure()["observed_params"]["worker_pid"]
        self.addCleanup(kill_quietly, [worker])
        self.assertEqual(h.send({"type": "shutdown"}), {"type": "bye"})
        self.assertEqual(h.process.wait(timeout=10), 0)
        wait_until_gone(self, [worker], 10)
        deadline = time.monotonic() + 10
        while group_members(h.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(group_members(h.process.pid), [], "the guardian or a worker stayed")


class FakeAdapter:
    """Each run takes the next latency from a list, on a fake clock."""

    def __init__(self, latencies):
        self.latencies = list(latencies)
        self.now = 0.0

    def prepare(self, workload):
        return None

    def run(self, prepared):
        self.now += self.latencies.pop(0)


class WarmupTest(unittest.TestCase):
    def run_warmup(self, latencies, **message):
        adapter = FakeAdapter(latencies)
        original = harness.time.monotonic
        harness.time.monotonic = lambda: adapter.now
        try:
            base = {"mode": "converged", "n_requests": 2, "max_requests": 10, "cv_threshold": 0.05, "window": 3,
                    "min_seconds": 0, "workload": {}}
            base.update(message)
            return harness.warm_up(adapter, base)
        finally:
            harness.time.monotonic = original

    def test_converges_when_the_last_window_is_steady(self):
        result = self.run_warmup([1.0, 0.5, 0.30, 0.30, 0.30, 0.30])
        self.assertTrue(result["converged"])
        self.assertEqual(result["iterations"], 5)
        self.assertLess(result["final_cv"], 0.05)

    def test_stops_at_the_cap_without_converging(self):
        result = self.run_warmup([1.0, 0.2] * 10, max_requests=6)
        self.assertFalse(result["converged"])
        self.assertEqual(result["iterations"], 6)

    def test_fixed_mode_runs_exactly_n(self):
        result = self.run_warmup([0.1] * 10, mode="fixed", n_requests=4)
        self.assertEqual(result["iterations"], 4)
        self.assertTrue(result["converged"])

    def test_min_seconds_extends_a_fixed_warmup(self):
        result = self.run_warmup([0.5] * 10, mode="fixed", n_requests=1, min_seconds=2)
        self.assertEqual(result["iterations"], 4)
        self.assertEqual(result["seconds"], 2.0)

    def test_coefficient_of_variation(self):
        self.assertIsNone(harness.coefficient_of_variation([1.0]))
        self.assertAlmostEqual(harness.coefficient_of_variation([1.0, 3.0]), (2 ** 0.5) / 2)


class TranscriptTest(unittest.TestCase):
    def test_every_shared_transcript_follows_the_spec(self):
        names = sorted(n for n in os.listdir(TRANSCRIPTS) if n.endswith(".jsonl"))
        self.assertTrue(names)
        for name in names:
            with open(os.path.join(TRANSCRIPTS, name), encoding="utf-8") as handle:
                entries = [json.loads(line) for line in handle if line.strip()]
            self.assertEqual(entries[0]["message"]["type"], "hello", name)
            for entry in entries:
                if entry["from"] == "harness":
                    check_harness_message(self, entry["message"])


if __name__ == "__main__":
    unittest.main()
