#!/usr/bin/env python3
"""llem's harness: runs inside an engine's process and speaks protocol 2 (engines/README.md).

Standard library only, Python 3.9+. The host mounts this folder read-only and starts
    python3 harness.py --engine <id>            (adapter engines/<id>/adapter.py)
    python3 harness.py --adapter-path FILE.py   (any adapter, e.g. the test engine)
"""
import argparse
import collections
import importlib.util
import json
import math
import os
import platform
import select
import signal
import stat
import sys
import threading
import time
import traceback

# No __pycache__ beside adapter_common and the adapters: a source checkout stays clean, and a read-only mount
# of this folder is never written to. Set before any of them is imported.
sys.dont_write_bytecode = True

PROTOCOL_VERSION = 2
HARNESS_VERSION = "0.1.0"
HERE = os.path.dirname(os.path.abspath(__file__))
# How long the guardian waits, once the host's end of stdin has closed, for the harness to leave by itself.
GUARDIAN_GRACE_S = 5.0
# The exit status of a harness that ends itself because its host is gone (nobody reads it: the host is gone).
HOST_GONE_EXIT = 75
# prctl(2) option: the signal this process gets when its parent dies (<linux/prctl.h>).
PR_SET_PDEATHSIG = 1


class ProtocolError(Exception):
    """The host broke the protocol (wrong order, unknown window)."""


