"""llem's adapter for TensorRT-LLM's LLM API (protocol and interface: engines/README.md).

Like vLLM: a window is one `llm.generate` call over all its prompts, given as token ids; TensorRT-LLM's
in-flight batching (at most `max_batch_size` at once) decides the batching, so `batch_size` of the workload
does not apply. tensorrt_llm is imported inside `load`, never at module import.

Engine options (src/config/engine_options.ts): `backend` picks the LLM class (pytorch, the default, and
_autodeploy: `tensorrt_llm.LLM`; trt: the TensorRT-engine class); max_batch_size, max_input_len, max_seq_len,
max_num_tokens, tensor_parallel_size, pipeline_parallel_size are LLM keyword arguments of the same names;
kv_cache_free_gpu_memory_fraction goes into a KvCacheConfig; quant_algo and kv_cache_quant_algo into a
QuantConfig (trt backend; the PyTorch backend takes the KV cache dtype from KvCacheConfig); fast_build is
passed when true; `extra` is passed as it is (and wins over the options).

The LLM API has changed between releases; every difference met here is guarded (getattr, try, or the
signature of SamplingParams) rather than tied to one version.

Per-request times: with latency_profiling the adapter asks for TensorRT-LLM's per-request performance
metrics where SamplingParams offers them (capture `streaming`, without per-token times); otherwise the
window reports the call's start and end for every request (capture `per_batch`).
"""
import datetime
import importlib
import importlib.metadata
import inspect
import math
import random
import sys
import time

PACKAGE = "tensorrt_llm"
ROUND_TRIPS = 3
# Option names of the host's schema that are LLM keyword arguments of the same name.
LLM_OPTIONS = ("max_batch_size", "max_input_len", "max_seq_len", "max_num_tokens", "tensor_parallel_size",
               "pipeline_parallel_size")
CLOCK_SLACK_S = 0.05


# --- helpers shared in spirit with the transformers and vllm adapters (each adapter is a standalone file) ---

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
                   % ("tensorrt", name, error))
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

    TensorRT-LLM stamps requests with C++ steady_clock, which on Linux is the clock of time.monotonic(),
    and hands them over as timedeltas. A value is tried as monotonic, then as wall-clock time (minus
    `wall_offset` = time.time() - time.monotonic()); whichever lands inside the window [start, end] is
    kept, clamped into it. A value that fits neither is dropped rather than reported at a wrong time.
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


# --- TensorRT-LLM specifics ---

def llmapi_attribute(tensorrt_llm, name):
    """A class of the LLM API, exported at the top level in some releases and only from llmapi in others."""
    value = getattr(tensorrt_llm, name, None)
    if value is None:
        value = getattr(importlib.import_module("tensorrt_llm.llmapi"), name)
    return value


