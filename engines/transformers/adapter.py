"""llem's adapter for Hugging Face transformers (protocol and interface: engines/README.md).

Static batching in llem's own loop: the prompts of a window are cut into batches of `batch_size`, each
left-padded and run as one `model.generate` call. torch and transformers are imported inside `load`, never
at module import, so the harness can say `hello` without them and report their absence as the answer to
`configure`.

Engine options (src/engines/transformers.ts): attn_implementation, device_map, torch_compile,
torch_compile_mode, torch_compile_backend, load_in_4bit, load_in_8bit, bnb_4bit_compute_dtype,
bnb_4bit_quant_type go to loading; use_cache, cache_implementation, num_beams go to `generate`; `extra` is
passed to `from_pretrained` of the model as it is (and wins over the options above).
"""
import importlib
import time

from adapter_common import (Adapter, Prepared, config_sizes, dtype_name, given_options, import_engine_module, plain,
                            request_record, split_options, workload_prompt_ids)

ENGINE = "transformers"
# Options that belong to `generate`, not to `from_pretrained`.
GENERATE_OPTIONS = ("use_cache", "cache_implementation", "num_beams")
# Keys of `extra` that the tokenizer needs too, so that it loads from the same place as the model.
SHARED_LOAD_KEYS = ("trust_remote_code", "revision", "token", "cache_dir", "local_files_only")


def count_output_tokens(generated, eos_ids, pad_id, ignore_eos):
    """Tokens the model generated for one row of a batch: `generated` is the row after the prompt.

    generate() fills a row that finished early with pad ids up to the batch's longest row, so padding
    only ever follows a row's first EOS. Unless EOS is ignored, the count stops at (and includes) that
    EOS, which also handles models whose pad id is their EOS id. Otherwise (and when no known EOS came
    out) a trailing run of pad ids is padding and is not counted.
    """
    if not ignore_eos:
        for position, token in enumerate(generated):
            if token in eos_ids:
                return position + 1
    count = len(generated)
    while count and generated[count - 1] == pad_id:
        count -= 1
    return count


def dtype_keyword(transformers):
    """The from_pretrained keyword for the weights' dtype: `dtype` since transformers 4.56, which deprecated
    `torch_dtype` (transformers 5 warns on it)."""
    try:
        major, minor = (int(part) for part in transformers.__version__.split(".")[:2])
    except (AttributeError, ValueError):
        return "dtype"
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def require_accelerate(device_map):
    """transformers places a model by `device_map` only with accelerate installed; say so before loading."""
    try:
        importlib.import_module("accelerate")
    except ImportError:
        raise ImportError(
            "transformers.device_map: %s needs the accelerate package in the engine's Python: install it "
            "(pip install accelerate), or remove device_map to let llem place the model on the first visible "
            "GPU (or the CPU)" % device_map) from None


