"""What llem's engine adapters share (protocol and interface: engines/README.md).

Standard library only, Python 3.9+, like the harness: an adapter imports this module when it is itself
imported, long before (and whether or not) its engine library can be. The harness puts this folder on
sys.path before it loads an adapter.
"""
import datetime
import importlib
import importlib.metadata
import math
import random
import sys
import time

# How many times a synthetic prompt is decoded and re-encoded while looking for token ids that the
# tokenizer would itself produce for the prompt's text (see synthetic_prompt_ids).
ROUND_TRIPS = 3
# How far outside the window an engine's timestamp may fall and still be trusted (clock reading jitter).
CLOCK_SLACK_S = 0.05


# --- the engine library and its options ---

def package_version(*names):
    """The installed version of the first of `names` that is installed, read from package metadata
    (importing the engine itself would take seconds and may fail before `configure`)."""
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def import_engine_module(engine, name):
    """Import an engine library, naming it (and the `engine` that needs it) in the error when this
    environment lacks it."""
    try:
        module = importlib.import_module(name)
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.origin in (None, "namespace") and spec.submodule_search_locations:
            # The harness's own folder is on sys.path and holds engines/vllm/ and engines/transformers/
            # (adapter folders, no __init__.py): without the real library, Python would import that folder
            # as an empty namespace package.
            del sys.modules[name]
            raise ModuleNotFoundError("No module named %r" % name, name=name)
        return module
    except ImportError as error:
        message = ("the %s engine needs the Python module %r, which this environment cannot import (%s)"
                   % (engine, name, error))
        kind = ModuleNotFoundError if isinstance(error, ModuleNotFoundError) else ImportError
        raise kind(message, name=error.name, path=error.path) from error


def split_options(engine_options):
    """The engine options without `extra`, and `extra` (passed to the engine as it is), as new dicts."""
    options = dict(engine_options or {})
    extra = dict(options.pop("extra", None) or {})
    return options, extra


def given_options(options, names):
    """The options of `names` that have a value (null leaves the choice to the engine), in that order."""
    return {name: options[name] for name in names if options.get(name) is not None}


def plain(value):
    """`value` as something json.dumps accepts (engine configs hold enums, dtypes and devices)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(item) for item in value]
    return str(value)


def dtype_name(dtype):
    """A dtype as the protocol names it ("bfloat16", not "torch.bfloat16"), or None."""
    return None if dtype is None else str(dtype).replace("torch.", "")


def config_sizes(config):
    """`layers`, `hidden_size` and `vocab_size` of a Hugging Face model config, each under whichever
    name this architecture uses, or None."""

    def first(*names):
        for name in names:
            value = getattr(config, name, None)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    return {
        "layers": first("num_hidden_layers", "n_layer", "num_layers"),
        "hidden_size": first("hidden_size", "n_embd", "d_model"),
        "vocab_size": first("vocab_size"),
    }


# --- prompts ---

def special_prefix(tokenizer):
    """The token ids the tokenizer puts before any text (a BOS token, or nothing)."""
    bare = list(tokenizer.encode("a", add_special_tokens=False))
    full = list(tokenizer.encode("a", add_special_tokens=True))
    if bare and full[len(full) - len(bare):] == bare:
        return full[:len(full) - len(bare)]
    return []


def ordinary_token_ids(tokenizer):
    """Ids a synthetic prompt may use: the base vocabulary without special tokens."""
    size = getattr(tokenizer, "vocab_size", None) or len(tokenizer)
    special = set(getattr(tokenizer, "all_special_ids", None) or [])
    for name in ("bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id"):
        token = getattr(tokenizer, name, None)
        if isinstance(token, int):
            special.add(token)
    ids = [token for token in range(size) if token not in special]
    if not ids:
        raise ValueError("the tokenizer has no ordinary tokens to build synthetic prompts from")
    return ids


def synthetic_prompt_ids(tokenizer, n_prompts, length, seed):
    """`n_prompts` prompts of exactly `length` token ids (special prefix included), drawn from the
    model's own vocabulary with random.Random(seed).

    The ids are what the engine is given, so the length is exact whatever the tokenizer does. Random ids
    are not always what the tokenizer would make of their own text (pieces merge or split), so each prompt
    is decoded and re-encoded a few times, adopting the tokenizer's segmentation and topping it up to
    length, to look like a real tokenized text. Prompt i depends only on the seed and prompts before it.
    """
    rng = random.Random(seed)
    candidates = ordinary_token_ids(tokenizer)
    prefix = special_prefix(tokenizer)[:length]
    body_length = length - len(prefix)
    prompts = []
    for _ in range(n_prompts):
        body = rng.choices(candidates, k=body_length)
        for _ in range(ROUND_TRIPS):
            again = list(tokenizer.encode(tokenizer.decode(body), add_special_tokens=False))
            if again == body:
                break
            shortfall = max(0, body_length - len(again))
            body = (again + rng.choices(candidates, k=shortfall))[:body_length]
        prompts.append(prefix + body)
    return prompts


def workload_prompt_ids(tokenizer, workload):
    """The token ids of each prompt of a workload, truncated to max_input_tokens."""
    if workload.get("prompts") is not None:
        prompts = [list(tokenizer.encode(text, add_special_tokens=True)) for text in workload["prompts"]]
    else:
        synthetic = workload["synthetic"]
        prompts = synthetic_prompt_ids(tokenizer, int(synthetic["n_prompts"]),
                                       int(synthetic["input_len_tokens"]), int(synthetic.get("seed", 0)))
    limit = workload.get("max_input_tokens")
    if limit:
        prompts = [ids[:int(limit)] for ids in prompts]
    return prompts


class Prepared:
    """A window's inputs, built and tokenized: `prompts` (token ids, one list a request), the workload,
    and whatever else the engine needs for `run`, as attributes of the names given."""

    def __init__(self, prompts, workload, **engine_inputs):
        self.prompts = prompts
        self.workload = workload
        self.n_requests = len(prompts)
        self.input_tokens = sum(len(ids) for ids in prompts)
        for name, value in engine_inputs.items():
            setattr(self, name, value)


# --- times and request records ---

def on_window_clock(value, start, end, wall_offset):
    """A timestamp reported by the engine, moved onto the harness's monotonic clock, or None.

    Engines stamp with either clock: vLLM V1's engine-core stamps are time.monotonic() (one system-wide
    clock, even in its engine process), its arrival times and V0's stamps are time.time(); TensorRT-LLM
    stamps with C++ steady_clock, which on Linux is the clock of time.monotonic(), and hands them over as
    timedeltas. A value is tried as monotonic, then as wall-clock time (minus `wall_offset` =
    time.time() - time.monotonic()); whichever lands inside the window [start, end] is kept, clamped into
    it. A value that fits neither is dropped rather than reported at a wrong time.
    """
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        return None
    for candidate in (value, value - wall_offset):
        if start - CLOCK_SLACK_S <= candidate <= end + CLOCK_SLACK_S:
            return min(max(candidate, start), end)
    return None


def first_plausible(stamps, start, end, wall_offset):
    """The first of `stamps` (candidates, best first) that on_window_clock places in the window, or None."""
    for stamp in stamps:
        value = on_window_clock(stamp, start, end, wall_offset)
        if value is not None:
            return value
    return None


def wall_clock_offset():
    """time.time() - time.monotonic(), averaged over two readings."""
    before = time.time() - time.monotonic()
    after = time.time() - time.monotonic()
    return (before + after) / 2


def request_record(prepared, index, output_tokens, start, first_token, end):
    """A request's record as `done` carries it (engines/README.md), without `token_times_s`."""
    return {
        "index": index,
        "input_tokens": len(prepared.prompts[index]),
        "output_tokens": output_tokens,
        "start_s": start,
        "first_token_s": first_token,
        "end_s": end,
    }


