"""llem's adapter for vLLM's offline engine, `vllm.LLM` (protocol and interface: engines/README.md).

A window is one `llm.generate` call over all its prompts, given as token ids, so that vLLM's own scheduler
(continuous batching, at most `max_num_seqs` at once) decides the batching; `batch_size` of the workload
does not apply. vllm is imported inside `load`, never at module import.

Engine options (src/config/engine_options.ts) are `vllm.LLM` keyword arguments of the same names; null
values are left to vLLM's defaults, and `extra` is passed as it is (and wins over the options).

Per-request times: vLLM stamps them only when it keeps statistics, which `vllm.LLM` turns off by default;
give `extra: {disable_log_stats: false}` to get each request's first-token and last-token times (capture
`streaming`, without per-token times). Otherwise the window reports the call's start and end for every
request (capture `per_batch`).
"""
import datetime
import importlib
import importlib.metadata
import math
import random
import sys
import time

PACKAGE = "vllm"
ROUND_TRIPS = 3
# Option names of the host's schema that are vllm.LLM keyword arguments of the same name.
LLM_OPTIONS = (
    "gpu_memory_utilization", "max_num_seqs", "max_num_batched_tokens", "max_model_len", "block_size",
    "kv_cache_dtype", "enforce_eager", "enable_chunked_prefill", "enable_prefix_caching",
    "tensor_parallel_size", "pipeline_parallel_size", "quantization", "cpu_offload_gb",
)
# How far outside the window an engine's timestamp may fall and still be trusted (clock reading jitter).
CLOCK_SLACK_S = 0.05


# --- helpers shared in spirit with the transformers and tensorrt adapters (each adapter is a standalone file) ---

def package_version(*names):
    """The installed version of the first of `names` that is installed, read from package metadata
    (importing the engine itself would take seconds and may fail before `configure`)."""
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def import_engine_module(name):
    """Import an engine library, naming it in the error when this environment lacks it."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        message = ("the %s engine needs the Python module %r, which this environment cannot import (%s)"
                   % (PACKAGE, name, error))
        kind = ModuleNotFoundError if isinstance(error, ModuleNotFoundError) else ImportError
        raise kind(message, name=error.name, path=error.path) from error


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


def on_window_clock(value, start, end, wall_offset):
    """A timestamp reported by the engine, moved onto the harness's monotonic clock, or None.

    Engines stamp with either clock: vLLM V1's engine-core stamps are time.monotonic() (one system-wide
    clock, even in its engine process), its arrival times and V0's stamps are time.time(). A value is
    tried as monotonic, then as wall-clock time (minus `wall_offset` = time.time() - time.monotonic());
    whichever lands inside the window [start, end] is kept, clamped into it. A value that fits neither is
    dropped rather than reported at a wrong time.
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


def wall_clock_offset():
    """time.time() - time.monotonic(), averaged over two readings."""
    before = time.time() - time.monotonic()
    after = time.time() - time.monotonic()
    return (before + after) / 2


# --- vLLM specifics ---

def first_token_stamps(metrics):
    """Candidate first-token times, best first, from a RequestOutput's metrics (V1 or V0)."""
    yield getattr(metrics, "first_token_ts", None)  # V1, monotonic
    yield getattr(metrics, "first_token_time", None)  # V0, wall clock
    latency = getattr(metrics, "first_token_latency", None)
    arrival = getattr(metrics, "arrival_time", None)
    if isinstance(latency, (int, float)) and isinstance(arrival, (int, float)) and latency > 0 and arrival > 0:
        yield arrival + latency  # V1 without engine-core stamps, wall clock


def last_token_stamps(metrics):
    yield getattr(metrics, "last_token_ts", None)  # V1, monotonic
    yield getattr(metrics, "finished_time", None)  # V0, wall clock
    yield getattr(metrics, "last_token_time", None)  # V0, wall clock


def first_plausible(stamps, start, end, wall_offset):
    for stamp in stamps:
        value = on_window_clock(stamp, start, end, wall_offset)
        if value is not None:
            return value
    return None


def sampling_kwargs(workload):
    decoding = workload.get("decoding") or {}
    top_k = int(decoding.get("top_k", 0))
    return {
        "max_tokens": int(workload["max_new_tokens"]),
        "ignore_eos": bool(workload.get("ignore_eos")),
        "temperature": float(decoding.get("temperature", 0.0)),
        "top_p": float(decoding.get("top_p", 1.0)),
        "top_k": top_k if top_k > 0 else -1,  # vLLM's "off" is -1 (newer versions also take 0)
        "repetition_penalty": float(decoding.get("repetition_penalty", 1.0)),
        "seed": int(decoding.get("seed", 0)),
    }


class Prepared:
    def __init__(self, prompts, inputs, sampling_params, workload):
        self.prompts = prompts
        self.inputs = inputs
        self.sampling_params = sampling_params
        self.workload = workload
        self.n_requests = len(prompts)
        self.input_tokens = sum(len(ids) for ids in prompts)