def accepted_keywords(callable_):
    """The keyword arguments `callable_` takes, or None when it takes any (or cannot be inspected)."""
    try:
        parameters = inspect.signature(callable_).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(parameter.kind == inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return None
    return {parameter.name for parameter in parameters}


def sampling_kwargs(workload, accepted):
    """SamplingParams keyword arguments for a workload, in the names this release accepts."""

    def accepts(name):
        return accepted is None or name in accepted

    decoding = workload.get("decoding") or {}
    kwargs = {"max_tokens": int(workload["max_new_tokens"])}
    if workload.get("ignore_eos"):
        if accepts("ignore_eos"):
            kwargs["ignore_eos"] = True
        else:
            kwargs["end_id"] = -1  # releases without ignore_eos: an end id no token has never ends a request
    temperature = float(decoding.get("temperature") or 0)
    if temperature > 0:
        kwargs["temperature"] = temperature
        if float(decoding.get("top_p", 1.0)) < 1.0:
            kwargs["top_p"] = float(decoding["top_p"])
        if int(decoding.get("top_k", 0)) > 0:
            kwargs["top_k"] = int(decoding["top_k"])
    # Greedy decoding gives none of temperature, top_p, top_k: TensorRT-LLM decodes greedily when none is
    # given, whereas top_p 1.0 given alone would switch sampling on.
    repetition_penalty = float(decoding.get("repetition_penalty", 1.0))
    if repetition_penalty != 1.0:
        kwargs["repetition_penalty"] = repetition_penalty
    seed = int(decoding.get("seed", 0))
    if accepts("seed"):
        kwargs["seed"] = seed
    elif accepts("random_seed"):
        kwargs["random_seed"] = seed
    if workload.get("latency_profiling") and accepted is not None and "return_perf_metrics" in accepted:
        kwargs["return_perf_metrics"] = True
    return kwargs


def timing_metrics(output):
    """The per-request timing metrics of a RequestOutput, where this release provides them."""
    for holder in (output.outputs[0], output):
        perf = getattr(holder, "request_perf_metrics", None)
        timing = getattr(perf, "timing_metrics", None)
        if timing is not None:
            return timing
    return None


class Prepared:
    def __init__(self, prompts, sampling_params, workload):
        self.prompts = prompts
        self.sampling_params = sampling_params
        self.workload = workload
        self.n_requests = len(prompts)
        self.input_tokens = sum(len(ids) for ids in prompts)


class TensorrtAdapter:
    def __init__(self):
        self.tensorrt_llm = None
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
        return package_version("tensorrt_llm", "tensorrt-llm")

    def load(self, model, engine_options, dtype, seed):
        tensorrt_llm = import_engine_module("tensorrt_llm")
        self.tensorrt_llm = tensorrt_llm
        # `seed` has no engine-wide counterpart in the LLM API; sampling is seeded per request (decoding.seed).
        options = dict(engine_options or {})
        extra = dict(options.pop("extra", None) or {})
        backend = options.get("backend") or "pytorch"
        llm_class, kwargs = self.llm_class(tensorrt_llm, backend)
        kwargs["model"] = model
        if dtype is not None:
            kwargs["dtype"] = dtype
        for name in LLM_OPTIONS:
            if options.get(name) is not None:
                kwargs[name] = options[name]
        kv_cache_config = self.kv_cache_config(tensorrt_llm, options, backend)
        if kv_cache_config is not None:
            kwargs["kv_cache_config"] = kv_cache_config
        quant_config = self.quant_config(tensorrt_llm, options, backend)
        if quant_config is not None:
            kwargs["quant_config"] = quant_config
        if options.get("fast_build"):
            # Only when true: the PyTorch backend refuses TensorRT-only arguments, even false ones.
            kwargs["fast_build"] = True
        kwargs.update(extra)
        self.llm = llm_class(**kwargs)
        self.tokenizer = self.find_tokenizer(model, extra)
        return {
            "model_info": self.model_info(model, extra),
            # The weights and KV cache live in TensorRT-LLM's executor processes, out of this process's sight.
            "memory_bytes": None,
            "observed_params": self.observed_params(backend, kwargs),
        }

    @staticmethod
    def llm_class(tensorrt_llm, backend):
        """The LLM class for a backend, and the keyword arguments that select it."""
        if backend == "trt":
            try:
                return importlib.import_module("tensorrt_llm._tensorrt_engine").LLM, {}
            except ImportError:
                # Before 1.0 the default LLM class was the TensorRT-engine one.
                return tensorrt_llm.LLM, {}
        return tensorrt_llm.LLM, {"backend": backend}

    @staticmethod
    def kv_cache_config(tensorrt_llm, options, backend):
        settings = {}
        if options.get("kv_cache_free_gpu_memory_fraction") is not None:
            settings["free_gpu_memory_fraction"] = options["kv_cache_free_gpu_memory_fraction"]
        if options.get("kv_cache_quant_algo") and backend != "trt":
            settings["dtype"] = str(options["kv_cache_quant_algo"]).lower()
        if not settings:
            return None
        return llmapi_attribute(tensorrt_llm, "KvCacheConfig")(**settings)

    @staticmethod
    def quant_config(tensorrt_llm, options, backend):
        settings = {}
        if options.get("quant_algo"):
            settings["quant_algo"] = options["quant_algo"]
        if options.get("kv_cache_quant_algo") and backend == "trt":
            settings["kv_cache_quant_algo"] = options["kv_cache_quant_algo"]
        if not settings:
            return None
        algorithms = llmapi_attribute(tensorrt_llm, "QuantAlgo")
        return llmapi_attribute(tensorrt_llm, "QuantConfig")(
            **{key: getattr(algorithms, name) for key, name in settings.items()})

    def find_tokenizer(self, model, extra):
        """The tokenizer the engine uses: a wrapper around a Hugging Face tokenizer in most releases."""
        tokenizer = getattr(self.llm, "tokenizer", None)
        inner = getattr(tokenizer, "tokenizer", None)
        if inner is not None and hasattr(inner, "encode"):
            return inner
        if tokenizer is not None:
            return tokenizer
        transformers = import_engine_module("transformers")
        keys = ("trust_remote_code", "revision")
        return transformers.AutoTokenizer.from_pretrained(model, **{key: extra[key] for key in keys if key in extra})

    @staticmethod
    def model_info(model, extra):
        """Sizes from the model's Hugging Face config, when transformers can read it."""
        info = {"parameters": None, "layers": None, "hidden_size": None, "vocab_size": None, "dtype": None}
        try:
            transformers = importlib.import_module("transformers")
            kwargs = {key: extra[key] for key in ("trust_remote_code", "revision") if key in extra}
            config = transformers.AutoConfig.from_pretrained(model, **kwargs)
        except Exception:  # a TensorRT engine directory has no HF config; the sizes are then unknown
            return info
        config = getattr(config, "text_config", None) or config
        for key, names in (("layers", ("num_hidden_layers", "n_layer", "num_layers")),
                           ("hidden_size", ("hidden_size", "n_embd", "d_model")),
                           ("vocab_size", ("vocab_size",))):
            for name in names:
                value = getattr(config, name, None)
                if isinstance(value, int) and not isinstance(value, bool):
                    info[key] = value
                    break
        dtype = getattr(config, "torch_dtype", None) or getattr(config, "dtype", None)
        info["dtype"] = None if dtype is None else str(dtype).replace("torch.", "")
        return info

    def observed_params(self, backend, kwargs):
        args = getattr(self.llm, "args", None)
        observed = {"backend": backend}
        for name in ("dtype", "max_batch_size", "max_input_len", "max_seq_len", "max_num_tokens",
                     "tensor_parallel_size", "pipeline_parallel_size"):
            value = getattr(args, name, None)
            if value is not None:
                observed[name] = value
        kv_cache = getattr(args, "kv_cache_config", None)
        for name in ("free_gpu_memory_fraction", "dtype", "enable_block_reuse", "max_tokens"):
            value = getattr(kv_cache, name, None)
            if value is not None:
                observed["kv_cache_" + name] = value
        quant = getattr(args, "quant_config", None)
        for name in ("quant_algo", "kv_cache_quant_algo"):
            value = getattr(quant, name, None)
            if value is not None:
                observed[name] = value
        observed["engine_kwargs"] = kwargs
        return plain(observed)

    def prepare(self, workload):
        prompts = workload_prompt_ids(self.tokenizer, workload)
        sampling_params_class = llmapi_attribute(self.tensorrt_llm, "SamplingParams")
        kwargs = sampling_kwargs(workload, accepted_keywords(sampling_params_class))
        if workload.get("latency_profiling") and "return_perf_metrics" not in kwargs:
            self.warn("latency_profiling: this TensorRT-LLM's SamplingParams has no return_perf_metrics; "
                      "the window reports per-batch times only")
        return Prepared(prompts, sampling_params_class(**kwargs), workload)

    def run(self, prepared):
        wall_offset = wall_clock_offset()
        start = time.monotonic()
        # Lists of token ids: TensorRT-LLM neither re-tokenizes them nor adds special tokens.
        outputs = self.llm.generate(prepared.prompts, prepared.sampling_params, use_tqdm=False)
        end = time.monotonic()
        wall_offset = (wall_offset + wall_clock_offset()) / 2
        if len(outputs) != prepared.n_requests:
            raise RuntimeError("TensorRT-LLM returned %d outputs for %d prompts"
                               % (len(outputs), prepared.n_requests))
        records = []
        all_timed = True
        for index, output in enumerate(outputs):
            timing = timing_metrics(output)
            first = last = None
            if timing is not None:
                first = on_window_clock(getattr(timing, "first_token_time", None), start, end, wall_offset)
                last = on_window_clock(getattr(timing, "last_token_time", None), start, end, wall_offset)
            if first is None:
                all_timed = False
            end_s = end if last is None else last
            if first is not None and end_s < first:
                end_s = first
            records.append({
                "index": index,
                "input_tokens": len(prepared.prompts[index]),
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
                self.warn("latency_profiling: TensorRT-LLM reported no per-request first-token times")
        return ("streaming" if all_timed and records else "per_batch"), records


def create_adapter():
    return TensorrtAdapter()