# --- adapters ---

class Adapter:
    """What every adapter does alike: warnings go to the session log and, once the harness has attached
    its channel, to the host as `log` messages."""

    # The engine's name in messages, and its distributions (the first installed one gives engine_version).
    ENGINE_NAME = None
    PACKAGES = ()

    def __init__(self):
        self.channel = None

    def attach_channel(self, channel):
        self.channel = channel

    def warn(self, message):
        sys.stderr.write("llem adapter warning: %s\n" % message)
        if self.channel is not None:
            self.channel.send({"type": "log", "level": "warning", "message": message})

    def engine_version(self):
        return package_version(*self.PACKAGES)


class OneCallAdapter(Adapter):
    """An engine that runs a window as one `llm.generate(inputs, sampling_params, use_tqdm=False)` call
    over all its prompts and batches them itself (vLLM, TensorRT-LLM).

    A subclass sets `self.llm` in `load`, gives `prepare` a Prepared with `inputs` and `sampling_params`,
    and says in `token_stamps` where an output's first-token and last-token times are. Each request's
    times are its own where the engine reports them (capture `streaming`), else the call's (`per_batch`).
    """

    # Said after "latency_profiling: <engine> reported no per-request first-token times" (once a session).
    NO_TIMES_HINT = ""

    def __init__(self):
        super().__init__()
        self.llm = None
        self.warned_no_metrics = False

    @staticmethod
    def token_stamps(output):
        """Candidate first-token and candidate last-token times of one output, each best first."""
        return (), ()

    def run(self, prepared):
        wall_offset = wall_clock_offset()
        start = time.monotonic()
        outputs = self.llm.generate(prepared.inputs, prepared.sampling_params, use_tqdm=False)
        end = time.monotonic()
        wall_offset = (wall_offset + wall_clock_offset()) / 2
        if len(outputs) != prepared.n_requests:
            raise RuntimeError("%s returned %d outputs for %d prompts"
                               % (self.ENGINE_NAME, len(outputs), prepared.n_requests))
        records = []
        all_timed = True
        for index, output in enumerate(outputs):
            # generate() returns outputs in the order of its inputs.
            first_stamps, last_stamps = self.token_stamps(output)
            first = first_plausible(first_stamps, start, end, wall_offset)
            last = first_plausible(last_stamps, start, end, wall_offset)
            if first is None:
                all_timed = False
            end_s = end if last is None else last
            if first is not None and end_s < first:
                end_s = first
            # The engine's token ids stop at (and include) EOS unless ignore_eos; they hold no padding.
            records.append(request_record(prepared, index, len(output.outputs[0].token_ids), start, first, end_s))
        if not all_timed:
            for record in records:
                record["first_token_s"] = None
            if prepared.workload.get("latency_profiling") and not self.warned_no_metrics:
                self.warned_no_metrics = True
                self.warn("latency_profiling: %s reported no per-request first-token times%s"
                          % (self.ENGINE_NAME, self.NO_TIMES_HINT))
        return ("streaming" if all_timed and records else "per_batch"), records