def left_pad(prompts, pad_id):
    """Rows of equal width with the padding on the left, where a decoder-only model expects it, and
    their attention masks."""
    width = max(len(ids) for ids in prompts)
    rows = [[pad_id] * (width - len(ids)) + list(ids) for ids in prompts]
    masks = [[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts]
    return rows, masks, width


def make_step_clock_class(base):
    """A streamer that records when each decoding step's tokens leave generate().

    generate() calls put() once with the prompt, then once per step with that step's new tokens (one
    per row), already copied to the CPU: the copy waits for the GPU, so the time taken in put() is the
    moment those tokens exist. Every row of a static batch advances in the same step, so step i's time is
    token i's time for every row that is still generating.
    """

    class StepClock(base):
        def __init__(self):
            super().__init__()
            self.prompt_seen = False
            self.times = []

        def put(self, value):
            if not self.prompt_seen:
                self.prompt_seen = True
                return
            self.times.append(time.monotonic())

        def end(self):
            pass

    return StepClock


class Batch:
    def __init__(self, indices, input_ids, attention_mask, width):
        self.indices = indices
        self.input_ids = input_ids
        self.attention_mask = attention_mask
        self.width = width


class TransformersAdapter(Adapter):
    PACKAGES = ("transformers",)

    def __init__(self):
        super().__init__()
        self.torch = None
        self.model = None
        self.tokenizer = None
        self.generate_options = {}
        self.cuda = False
        self.step_clock_class = None

    def load(self, model, engine_options, dtype, seed):
        torch = import_engine_module(ENGINE, "torch")
        transformers = import_engine_module(ENGINE, "transformers")
        self.torch = torch
        options, extra = split_options(engine_options)
        self.cuda = bool(torch.cuda.is_available())
        torch.manual_seed(seed)
        if self.cuda:
            torch.cuda.manual_seed_all(seed)

        load_kwargs = {dtype_keyword(transformers): self.torch_dtype(dtype)}
        if options.get("attn_implementation") is not None:
            load_kwargs["attn_implementation"] = options["attn_implementation"]
        if options.get("device_map") is not None:
            require_accelerate(options["device_map"])
            load_kwargs["device_map"] = options["device_map"]
        quantization = self.quantization_config(transformers, options)
        if quantization is not None:
            load_kwargs["quantization_config"] = quantization
        load_kwargs.update(extra)

        tokenizer_kwargs = {key: extra[key] for key in SHARED_LOAD_KEYS if key in extra}
        tokenizer = transformers.AutoTokenizer.from_pretrained(model, **tokenizer_kwargs)
        if tokenizer.pad_token_id is None:
            # Many causal LMs ship without a pad token; padding with EOS is the usual answer, and
            # count_output_tokens copes with the two being the same id.
            tokenizer.pad_token = tokenizer.eos_token
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer of %s has neither a pad nor an EOS token to pad batches with" % model)
        tokenizer.padding_side = "left"
        self.tokenizer = tokenizer

        loaded = transformers.AutoModelForCausalLM.from_pretrained(model, **load_kwargs)
        if "device_map" not in load_kwargs and quantization is None and self.cuda:
            loaded = loaded.to("cuda")
        loaded.eval()
        compiled = bool(options.get("torch_compile"))
        if compiled:
            compile_kwargs = {key: options[name] for key, name in (("mode", "torch_compile_mode"),
                                                                  ("backend", "torch_compile_backend"))
                              if options.get(name) is not None}
            # Compile forward, not the module: generate() lives on the module and calls self.forward.
            loaded.forward = torch.compile(loaded.forward, **compile_kwargs)
        self.model = loaded
        self.generate_options = given_options(options, GENERATE_OPTIONS)
        self.step_clock_class = make_step_clock_class(self.base_streamer(transformers))

        return {
            "model_info": self.model_info(),
            "memory_bytes": self.memory_bytes(),
            "observed_params": self.observed_params(load_kwargs, compiled),
        }

    def torch_dtype(self, dtype):
        if dtype in (None, "auto"):
            return "auto"
        return getattr(self.torch, dtype)

    def quantization_config(self, transformers, options):
        if options.get("load_in_4bit"):
            settings = {"load_in_4bit": True}
            if options.get("bnb_4bit_compute_dtype") is not None:
                settings["bnb_4bit_compute_dtype"] = getattr(self.torch, options["bnb_4bit_compute_dtype"])
            if options.get("bnb_4bit_quant_type") is not None:
                settings["bnb_4bit_quant_type"] = options["bnb_4bit_quant_type"]
            return transformers.BitsAndBytesConfig(**settings)
        if options.get("load_in_8bit"):
            return transformers.BitsAndBytesConfig(load_in_8bit=True)
        return None

    @staticmethod
    def base_streamer(transformers):
        """transformers' BaseStreamer, which is not exported at the top level."""
        try:
            return importlib.import_module("transformers.generation.streamers").BaseStreamer
        except (ImportError, AttributeError):
            # generate() only calls put() and end(); any class with them will do.
            return getattr(transformers, "BaseStreamer", object)

    def model_info(self):
        parameters = sum(parameter.numel() for parameter in self.model.parameters())
        return {
            "parameters": int(parameters),
            **config_sizes(self.model.config),
            "dtype": dtype_name(getattr(self.model, "dtype", None)),
        }

    def memory_bytes(self):
        if not self.cuda:
            return None
        cuda = self.torch.cuda
        return int(sum(cuda.memory_allocated(device) for device in range(cuda.device_count())))

    def observed_params(self, load_kwargs, compiled):
        model = self.model
        config = model.config
        quantization = None
        if getattr(model, "is_loaded_in_4bit", False):
            quantization = "bitsandbytes_4bit"
        elif getattr(model, "is_loaded_in_8bit", False):
            quantization = "bitsandbytes_8bit"
        return plain({
            "dtype": dtype_name(getattr(model, "dtype", None)),
            "attn_implementation": getattr(config, "_attn_implementation", None),
            "device": getattr(model, "device", None),
            "device_map": getattr(model, "hf_device_map", None),
            "quantization": quantization,
            "torch_compile": compiled,
            "generate_options": self.generate_options,
            "num_beams": self.effective_generate_option("num_beams", 1),
            "use_cache": self.effective_generate_option("use_cache", True),
            "cuda_available": self.cuda,
            "torch_version": getattr(self.torch, "__version__", None),
            "load_kwargs": {key: value for key, value in load_kwargs.items() if key != "quantization_config"},
        })

    def effective_generate_option(self, name, fallback):
        """What generate() will use for `name`: the option given, else the model's generation config."""
        value = self.generate_options.get(name)
        if value is None:
            value = getattr(getattr(self.model, "generation_config", None), name, None)
        return fallback if value is None else value

    def eos_ids(self):
        ids = set()
        for source in (getattr(self.model, "generation_config", None), self.tokenizer):
            value = getattr(source, "eos_token_id", None)
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, (list, tuple)):
                ids.update(token for token in value if isinstance(token, int))
        return ids

    def prepare(self, workload):
        torch = self.torch
        prompts = workload_prompt_ids(self.tokenizer, workload)
        pad_id = self.tokenizer.pad_token_id
        device = getattr(self.model, "device", None)
        size = max(1, int(workload.get("batch_size", 1)))
        batches = []
        for first in range(0, len(prompts), size):
            indices = list(range(first, min(first + size, len(prompts))))
            rows, masks, width = left_pad([prompts[i] for i in indices], pad_id)
            input_ids = torch.tensor(rows, dtype=torch.long)
            attention_mask = torch.tensor(masks, dtype=torch.long)
            if device is not None:
                input_ids, attention_mask = input_ids.to(device), attention_mask.to(device)
            batches.append(Batch(indices, input_ids, attention_mask, width))

        decoding = workload.get("decoding") or {}
        max_new = int(workload["max_new_tokens"])
        kwargs = {"max_new_tokens": max_new, "pad_token_id": pad_id}
        if workload.get("ignore_eos"):
            # transformers has no ignore_eos: a minimum length suppresses EOS until max_new_tokens.
            kwargs["min_new_tokens"] = max_new
        temperature = float(decoding.get("temperature") or 0)
        kwargs["do_sample"] = temperature > 0
        if temperature > 0:
            kwargs["temperature"] = temperature
            kwargs["top_p"] = float(decoding.get("top_p", 1.0))
            # Always given, so that 0 (off) overrides a model's own default (often 50).
            kwargs["top_k"] = int(decoding.get("top_k", 0))
        # Always given, so that a model's own default does not apply unasked.
        kwargs["repetition_penalty"] = float(decoding.get("repetition_penalty", 1.0))
        kwargs.update(self.generate_options)
        if temperature > 0:
            torch.manual_seed(int(decoding.get("seed", 0)))

        streaming = bool(workload.get("latency_profiling"))
        if streaming and self.effective_generate_option("num_beams", 1) > 1:
            self.warn("latency_profiling needs num_beams 1 with transformers (generate cannot stream beams); "
                      "this window reports per-batch times only")
            streaming = False
        return Prepared(prompts, workload, batches=batches, generate_kwargs=kwargs, streaming=streaming)

    def synchronize(self):
        if self.cuda:
            self.torch.cuda.synchronize()

    def run(self, prepared):
        ignore_eos = bool(prepared.workload.get("ignore_eos"))
        eos_ids = self.eos_ids()
        pad_id = prepared.generate_kwargs["pad_token_id"]
        records = []
        every_token_timed = prepared.streaming
        for batch in prepared.batches:
            kwargs = dict(prepared.generate_kwargs)
            clock = self.step_clock_class() if prepared.streaming else None
            if clock is not None:
                kwargs["streamer"] = clock
            self.synchronize()
            start = time.monotonic()
            with self.torch.inference_mode():
                output = self.model.generate(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                                             **kwargs)
            self.synchronize()
            end = time.monotonic()
            rows = getattr(output, "sequences", output).tolist()
            for row, index in zip(rows, batch.indices):
                n_out = count_output_tokens(row[batch.width:], eos_ids, pad_id, ignore_eos)
                record = request_record(prepared, index, n_out, start, None, end)
                if clock is not None:
                    times = clock.times[:n_out]
                    if len(times) == n_out:
                        record["token_times_s"] = times
                        if times:
                            record["first_token_s"] = times[0]
                            record["end_s"] = times[-1]
                    else:  # generate stepped differently from what was counted; do not invent times
                        every_token_timed = False
                records.append(record)
        if prepared.streaming and not every_token_timed:
            for record in records:
                record.pop("token_times_s", None)
            return "per_batch", records
        return ("streaming" if prepared.streaming else "per_batch"), records


def create_adapter():
    return TransformersAdapter()
