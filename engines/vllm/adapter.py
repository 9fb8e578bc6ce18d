"""llem's adapter for vLLM's offline engine, `vllm.LLM` (protocol and interface: engines/README.md).

A window is one `llm.generate` call over all its prompts, given as token ids, so that vLLM's own scheduler
(continuous batching, at most `max_num_seqs` at once) decides the batching; `batch_size` of the workload
does not apply. vllm is imported inside `load`, never at module import.

Engine options (src/engines/vllm.ts) are `vllm.LLM` keyword arguments of the same names; null
values are left to vLLM's defaults, and `extra` is passed as it is (and wins over the options).

Per-request times: vLLM stamps them only when it keeps statistics, which `vllm.LLM` turns off by default;
give `extra: {disable_log_stats: false}` to get each request's first-token and last-token times (capture
`streaming`, without per-token times). Otherwise the window reports the call's start and end for every
request (capture `per_batch`).
"""
from adapter_common import (OneCallAdapter, Prepared, config_sizes, dtype_name, given_options,
                            import_engine_module, plain, split_options, workload_prompt_ids)

ENGINE = "vllm"
# The vLLM release this adapter was checked against: engines/tests/api/vllm.json is its API, read from its
# source, and the adapter's tests run against fakes built from it (engines/tests/test_engine_contracts.py).
CHECKED_VERSION = "0.33.0"
# What the adapter reports from vLLM's configs after loading: VllmConfig's config -> the fields it reads.
OBSERVED_CONFIG_FIELDS = {
    "model_config": ("dtype", "max_model_len", "quantization", "enforce_eager", "seed"),
    "cache_config": ("block_size", "gpu_memory_utilization", "cache_dtype", "num_gpu_blocks",
                     "enable_prefix_caching"),
    "scheduler_config": ("max_num_seqs", "max_num_batched_tokens", "enable_chunked_prefill"),
    "parallel_config": ("tensor_parallel_size", "pipeline_parallel_size", "distributed_executor_backend"),
}
# Option names of the host's schema that are vllm.LLM keyword arguments of the same name.
LLM_OPTIONS = (
    "gpu_memory_utilization", "max_num_seqs", "max_num_batched_tokens", "max_model_len", "block_size",
    "kv_cache_dtype", "enforce_eager", "enable_chunked_prefill", "enable_prefix_caching",
    "tensor_parallel_size", "pipeline_parallel_size", "quantization", "cpu_offload_gb",
)


def first_token_stamps(metrics):
    """Candidate first-token times, best first, from a RequestOutput's metrics (RequestStateStats)."""
    yield getattr(metrics, "first_token_ts", None)  # engine core, monotonic (0.0 when not stamped)
    latency = getattr(metrics, "first_token_latency", None)
    arrival = getattr(metrics, "arrival_time", None)
    if isinstance(latency, (int, float)) and isinstance(arrival, (int, float)) and latency > 0 and arrival > 0:
        yield arrival + latency  # the frontend's wall clock


def last_token_stamps(metrics):
    yield getattr(metrics, "last_token_ts", None)  # engine core, monotonic


def sampling_kwargs(workload):
    decoding = workload.get("decoding") or {}
    top_k = int(decoding.get("top_k", 0))
    return {
        "max_tokens": int(workload["max_new_tokens"]),
        "ignore_eos": bool(workload.get("ignore_eos")),
        "temperature": float(decoding.get("temperature", 0.0)),
        "top_p": float(decoding.get("top_p", 1.0)),
        "top_k": max(top_k, 0),  # vLLM's "off" is 0 (it still takes -1 quietly)
        "repetition_penalty": float(decoding.get("repetition_penalty", 1.0)),
        "seed": int(decoding.get("seed", 0)),
    }


class VllmAdapter(OneCallAdapter):
    ENGINE_NAME = "vLLM"
    PACKAGES = ("vllm",)
    NO_TIMES_HINT = "; give the engine option extra: {disable_log_stats: false} to have them"

    def __init__(self):
        super().__init__()
        self.vllm = None
        self.tokenizer = None

    def load(self, model, engine_options, dtype, seed):
        vllm = import_engine_module(ENGINE, "vllm")
        self.vllm = vllm
        options, extra = split_options(engine_options)
        kwargs = {"model": model, "seed": seed}
        if dtype is not None:
            kwargs["dtype"] = dtype
        kwargs.update(given_options(options, LLM_OPTIONS))
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
        """vLLM's model, cache, scheduler and parallel configs (LLM.llm_engine.vllm_config)."""
        holder = getattr(getattr(self.llm, "llm_engine", None), "vllm_config", None)
        return {name: getattr(holder, name, None) for name in OBSERVED_CONFIG_FIELDS}

    @staticmethod
    def model_info(configs):
        model_config = configs.get("model_config")
        hf_config = getattr(model_config, "hf_config", None)
        return {
            "parameters": None,  # the model lives in vLLM's workers
            **config_sizes(getattr(hf_config, "text_config", None) or hf_config),
            "dtype": dtype_name(getattr(model_config, "dtype", None)),
        }

    @staticmethod
    def observed_params(configs, kwargs):
        observed = {}
        for config_name, names in OBSERVED_CONFIG_FIELDS.items():
            config = configs.get(config_name)
            if config is None:
                continue
            for name in names:
                value = getattr(config, name, None)
                if value is not None and name not in observed:
                    observed[name] = value
        if "dtype" in observed:
            observed["dtype"] = dtype_name(observed["dtype"])
        observed["engine_kwargs"] = kwargs
        return plain(observed)

    def prepare(self, workload):
        prompts = workload_prompt_ids(self.tokenizer, workload)
        # Token ids, not text: vLLM neither re-tokenizes nor adds special tokens, so the engine sees exactly
        # the counted tokens.
        inputs = [{"prompt_token_ids": ids} for ids in prompts]
        params = self.vllm.SamplingParams(**sampling_kwargs(workload))
        return Prepared(prompts, workload, inputs=inputs, sampling_params=params)

    @staticmethod
    def token_stamps(output):
        # RequestOutput.metrics, which vLLM fills only when it keeps statistics.
        metrics = getattr(output, "metrics", None)
        if metrics is None:
            return (), ()
        return first_token_stamps(metrics), last_token_stamps(metrics)


def create_adapter():
    return VllmAdapter()
