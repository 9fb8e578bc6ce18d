"""llem's adapter for TensorRT-LLM's LLM API (protocol and interface: engines/README.md).

Like vLLM: a window is one `llm.generate` call over all its prompts, given as token ids; TensorRT-LLM's
in-flight batching (at most `max_batch_size` at once) decides the batching, so `batch_size` of the workload
does not apply. tensorrt_llm is imported inside `load`, never at module import.

Engine options (src/engines/tensorrt.ts): `backend` picks the LLM class (pytorch, the default:
`tensorrt_llm.LLM`; _autodeploy: `tensorrt_llm._torch.auto_deploy.LLM`; trt: the TensorRT-engine class,
`tensorrt_llm._tensorrt_engine.LLM`), never passed as a keyword (deprecated in 1.x); max_batch_size, max_input_len, max_seq_len,
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
import importlib
import inspect

from adapter_common import (OneCallAdapter, Prepared, config_sizes, dtype_name, given_options,
                            import_engine_module, plain, split_options, workload_prompt_ids)

ENGINE = "tensorrt"
# The module whose LLM class runs each backend other than pytorch (tensorrt_llm.LLM).
BACKEND_MODULES = {"trt": "tensorrt_llm._tensorrt_engine", "_autodeploy": "tensorrt_llm._torch.auto_deploy"}
# Option names of the host's schema that are LLM keyword arguments of the same name.
LLM_OPTIONS = ("max_batch_size", "max_input_len", "max_seq_len", "max_num_tokens", "tensor_parallel_size",
               "pipeline_parallel_size")


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


class TensorrtAdapter(OneCallAdapter):
    ENGINE_NAME = "TensorRT-LLM"
    PACKAGES = ("tensorrt_llm", "tensorrt-llm")

    def __init__(self):
        super().__init__()
        self.tensorrt_llm = None
        self.tokenizer = None

    def load(self, model, engine_options, dtype, seed):
        tensorrt_llm = import_engine_module(ENGINE, "tensorrt_llm")
        self.tensorrt_llm = tensorrt_llm
        # `seed` has no engine-wide counterpart in the LLM API; sampling is seeded per request (decoding.seed).
        options, extra = split_options(engine_options)
        backend = options.get("backend") or "pytorch"
        llm_class = self.llm_class(tensorrt_llm, backend)
        kwargs = {"model": model}
        if dtype is not None:
            kwargs["dtype"] = dtype
        kwargs.update(given_options(options, LLM_OPTIONS))
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
        """The LLM class of a backend. TensorRT-LLM 1.x deprecates the `backend` keyword, and its
        tensorrt_llm.LLM (the PyTorch one) refuses any backend but pytorch: each backend is its own class."""
        if backend == "pytorch":
            return tensorrt_llm.LLM
        try:
            return importlib.import_module(BACKEND_MODULES[backend]).LLM
        except ImportError:
            if backend == "trt":
                return tensorrt_llm.LLM  # before 1.0 the default LLM class was the TensorRT-engine one
            raise ImportError("tensorrt.backend %s needs %s (TensorRT-LLM 1.0 or later)"
                              % (backend, BACKEND_MODULES[backend])) from None

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
        transformers = import_engine_module(ENGINE, "transformers")
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
        info.update(config_sizes(config))
        info["dtype"] = dtype_name(getattr(config, "torch_dtype", None) or getattr(config, "dtype", None))
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
        # Lists of token ids: TensorRT-LLM neither re-tokenizes them nor adds special tokens.
        return Prepared(prompts, workload, inputs=prompts, sampling_params=sampling_params_class(**kwargs))

    @staticmethod
    def token_stamps(output):
        timing = timing_metrics(output)
        if timing is None:
            return (), ()
        return (getattr(timing, "first_token_time", None),), (getattr(timing, "last_token_time", None),)


def create_adapter():
    return TensorrtAdapter()