class VllmAdapter:
    def __init__(self):
        self.vllm = None
        self.llm = None
        self.tokenizer = None
        self.channel = None
        self.warned_no_metrics = False

    def attach_channel(self, channel):
        self.channel = channel

    def warn(self, message):
        sys.stderr.write("llem adapter warning: %s\n" % message)
        if self.channel is not None:
            self.channel.send({"type": "log", "level": "warning", "message": message})

    def engine_version(self):
        return package_version(PACKAGE)

    def load(self, model, engine_options, dtype, seed):
        vllm = import_engine_module("vllm")
        self.vllm = vllm
        options = dict(engine_options or {})
        extra = dict(options.pop("extra", None) or {})
        kwargs = {"model": model, "seed": seed}
        if dtype is not None:
            kwargs["dtype"] = dtype
        for name in LLM_OPTIONS:
            if options.get(name) is not None:
                kwargs[name] = options[name]
        kwargs.update(extra)
        self.llm = vllm.LLM(**kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        configs = self.engine_configs()
        return {
            "model_info": self.model_info(configs),
            # The weights and KV cache live in vLLM's worker processes, out of this process's sight.
            "memory_bytes": None,
            "observed_params": self.observed_params(configs, kwargs),
        }

    def engine_configs(self):
        """vLLM's model, cache, scheduler and parallel configs, wherever this version keeps them."""
        engine = getattr(self.llm, "llm_engine", None)
        holder = getattr(engine, "vllm_config", None)
        configs = {}
        for name in ("model_config", "cache_config", "scheduler_config", "parallel_config"):
            config = getattr(holder, name, None) if holder is not None else None
            if config is None:
                config = getattr(engine, name, None)
            configs[name] = config
        return configs

    @staticmethod
    def model_info(configs):
        model_config = configs.get("model_config")
        hf_config = getattr(model_config, "hf_config", None)
        text_config = getattr(hf_config, "text_config", None) or hf_config

        def first(*names):
            for name in names:
                value = getattr(text_config, name, None)
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
            return None

        dtype = getattr(model_config, "dtype", None)
        return {
            "parameters": None,  # the model lives in vLLM's workers
            "layers": first("num_hidden_layers", "n_layer", "num_layers"),
            "hidden_size": first("hidden_size", "n_embd", "d_model"),
            "vocab_size": first("vocab_size"),
            "dtype": None if dtype is None else str(dtype).replace("torch.", ""),
        }

    @staticmethod
    def observed_params(configs, kwargs):
        wanted = {
            "model_config": ("dtype", "max_model_len", "quantization", "enforce_eager", "seed"),
            "cache_config": ("block_size", "gpu_memory_utilization", "cache_dtype", "num_gpu_blocks",
                             "enable_prefix_caching", "cpu_offload_gb", "swap_space"),
            "scheduler_config": ("max_num_seqs", "max_num_batched_tokens", "chunked_prefill_enabled",
                                 "enable_chunked_prefill"),
            "parallel_config": ("tensor_parallel_size", "pipeline_parallel_size", "distributed_executor_backend"),
        }
        observed = {}
        for config_name, names in wanted.items():
            config = configs.get(config_name)
            if config is None:
                continue
            for name in names:
                value = getattr(config, name, None)
                if value is not None and name not in observed:
                    observed[name] = value
        if "dtype" in observed:
            observed["dtype"] = str(observed["dtype"]).replace("torch.", "")
        observed["engine_kwargs"] = kwargs
        return plain(observed)

    def prepare(self, workload):
        prompts = workload_prompt_ids(self.tokenizer, workload)
        # Token ids, not text: vLLM neither re-tokenizes nor adds special tokens, so the engine sees exactly
        # the counted tokens.
        inputs = [{"prompt_token_ids": ids} for ids in prompts]
        params = self.vllm.SamplingParams(**sampling_kwargs(workload))
        return Prepared(prompts, inputs, params, workload)

    def run(self, prepared):
        wall_offset = wall_clock_offset()
        start = time.monotonic()
        outputs = self.llm.generate(prepared.inputs, prepared.sampling_params, use_tqdm=False)
        end = time.monotonic()
        wall_offset = (wall_offset + wall_clock_offset()) / 2
        if len(outputs) != prepared.n_requests:
            raise RuntimeError("vLLM returned %d outputs for %d prompts" % (len(outputs), prepared.n_requests))
        records = []
        all_timed = True
        for index, output in enumerate(outputs):
            # generate() returns outputs in the order of its inputs.
            metrics = getattr(output, "metrics", None)
            first = last = None
            if metrics is not None:
                first = first_plausible(first_token_stamps(metrics), start, end, wall_offset)
                last = first_plausible(last_token_stamps(metrics), start, end, wall_offset)
            if first is None:
                all_timed = False
            end_s = end if last is None else last
            if first is not None and end_s < first:
                end_s = first
            records.append({
                "index": index,
                "input_tokens": len(prepared.prompts[index]),
                # vLLM's token ids stop at (and include) EOS unless ignore_eos; they hold no padding.
                "output_tokens": len(output.outputs[0].token_ids),
                "start_s": start,
                "first_token_s": first,
                "end_s": end_s,
            })
        if not all_timed:
            for record in records:
                record["first_token_s"] = None
            if prepared.workload.get("latency_profiling") and not self.warned_no_metrics:
                self.warned_no_metrics = True
                self.warn("latency_profiling: vLLM reported no per-request first-token times; give the "
                          "engine option extra: {disable_log_stats: false} to have them")
        return ("streaming" if all_timed and records else "per_batch"), records


def create_adapter():
    return VllmAdapter()
