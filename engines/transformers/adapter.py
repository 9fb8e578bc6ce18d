"""llem's adapter for Hugging Face transformers (protocol and interface: engines/README.md).

Static batching in llem's own loop: the prompts of a window are cut into batches of `batch_size`, each
left-padded and run as one `model.generate` call. torch and transformers are imported inside `load`, never
at module import, so the harness can say `hello` without them and report their absence as the answer to
`configure`.

Engine options (src/config/engine_options.ts): attn_implementation, device_map, torch_compile,
torch_compile_mode, torch_compile_backend, load_in_4bit, load_in_8bit, bnb_4bit_compute_dtype,
bnb_4bit_quant_type go to loading; use_cache, cache_implementation, num_beams go to `generate`; `extra` is
passed to `from_pretrained` of the model as it is (and wins over the options above).
"""
import importlib
import importlib.metadata
import math
import random
import sys
import time

PACKAGE = "transformers"
# How many times a synthetic prompt is decoded and re-encoded while looking for token ids that the
# tokenizer would itself produce for the prompt's text (see synthetic_prompt_ids).
ROUND_TRIPS = 3
# Options that belong to `generate`, not to `from_pretrained`.
GENERATE_OPTIONS = ("use_cache", "cache_implementation", "num_beams")
# Keys of `extra` that the tokenizer needs too, so that it loads from the same place as the model.
SHARED_LOAD_KEYS = ("trust_remote_code", "revision", "token", "cache_dir", "local_files_only")


# --- helpers shared in spirit with the vllm and tensorrt adapters (each adapter is a standalone file) ---

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


# --- transformers specifics ---

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


class Prepared:
    def __init__(self, prompts, batches, generate_kwargs, streaming, workload):
        self.prompts = prompts
        self.batches = batches
        self.generate_kwargs = generate_kwargs
        self.streaming = streaming
        self.workload = workload
        self.n_requests = len(prompts)
        self.input_tokens = sum(len(ids) for ids in prompts)


class TransformersAdapter:
    def __init__(self):
        self.torch = None
        self.model = None
        self.tokenizer = None
        self.generate_options = {}
        self.cuda = False
        self.channel = None
        self.step_clock_class = None

    def attach_channel(self, channel):
        self.channel = channel

    def warn(self, message):
        sys.stderr.write("llem adapter warning: %s\n" % message)
        if self.channel is not None:
            self.channel.send({"type": "log", "level": "warning", "message": message})

    def engine_version(self):
        return package_version(PACKAGE)

    def load(self, model, engine_options, dtype, seed):
        torch = import_engine_module("torch")
        transformers = import_engine_module("transformers")
        self.torch = torch
        options = dict(engine_options or {})
        extra = dict(options.pop("extra", None) or {})
        self.cuda = bool(torch.cuda.is_available())
        torch.manual_seed(seed)
        if self.cuda:
            torch.cuda.manual_seed_all(seed)

        load_kwargs = {"torch_dtype": self.torch_dtype(dtype)}
        if options.get("attn_implementation") is not None:
            load_kwargs["attn_implementation"] = options["attn_implementation"]
        if options.get("device_map") is not None:
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
        self.generate_options = {name: options[name] for name in GENERATE_OPTIONS if options.get(name) is not None}
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
        config = self.model.config

        def first(*names):
            for name in names:
                value = getattr(config, name, None)
                if isinstance(value, int):
                    return value
            return None

        parameters = sum(parameter.numel() for parameter in self.model.parameters())
        return {
            "parameters": int(parameters),
            "layers": first("num_hidden_layers", "n_layer", "num_layers"),
            "hidden_size": first("hidden_size", "n_embd", "d_model"),
            "vocab_size": first("vocab_size"),
            "dtype": self.dtype_name(getattr(self.model, "dtype", None)),
        }

    @staticmethod
    def dtype_name(dtype):
        return None if dtype is None else str(dtype).replace("torch.", "")

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
            "dtype": self.dtype_name(getattr(model, "dtype", None)),
            "attn_implementation": getattr(config, "_attn_implementation", None),
            "device": getattr(model, "device", None),
            "device_map": getattr(model, "hf_device_map", None),
            "quantization": quantization,
            "torch_compile": compiled,
            "generate_options": self.generate_options,
            "cuda_available": self.cuda,
            "torch_version": getattr(self.torch, "__version__", None),
            "load_kwargs": {key: value for key, value in load_kwargs.items() if key != "quantization_config"},
        })

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
        if streaming and int(self.generate_options.get("num_beams", 1)) > 1:
            self.warn("latency_profiling needs num_beams 1 with transformers (generate cannot stream beams); "
                      "this window reports per-batch times only")
            streaming = False
        return Prepared(prompts, batches, kwargs, streaming, workload)

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
                record = {
                    "index": index,
                    "input_tokens": len(prepared.prompts[index]),
                    "output_tokens": n_out,
                    "start_s": start,
                    "first_token_s": None,
                    "end_s": end,
                }
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