class Channel:
    """The private protocol stream: a duplicate of the original stdout.

    Engines print to stdout, so fd 1 is pointed at stderr (the session log) before anything else runs;
    only this channel carries protocol lines.
    """

    def __init__(self):
        protocol_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._stream = os.fdopen(protocol_fd, "w", buffering=1, encoding="utf-8")

    def send(self, message):
        self._stream.write(json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n")
        self._stream.flush()

    def send_raw(self, text):
        """For tests of the host's robustness only: write an arbitrary line."""
        self._stream.write(text + "\n")
        self._stream.flush()


def lead_process_group():
    """Make the harness the leader of its own process group, so that the group is the harness and every
    process the engine starts (vLLM's workers): what the host, the guardian and a host-gone harness kill.
    Returns whether the harness leads its group. A session leader (the process runner starts the harness
    in a new session) already leads one."""
    if os.getpgrp() == os.getpid():
        return True
    try:
        os.setpgid(0, 0)
    except OSError:
        return False
    return True


def end_group(leader):
    """SIGKILL the harness's process group (itself included) when it leads one, else just the harness."""
    sys.stderr.flush()
    if leader:
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(HOST_GONE_EXIT)


def die_with_parent(environ):
    """Under the process runner, die with llem: ask the kernel for SIGKILL when the parent (llem, whose pid
    the host puts in LLEM_PARENT_PID) dies, even while busy in a call that never returns to Python.
    Containers leave LLEM_PARENT_PID unset (their parent is the container's init); there the stdin
    watchdog and the guardian do this job. Returns whether the parent-death signal is set."""
    parent = environ.pop("LLEM_PARENT_PID", None)
    if not parent or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    except (ImportError, OSError, AttributeError) as error:
        sys.stderr.write("llem harness: cannot ask to die with llem (%s); the stdin watchdog remains\n" % error)
        return False
    if os.getppid() != int(parent):
        # Either llem died before the signal was set (the harness was re-parented, and no signal will
        # come), or a wrapper (a shim `python`) started the harness; only the first is a reason to go.
        try:
            os.kill(int(parent), 0)
        except ProcessLookupError:
            os._exit(HOST_GONE_EXIT)
        except PermissionError:
            pass
    return True


def start_guardian(leader):
    """Fork the guardian: a small process in the harness's group that SIGKILLs the group once the harness
    is gone, however it went (it left in order, or was killed by the parent-death signal, the OOM killer, a
    crash), so the engine's workers never outlive it; and when the host's end of stdin has closed and the
    harness has not started to leave within GUARDIAN_GRACE_S (the stdin watchdog could not run: a call
    that holds the GIL).

    Runs before any thread or engine exists, so forking is safe. Returns the lifeline: the harness writes
    one byte to it as it starts to leave in order (no grace then: an engine's teardown may take its time).
    None when stdin is not a pipe (a person at a terminal) or the harness leads no group."""
    try:
        if not leader or not stat.S_ISFIFO(os.fstat(0).st_mode):
            return None
    except OSError:
        return None
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        code = 0
        try:
            os.close(write_end)
            guard(read_end)
        except BaseException:  # the guardian must never run harness code after the fork
            code = 1
        os._exit(code)
    os.close(read_end)
    return write_end


def guard(lifeline):
    """The guardian's loop (see start_guardian). Keeps only stdin, to watch for its hang-up."""
    harness = os.getppid()
    devnull = os.open(os.devnull, os.O_RDWR)
    # Hold neither the protocol stream nor the log open: the host reads both to their end.
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.closerange(3, lifeline)
    os.closerange(lifeline + 1, 1 << 16)
    poller = select.poll()
    poller.register(lifeline, select.POLLIN)
    poller.register(0, 0)  # no events asked: poll still reports POLLHUP when the host's end closes
    hung_up = None
    leaving = False
    # The harness is gone when the guardian has a new parent; a worker forked without exec may hold the
    # lifeline's other end, so its hang-up alone does not say so.
    while os.getppid() == harness:
        if hung_up is not None and not leaving and time.monotonic() - hung_up >= GUARDIAN_GRACE_S:
            break  # the host is gone and the harness does not leave
        events = dict(poller.poll(100))
        if lifeline in events:
            if not os.read(lifeline, 1):
                break  # the harness died without a word
            leaving = True
            poller.unregister(lifeline)
        if 0 in events:
            poller.unregister(0)
            hung_up = time.monotonic()
    os.killpg(os.getpgrp(), signal.SIGKILL)


class Inbox:
    """Host lines, read from stdin by a watchdog thread so the host's going is seen while the harness is
    busy. stdin reaching its end in the middle of a call, with no `shutdown` sent, means llem is gone
    (killed, or its container client), and the harness ends its group at once instead of finishing a call
    nobody will read. Lines already sent are still served (a script piped in, then closed), within the
    guardian's grace."""

    def __init__(self, stream, on_host_gone):
        self._stream = stream
        self._on_host_gone = on_host_gone
        self._lines = collections.deque()
        self._ready = threading.Condition()
        self._closed = False
        self._busy = False
        self._shutdown_sent = False

    def start(self):
        threading.Thread(target=self._read, name="llem-stdin-watchdog", daemon=True).start()

    def _read(self):
        try:
            for line in self._stream:
                if '"shutdown"' in line and is_shutdown(line):
                    self._shutdown_sent = True
                with self._ready:
                    self._lines.append(line)
                    self._ready.notify()
        except (OSError, ValueError) as error:  # ValueError: bytes that are not UTF-8
            sys.stderr.write("llem harness: cannot read stdin any further: %r\n" % (error,))
        with self._ready:
            self._closed = True
            abandoned = self._busy and not self._shutdown_sent
            self._ready.notify()
        if abandoned:
            self._on_host_gone()

    def take(self):
        """The next line, or None at the end; marks the harness busy until the next call."""
        with self._ready:
            self._busy = False
            while not self._lines and not self._closed:
                self._ready.wait()
            if not self._lines:
                return None
            self._busy = True
            return self._lines.popleft()


def is_shutdown(line):
    try:
        message = json.loads(line)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("type") == "shutdown"


def load_adapter(engine, adapter_path):
    path = adapter_path or os.path.join(HERE, engine, "adapter.py")
    # Adapters `import adapter_common` from this folder, wherever the adapter file itself is (and even when
    # this module is imported rather than run as a script, which is what puts HERE on sys.path).
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    spec = importlib.util.spec_from_file_location("llem_adapter_" + engine, path)
    if spec is None or spec.loader is None:
        raise ImportError("no adapter at " + path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_adapter()


def load_secrets(environ):
    """Move the secrets in the file named by LLEM_SECRETS_FILE (`KEY=value` lines) into `environ`.

    Secrets come by a read-only mounted file so that they are in neither argv nor the container's
    configuration. Returns the names loaded (never the values)."""
    path = environ.get("LLEM_SECRETS_FILE")
    if not path:
        return []
    names = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            environ[key.strip()] = value.strip()
            names.append(key.strip())
    return names


def coefficient_of_variation(values):
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    if mean <= 0:
        return None
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return math.sqrt(variance) / mean


def warm_up(adapter, message):
    """Fixed count, or until the CV of the last `window` latencies is under the threshold (capped at
    max_requests); either way for at least min_seconds."""
    prepared = adapter.prepare(message["workload"])
    converge = message["mode"] == "converged"
    minimum, cap, window = message["n_requests"], message["max_requests"], message["window"]
    latencies = []
    started = time.monotonic()
    converged = not converge
    final_cv = None
    while True:
        if len(latencies) >= minimum and time.monotonic() - started >= message["min_seconds"]:
            if not converge:
                break
            final_cv = coefficient_of_variation(latencies[-window:]) if len(latencies) >= window else None
            if final_cv is not None and final_cv < message["cv_threshold"]:
                converged = True
                break
            if len(latencies) >= cap:
                break
        begin = time.monotonic()
        adapter.run(prepared)
        latencies.append(time.monotonic() - begin)
    return {
        "type": "warmup_done",
        "iterations": len(latencies),
        "latencies_s": latencies,
        "converged": converged,
        "final_cv": final_cv,
        "seconds": time.monotonic() - started,
    }


class Session:
    def __init__(self, channel, adapter, engine):
        self.channel = channel
        self.adapter = adapter
        self.engine = engine
        self.loaded = False
        self.prepared = None
        self.prepared_id = None
        # Adapters that test the host (the test engine) may write raw lines.
        if hasattr(adapter, "attach_channel"):
            adapter.attach_channel(channel)

    def hello(self):
        try:
            version = self.adapter.engine_version()
        except Exception:  # the engine library may fail to import until load; report it then
            version = None
        self.channel.send({
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "harness_version": HARNESS_VERSION,
            "engine": self.engine,
            "engine_version": version,
            "python": platform.python_version(),
        })

    def handle(self, message):
        kind = message.get("type")
        if kind == "configure":
            began = time.monotonic()
            result = self.adapter.load(message["model"], message.get("engine_options", {}),
                                       message.get("dtype"), message.get("seed", 0))
            self.loaded = True
            return {
                "type": "loaded",
                "load_seconds": time.monotonic() - began,
                "model_info": result.get("model_info", {}),
                "memory_bytes": result.get("memory_bytes"),
                "observed_params": result.get("observed_params", {}),
            }
        if kind == "idle":
            time.sleep(max(0.0, float(message.get("seconds", 0))))
            return {"type": "idle_done"}
        if kind == "warmup":
            self.require_loaded(kind)
            return warm_up(self.adapter, message)
        if kind == "prepare":
            self.require_loaded(kind)
            self.prepared = self.adapter.prepare(message["workload"])
            self.prepared_id = message["window_id"]
            return {
                "type": "ready",
                "window_id": message["window_id"],
                "n_requests": self.prepared.n_requests,
                "input_tokens": self.prepared.input_tokens,
            }
        if kind == "go":
            if self.prepared is None or message.get("window_id") != self.prepared_id:
                raise ProtocolError("go for window %r, but the last ready was for %r"
                                    % (message.get("window_id"), self.prepared_id))
            prepared, window_id = self.prepared, self.prepared_id
            self.prepared = self.prepared_id = None
            started = time.monotonic()
            capture, requests = self.adapter.run(prepared)
            finished = time.monotonic()
            # Wall-clock twin of `finished`, so the host can measure how late its closing read is.
            finished_unix = time.time()
            # A small line first, the moment the last token is in: the host closes the window on it (reads
            # the energy counters) without waiting for the records, which may be megabytes to serialise.
            self.channel.send({
                "type": "finished",
                "window_id": window_id,
                "finished_s": finished,
                "finished_unix_s": finished_unix,
            })
            return {
                "type": "done",
                "window_id": window_id,
                "started_s": started,
                "finished_s": finished,
                "finished_unix_s": finished_unix,
                "capture": capture,
                "requests": requests,
            }
        if kind == "shutdown":
            return {"type": "bye"}
        raise ProtocolError("unknown message type %r" % (kind,))

    def require_loaded(self, kind):
        if not self.loaded:
            raise ProtocolError("%s before configure" % kind)


def error_message(error, in_reply_to, fatal):
    return {
        "type": "error",
        "error_type": type(error).__name__,
        "message": str(error),
        "traceback": traceback.format_exc(),
        "fatal": fatal,
        "in_reply_to": in_reply_to,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="llem harness (protocol %d)" % PROTOCOL_VERSION)
    parser.add_argument("--engine", required=True)
    parser.add_argument("--adapter-path")
    args = parser.parse_args(argv)
    # Before any engine code, thread or open file: the group, the parent-death signal, the guardian.
    leader = lead_process_group()
    die_with_parent(os.environ)
    lifeline = start_guardian(leader)
    try:
        return serve(args, leader)
    finally:
        if lifeline is not None:
            try:
                os.write(lifeline, b"x")  # leaving in order: the guardian stands down
            except OSError:
                pass  # the guardian is gone already (killed from outside): nothing to tell


def host_gone(leader):
    """What the stdin watchdog does when llem is gone: end the harness and the engine's processes."""
    sys.stderr.write("llem harness: the host closed stdin mid-call (llem is gone): ending the engine\n")
    end_group(leader)


def serve(args, leader):
    channel = Channel()
    inbox = Inbox(sys.stdin, lambda: host_gone(leader))
    inbox.start()
    try:
        load_secrets(os.environ)
        adapter = load_adapter(args.engine, args.adapter_path)
    except Exception as error:
        channel.send(error_message(error, None, True))
        return 1
    session = Session(channel, adapter, args.engine)
    session.hello()
    while True:
        line = inbox.take()
        if line is None:
            break
        line = line.strip()
        if not line:
            continue
        kind = None
        try:
            message = json.loads(line)
            if not isinstance(message, dict):
                raise ProtocolError("expected a JSON object")
            kind = message.get("type")
            reply = session.handle(message)
        except ProtocolError as error:
            channel.send(error_message(error, kind, False))
            continue
        except Exception as error:
            # A failed load leaves nothing to serve; other failures end the session too, since the
            # engine's state is unknown. The host decides whether to start another.
            channel.send(error_message(error, kind, True))
            return 1
        channel.send(reply)
        if reply["type"] == "bye":
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
