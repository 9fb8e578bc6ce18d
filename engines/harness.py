#!/usr/bin/env python3
"""llem's harness: runs inside an engine's process and speaks protocol 1 (engines/README.md).

Standard library only, Python 3.9+. The host mounts this folder read-only and starts
    python3 harness.py --engine <id>            (adapter engines/<id>/adapter.py)
    python3 harness.py --adapter-path FILE.py   (any adapter, e.g. the test engine)
"""
import argparse
import importlib.util
import json
import math
import os
import platform
import sys
import time
import traceback

PROTOCOL_VERSION = 1
HARNESS_VERSION = "0.1.0"
HERE = os.path.dirname(os.path.abspath(__file__))


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
    channel = Channel()
    try:
        load_secrets(os.environ)
        adapter = load_adapter(args.engine, args.adapter_path)
    except Exception as error:
        channel.send(error_message(error, None, True))
        return 1
    session = Session(channel, adapter, args.engine)
    session.hello()
    for line in sys.stdin:
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
