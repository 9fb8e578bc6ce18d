"""Tests of the engine adapters (engines/<engine>/adapter.py) against fake engine libraries.

No torch, transformers, vllm or tensorrt_llm is needed: each test installs small fakes into sys.modules that
record how they are called and answer deterministically. Run with `python3 -m unittest discover -s engines/tests`.
"""
import contextlib
import datetime
import enum
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import time
import types
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import ENGINES, HARNESS, REQUEST_FIELDS, workload  # noqa: E402
from api_fakes import ApiClass, load_api  # noqa: E402
import adapter_common  # noqa: E402  (engines/ is on sys.path by support, as the harness puts it there)
import harness  # noqa: E402
from test_harness import check_harness_message  # noqa: E402

ENGINE_IDS = ("transformers", "vllm", "tensorrt")
ENGINE_LIBRARIES = ("torch", "transformers", "vllm", "tensorrt_llm")

PAD, BOS, EOS = 0, 1, 2
FIRST_NEW = 10  # fake models generate ids FIRST_NEW, FIRST_NEW + 1, ...


def load_adapter_module(engine):
    """The adapter module, loaded by path as the harness loads it."""
    path = os.path.join(ENGINES, engine, "adapter.py")
    spec = importlib.util.spec_from_file_location("llem_test_adapter_" + engine, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- fakes shared by the engines ---

class FakeTokenizer:
    """Token id i is the word "w{i} "; ids 0, 1, 2 are pad, BOS and EOS; BOS starts every encoded text.

    `vanishing` ids decode to nothing, as a lone byte piece does, so a decode/re-encode round trip loses them.
    """

    eos_token = "<eos>"

    def __init__(self, vocab_size=50, pad_id=PAD, vanishing=()):
        self.vocab_size = vocab_size
        self.bos_token_id = BOS
        self.eos_token_id = EOS
        self.pad_token_id = pad_id
        self.all_special_ids = [PAD, BOS, EOS]
        self.vanishing = set(vanishing)
        self.padding_side = "right"

    @property
    def pad_token(self):
        return None if self.pad_token_id is None else "<pad>"

    @pad_token.setter
    def pad_token(self, value):
        self.pad_token_id = EOS if value == self.eos_token else PAD

    def encode(self, text, add_special_tokens=True):
        # Any other word is token 3.
        ids = [int(word[1:]) if word[:1] == "w" and word[1:].isdigit() else 3 for word in text.split()]
        return ([BOS] if add_special_tokens else []) + ids

    def decode(self, ids):
        return "".join("" if token in self.vanishing else "w%d " % token for token in ids)

    def __len__(self):
        return self.vocab_size


def scripted_tokens(script, index, max_tokens, ignore_eos):
    """What a fake engine generates for request `index`: the script's row, or by default `2 + index`
    tokens then EOS (all max_tokens tokens, without EOS, when EOS is ignored)."""
    if script is not None:
        tokens = list(script[index % len(script)])
    elif ignore_eos:
        tokens = [FIRST_NEW + j for j in range(max_tokens)]
    else:
        tokens = [FIRST_NEW + j for j in range(2 + index)] + [EOS]
    return tokens[:max_tokens]


# --- fake torch and transformers ---

class FakeDtype:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return "torch." + self.name


class FakeTensor:
    def __init__(self, rows, device="cpu"):
        self.rows = [list(row) for row in rows]
        self.device = device

    def to(self, device):
        return FakeTensor(self.rows, str(device))

    def tolist(self):
        return [list(row) for row in self.rows]


class FakeParameter:
    def __init__(self, n):
        self.n = n

    def numel(self):
        return self.n


class FakeModel:
    def __init__(self, state, model, kwargs):
        self.state = state
        self.name = model
        self.load_kwargs = kwargs
        requested = kwargs.get("attn_implementation")
        # As the model reports it: a request it cannot honour falls back, like transformers does.
        reported = "sdpa" if requested in (None, "flash_attention_2") else requested
        self.config = types.SimpleNamespace(num_hidden_layers=2, hidden_size=16, vocab_size=50,
                                            _attn_implementation=reported)
        self.generation_config = types.SimpleNamespace(eos_token_id=[EOS])
        # transformers takes `dtype` since 4.56 (`torch_dtype` before): the fake answers to its own version's.
        dtype = kwargs.get("dtype" if state.transformers_version >= (4, 56) else "torch_dtype")
        self.dtype = dtype if isinstance(dtype, FakeDtype) else FakeDtype("float32")
        self.device = "cpu"
        self.evaluated = False
        self.compiled_forward = False

    def eval(self):
        self.evaluated = True
        return self

    def to(self, device):
        self.device = device
        return self

    def parameters(self):
        return [FakeParameter(100), FakeParameter(23)]

    def forward(self, *args, **kwargs):
        return None

    def generate(self, input_ids, attention_mask, max_new_tokens, pad_token_id, streamer=None, **kwargs):
        call = dict(kwargs, input_ids=input_ids.tolist(), attention_mask=attention_mask.tolist(),
                    max_new_tokens=max_new_tokens, pad_token_id=pad_token_id, streamer=streamer,
                    device=input_ids.device)
        self.state.generate_calls.append(call)
        rows = input_ids.tolist()
        first_index = sum(len(c["input_ids"]) for c in self.state.generate_calls[:-1])
        generated = [scripted_tokens(self.state.script, first_index + i, max_new_tokens, "min_new_tokens" in kwargs)
                     for i in range(len(rows))]
        width = max(len(tokens) for tokens in generated)
        generated = [tokens + [pad_token_id] * (width - len(tokens)) for tokens in generated]
        if streamer is not None:
            streamer.put(FakeTensor(rows))
            for step in range(width):
                streamer.put(FakeTensor([[tokens[step]] for tokens in generated]))
            streamer.end()
        return FakeTensor([row + tokens for row, tokens in zip(rows, generated)], input_ids.device)


class FakeState:
    """What the fakes recorded, and how they should answer."""

    def __init__(self):
        self.script = None
        self.cuda = False
        self.tokenizer = FakeTokenizer()
        self.tokenizer_calls = []
        self.models = []
        self.generate_calls = []
        self.seeds = []
        self.synchronized = 0
        self.compile_calls = []
        self.llms = []
        self.sampling_params = []
        self.metrics = None  # vllm: None, "v1" or "v0"
        self.perf_metrics = True  # tensorrt_llm: whether requested perf metrics are returned
        self.transformers_version = (5, 0)
        self.unknown_reads = []  # reads of members the real engine class lacks (api_fakes.StrictObject)


def make_torch(state):
    torch = types.ModuleType("torch")
    torch.__version__ = "0.0+fake"
    torch.long = "long"
    for name in ("float16", "bfloat16", "float32"):
        setattr(torch, name, FakeDtype(name))
    torch.tensor = lambda rows, dtype=None: FakeTensor(rows)
    torch.manual_seed = state.seeds.append
    torch.inference_mode = contextlib.nullcontext

    def compile_(function, **kwargs):
        state.compile_calls.append(kwargs)

        def compiled(*args, **kw):
            return function(*args, **kw)

        compiled.compiled = True
        return compiled

    torch.compile = compile_

    def synchronize():
        state.synchronized += 1

    torch.cuda = types.SimpleNamespace(
        is_available=lambda: state.cuda,
        synchronize=synchronize,
        memory_allocated=lambda device=0: 1000,
        device_count=lambda: 2,
        manual_seed_all=lambda seed: None,
    )
    return torch


def make_transformers(state):
    transformers = types.ModuleType("transformers")
    transformers.__version__ = "%d.%d.0+fake" % state.transformers_version

    class BaseStreamer:
        def put(self, value):
            raise NotImplementedError

        def end(self):
            raise NotImplementedError

    class BitsAndBytesConfig:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    class AutoTokenizer:
        @staticmethod
        def from_pretrained(model, **kwargs):
            state.tokenizer_calls.append((model, kwargs))
            return state.tokenizer

    class AutoModelForCausalLM:
        @staticmethod
        def from_pretrained(model, **kwargs):
            loaded = FakeModel(state, model, kwargs)
            state.models.append(loaded)
            return loaded

    class AutoConfig:
        @staticmethod
        def from_pretrained(model, **kwargs):
            return types.SimpleNamespace(num_hidden_layers=4, hidden_size=32, vocab_size=50, torch_dtype="bfloat16")

    transformers.BitsAndBytesConfig = BitsAndBytesConfig
    transformers.AutoTokenizer = AutoTokenizer
    transformers.AutoModelForCausalLM = AutoModelForCausalLM
    transformers.AutoConfig = AutoConfig
    # As in transformers, BaseStreamer lives in a submodule and is not exported at the top level.
    generation = types.ModuleType("transformers.generation")
    streamers = types.ModuleType("transformers.generation.streamers")
    streamers.BaseStreamer = BaseStreamer
    generation.streamers = streamers
    transformers.generation = generation
    return {"transformers": transformers, "transformers.generation": generation,
            "transformers.generation.streamers": streamers}


# --- fake vllm ---

VLLM_API = load_api("vllm")


def make_vllm(state):
    """vLLM as the snapshot of its source says it is: its LLM takes its own keywords and EngineArgs' fields,
    SamplingParams its fields, and its outputs and configs have only their real members."""
    vllm = types.ModuleType("vllm")
    vllm.__version__ = VLLM_API["version"]
    api = {name: ApiClass(VLLM_API, name) for name in VLLM_API["classes"]}
    llm_api = ApiClass(VLLM_API, "LLM", forwards_to="EngineArgs")
    reads = state.unknown_reads

    class SamplingParams:
        def __init__(self, **kwargs):
            api["SamplingParams"].check_call(kwargs)
            self.kwargs = kwargs
            state.sampling_params.append(kwargs)

    class LLM:
        def __init__(self, **kwargs):
            llm_api.check_call(kwargs)
            self.kwargs = kwargs
            state.llms.append(self)
            model_config = api["ModelConfig"].make(
                reads, dtype=FakeDtype("bfloat16"), max_model_len=2048, quantization=None, enforce_eager=False,
                seed=0, hf_config=types.SimpleNamespace(num_hidden_layers=3, hidden_size=24, vocab_size=50))
            config = api["VllmConfig"].make(
                reads, model_config=model_config,
                cache_config=api["CacheConfig"].make(reads, block_size=16, gpu_memory_utilization=0.92,
                                                     cache_dtype="auto", num_gpu_blocks=1234,
                                                     enable_prefix_caching=None),
                scheduler_config=api["SchedulerConfig"].make(reads, max_num_seqs=256, max_num_batched_tokens=8192,
                                                             enable_chunked_prefill=True),
                parallel_config=api["ParallelConfig"].make(reads, tensor_parallel_size=1, pipeline_parallel_size=1))
            self.llm_engine = api["LLMEngine"].make(reads, vllm_config=config, model_config=model_config)
            self.generate_calls = []

        def get_tokenizer(self):
            return state.tokenizer

        def generate(self, prompts, sampling_params, use_tqdm=True):
            self.generate_calls.append({"prompts": prompts, "params": sampling_params, "use_tqdm": use_tqdm})
            outputs = []
            for index, prompt in enumerate(prompts):
                params = sampling_params.kwargs
                tokens = scripted_tokens(state.script, index, params["max_tokens"], params["ignore_eos"])
                stamp_mono, stamp_wall = time.monotonic(), time.time()
                stats = api["RequestStateStats"]
                if state.metrics == "v1":
                    metrics = stats.make(reads, arrival_time=stamp_wall, first_token_ts=stamp_mono,
                                         last_token_ts=time.monotonic(), first_token_latency=0.001)
                elif state.metrics == "latency_only":
                    # Engine-core stamps missing (0.0, their default): the frontend's wall clock remains.
                    metrics = stats.make(reads, arrival_time=stamp_wall, first_token_ts=0.0, last_token_ts=0.0,
                                         first_token_latency=0.001)
                elif state.metrics == "bogus":
                    metrics = stats.make(reads, first_token_ts=12.0, last_token_ts=0.0)
                else:
                    metrics = None
                outputs.append(api["RequestOutput"].make(
                    reads, prompt_token_ids=prompt["prompt_token_ids"], metrics=metrics,
                    outputs=[api["CompletionOutput"].make(reads, token_ids=tuple(tokens))]))
            return outputs

    vllm.LLM = LLM
    vllm.SamplingParams = SamplingParams
    return vllm


# --- fake tensorrt_llm ---

class QuantAlgo(enum.Enum):
    FP8 = "FP8"
    INT8 = "INT8"
    W4A16_AWQ = "W4A16_AWQ"


class Recorded:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        for key, value in kwargs.items():
            setattr(self, key, value)


class KvCacheConfig(Recorded):
    pass


class QuantConfig(Recorded):
    pass


def make_tensorrt_llm(state, old_sampling_params=False, trt_engine_module=True, top_level_configs=True):
    modules = {}
    tensorrt_llm = types.ModuleType("tensorrt_llm")
    llmapi = types.ModuleType("tensorrt_llm.llmapi")

    class SamplingParams:
        def __init__(self, *, max_tokens=32, end_id=None, pad_id=None, temperature=None, top_p=None, top_k=None,
                     repetition_penalty=None, seed=None, ignore_eos=False, return_perf_metrics=False):
            self.kwargs = {key: value for key, value in locals().items() if key not in ("self", "__class__", "state")}
            self.max_tokens, self.ignore_eos, self.end_id = max_tokens, ignore_eos, end_id
            self.return_perf_metrics = return_perf_metrics
            state.sampling_params.append(self)

    class OldSamplingParams:
        def __init__(self, *, max_tokens=32, end_id=None, pad_id=None, temperature=None, top_p=None, top_k=None,
                     repetition_penalty=None, random_seed=None):
            self.kwargs = {key: value for key, value in locals().items() if key not in ("self", "__class__", "state")}
            self.max_tokens, self.ignore_eos, self.end_id = max_tokens, end_id == -1, end_id
            self.return_perf_metrics = False
            state.sampling_params.append(self)

    class TokenizerWrapper:
        def __init__(self, inner):
            self.tokenizer = inner

    class LLM:
        def __init__(self, **kwargs):
            # TensorRT-LLM 1.x: the LLM's args (TorchLlmArgs) narrow the deprecated `backend` to "pytorch".
            if kwargs.get("backend", "pytorch") != "pytorch" and type(self) is LLM:
                raise ValueError("1 validation error for TorchLlmArgs\nbackend\n  Input should be 'pytorch'")
            self.kwargs = kwargs
            state.llms.append(self)
            self.tokenizer = TokenizerWrapper(state.tokenizer)
            self.args = types.SimpleNamespace(
                dtype=kwargs.get("dtype"), max_batch_size=kwargs.get("max_batch_size"),
                kv_cache_config=kwargs.get("kv_cache_config"), quant_config=kwargs.get("quant_config"))
            self.generate_calls = []

        def generate(self, prompts, sampling_params, use_tqdm=True):
            self.generate_calls.append({"prompts": prompts, "params": sampling_params, "use_tqdm": use_tqdm})
            outputs = []
            for index, prompt in enumerate(prompts):
                tokens = scripted_tokens(state.script, index, sampling_params.max_tokens, sampling_params.ignore_eos)
                completion = types.SimpleNamespace(token_ids=tokens, request_perf_metrics=None)
                if sampling_params.return_perf_metrics and state.perf_metrics:
                    first = datetime.timedelta(seconds=time.monotonic())
                    last = datetime.timedelta(seconds=time.monotonic())
                    completion.request_perf_metrics = types.SimpleNamespace(
                        timing_metrics=types.SimpleNamespace(first_token_time=first, last_token_time=last))
                outputs.append(types.SimpleNamespace(prompt_token_ids=prompt, outputs=[completion]))
            return outputs

    class TrtEngineLLM(LLM):
        pass

    class AutoDeployLLM(LLM):
        pass

    tensorrt_llm.LLM = LLM
    tensorrt_llm.SamplingParams = OldSamplingParams if old_sampling_params else SamplingParams
    llmapi.SamplingParams = tensorrt_llm.SamplingParams
    llmapi.LLM = LLM
    for name, value in (("KvCacheConfig", KvCacheConfig), ("QuantConfig", QuantConfig), ("QuantAlgo", QuantAlgo)):
        setattr(llmapi, name, value)
        if top_level_configs:
            setattr(tensorrt_llm, name, value)
    tensorrt_llm.llmapi = llmapi
    modules["tensorrt_llm"] = tensorrt_llm
    modules["tensorrt_llm.llmapi"] = llmapi
    if trt_engine_module:
        engine_module = types.ModuleType("tensorrt_llm._tensorrt_engine")
        engine_module.LLM = TrtEngineLLM
        modules["tensorrt_llm._tensorrt_engine"] = engine_module
    auto_deploy = types.ModuleType("tensorrt_llm._torch.auto_deploy")
    auto_deploy.LLM = AutoDeployLLM
    modules["tensorrt_llm._torch.auto_deploy"] = auto_deploy
    tensorrt_llm.TrtEngineLLM = TrtEngineLLM  # for the tests to compare against
    tensorrt_llm.AutoDeployLLM = AutoDeployLLM
    return modules


class AdapterTest(unittest.TestCase):
    """Installs fakes into sys.modules for one test; everything is removed again afterwards."""

    engine = None

    def setUp(self):
        self.state = FakeState()
        patcher = mock.patch.dict(sys.modules)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.module = load_adapter_module(self.engine)
        self.adapter = self.module.create_adapter()
        self.addCleanup(self.assert_only_real_members_read)

    def assert_only_real_members_read(self):
        self.assertEqual(self.state.unknown_reads, [], "the adapter read members the real engine classes lack")

    def install(self, **modules):
        for name, module in modules.items():
            sys.modules[name] = module

    def check_records(self, records, n, started=None, finished=None):
        self.assertEqual([r["index"] for r in records], list(range(n)))
        for record in records:
            self.assertTrue(REQUEST_FIELDS <= set(record), record)
            self.assertLessEqual(record["start_s"], record["end_s"])
            if record["first_token_s"] is not None:
                self.assertTrue(record["start_s"] <= record["first_token_s"] <= record["end_s"], record)
            if started is not None:
                self.assertTrue(started <= record["start_s"] and record["end_s"] <= finished, record)
        json.dumps(records, allow_nan=False)  # the harness sends them as they are

    def window(self, work):
        """prepare then run, as a window does, checking the records against the window's edges."""
        prepared = self.adapter.prepare(work)
        started = time.monotonic()
        capture, records = self.adapter.run(prepared)
        finished = time.monotonic()
        self.check_records(records, prepared.n_requests, started, finished)
        return prepared, capture, records


# --- what holds for every adapter ---

class EveryAdapterTest(unittest.TestCase):
    def test_importing_an_adapter_does_not_import_its_engine(self):
        with mock.patch.dict(sys.modules):
            for name in ENGINE_LIBRARIES:
                sys.modules.pop(name, None)
            for engine in ENGINE_IDS:
                module = load_adapter_module(engine)
                self.assertTrue(callable(module.create_adapter))
                module.create_adapter()
                loaded = [name for name in ENGINE_LIBRARIES if name in sys.modules]
                self.assertEqual(loaded, [], engine)

    def test_engine_version_is_none_when_the_package_is_absent(self):
        def absent(name):
            raise importlib.metadata.PackageNotFoundError(name)

        with mock.patch("importlib.metadata.version", side_effect=absent):
            for engine in ENGINE_IDS:
                self.assertIsNone(load_adapter_module(engine).create_adapter().engine_version(), engine)

    def test_engine_version_reads_package_metadata(self):
        asked = []

        def version(name):
            asked.append(name)
            return "9.8.7"

        with mock.patch("importlib.metadata.version", side_effect=version):
            for engine in ENGINE_IDS:
                self.assertEqual(load_adapter_module(engine).create_adapter().engine_version(), "9.8.7")
        self.assertEqual(asked, ["transformers", "vllm", "tensorrt_llm"])


# --- what the adapters share (adapter_common.py) ---

class AdapterCommonTest(unittest.TestCase):
    def test_synthetic_prompts_have_the_exact_length_and_follow_the_seed(self):
        synthetic_prompt_ids = adapter_common.synthetic_prompt_ids
        tokenizer = FakeTokenizer()
        prompts = synthetic_prompt_ids(tokenizer, 5, 9, seed=3)
        self.assertEqual([len(p) for p in prompts], [9] * 5)
        for prompt in prompts:
            self.assertEqual(prompt[0], BOS)  # the tokenizer's own prefix, counted in the length
            self.assertTrue(all(token not in (PAD, BOS, EOS) for token in prompt[1:]))
            self.assertTrue(all(0 <= token < tokenizer.vocab_size for token in prompt))
        self.assertEqual(synthetic_prompt_ids(tokenizer, 5, 9, seed=3), prompts)
        self.assertNotEqual(synthetic_prompt_ids(tokenizer, 5, 9, seed=4), prompts)
        self.assertEqual(len(set(map(tuple, prompts))), 5, "prompts of one window differ")
        # Prompt i does not depend on how many prompts there are.
        self.assertEqual(synthetic_prompt_ids(tokenizer, 2, 9, seed=3), prompts[:2])

    def test_synthetic_prompts_stay_exact_when_the_round_trip_loses_tokens(self):
        tokenizer = FakeTokenizer(vanishing=range(3, 30))  # most ids vanish when decoded alone
        prompts = adapter_common.synthetic_prompt_ids(tokenizer, 4, 12, seed=0)
        self.assertEqual([len(p) for p in prompts], [12] * 4)
        self.assertEqual(adapter_common.synthetic_prompt_ids(tokenizer, 4, 12, seed=0), prompts)

    def test_a_one_token_prompt_is_just_the_prefix(self):
        self.assertEqual(adapter_common.synthetic_prompt_ids(FakeTokenizer(), 2, 1, 0), [[BOS]] * 2)

    def test_given_prompts_are_tokenized_and_truncated(self):
        work = workload(prompts=["w5 w6 w7 w8", "w9"], max_input_tokens=3)
        self.assertEqual(adapter_common.workload_prompt_ids(FakeTokenizer(), work), [[BOS, 5, 6], [BOS, 9]])
        work = workload(max_input_tokens=4)
        self.assertEqual([len(p) for p in adapter_common.workload_prompt_ids(FakeTokenizer(), work)], [4] * 4)

    def test_on_window_clock(self):
        convert = adapter_common.on_window_clock
        offset = 1.7e9
        self.assertEqual(convert(105.0, 100.0, 110.0, offset), 105.0)
        self.assertAlmostEqual(convert(offset + 105.0, 100.0, 110.0, offset), 105.0)
        self.assertEqual(convert(110.01, 100.0, 110.0, offset), 110.0)  # jitter: clamped into the window
        self.assertEqual(convert(datetime.timedelta(seconds=101), 100.0, 110.0, offset), 101.0)
        for bad in (None, 0.0, -1.0, 50.0, True, float("nan"), "105"):
            self.assertIsNone(convert(bad, 100.0, 110.0, offset), bad)


# --- transformers ---

class TransformersAdapterTest(AdapterTest):
    engine = "transformers"

    def setUp(self):
        super().setUp()
        self.install(torch=make_torch(self.state), **make_transformers(self.state))

    def load(self, options=None, dtype="bfloat16", seed=7):
        return self.adapter.load("org/model", options or {}, dtype, seed)

    def test_load_maps_options_onto_from_pretrained(self):
        self.install(accelerate=types.ModuleType("accelerate"))  # device_map needs it
        result = self.load({
            "attn_implementation": "eager", "device_map": "auto", "load_in_4bit": True, "bnb_4bit_compute_dtype": "float16",
            "bnb_4bit_quant_type": None, "use_cache": True, "cache_implementation": None, "num_beams": 1,
            "extra": {"trust_remote_code": True, "low_cpu_mem_usage": True},
        })
        model = self.state.models[0]
        kwargs = model.load_kwargs
        self.assertEqual(str(kwargs["dtype"]), "torch.bfloat16")
        self.assertNotIn("torch_dtype", kwargs)
        self.assertEqual(kwargs["attn_implementation"], "eager")
        self.assertEqual(kwargs["device_map"], "auto")
        self.assertEqual(kwargs["trust_remote_code"], True)
        self.assertEqual(kwargs["low_cpu_mem_usage"], True)
        quantization = kwargs["quantization_config"].kwargs
        self.assertEqual(set(quantization), {"load_in_4bit", "bnb_4bit_compute_dtype"})  # None skipped
        self.assertEqual(str(quantization["bnb_4bit_compute_dtype"]), "torch.float16")
        for generate_only in ("use_cache", "cache_implementation", "num_beams"):
            self.assertNotIn(generate_only, kwargs)
        self.assertEqual(self.state.tokenizer_calls, [("org/model", {"trust_remote_code": True})])
        self.assertTrue(model.evaluated)
        self.assertEqual(self.state.seeds, [7])
        self.assertEqual(self.state.tokenizer.padding_side, "left")
        self.assertEqual(result["model_info"], {"parameters": 123, "layers": 2, "hidden_size": 16,
                                                "vocab_size": 50, "dtype": "bfloat16"})
        self.assertIsNone(result["memory_bytes"])
        observed = result["observed_params"]
        self.assertEqual((observed["dtype"], observed["attn_implementation"], observed["device"]),
                         ("bfloat16", "eager", "cpu"))
        self.assertEqual(observed["generate_options"], {"use_cache": True, "num_beams": 1})
        json.dumps(result, allow_nan=False)

    def test_transformers_before_4_56_gets_torch_dtype(self):
        self.state.transformers_version = (4, 46)
        self.install(torch=make_torch(self.state), **make_transformers(self.state))
        result = self.load(dtype="float16")
        kwargs = self.state.models[0].load_kwargs
        self.assertEqual(str(kwargs["torch_dtype"]), "torch.float16")
        self.assertNotIn("dtype", kwargs)
        self.assertEqual(result["observed_params"]["dtype"], "float16")

    def test_by_default_the_model_goes_whole_to_the_first_gpu_without_accelerate(self):
        self.state.cuda = True
        result = self.load()
        model = self.state.models[0]
        self.assertNotIn("device_map", model.load_kwargs)
        self.assertEqual(model.device, "cuda")
        self.assertEqual(result["observed_params"]["device"], "cuda")

    def test_a_device_map_without_accelerate_is_a_clear_import_error(self):
        with mock.patch.dict(sys.modules, {"accelerate": None}):
            with self.assertRaises(ImportError) as raised:
                self.load({"device_map": "auto"})
        self.assertIn("transformers.device_map: auto needs the accelerate package", str(raised.exception))
        self.assertEqual(self.state.models, [])

    def test_observed_attention_is_what_the_model_reports(self):
        result = self.load({"attn_implementation": "flash_attention_2"})
        self.assertEqual(result["observed_params"]["attn_implementation"], "sdpa")

    def test_auto_dtype_and_eight_bit(self):
        self.load({"load_in_8bit": True}, dtype="auto")
        kwargs = self.state.models[0].load_kwargs
        self.assertEqual(kwargs["dtype"], "auto")
        self.assertEqual(kwargs["quantization_config"].kwargs, {"load_in_8bit": True})

    def test_extra_wins_over_the_named_options(self):
        self.load({"attn_implementation": "eager", "extra": {"attn_implementation": "sdpa"}})
        self.assertEqual(self.state.models[0].load_kwargs["attn_implementation"], "sdpa")

    def test_torch_compile_wraps_forward(self):
        result = self.load({"torch_compile": True, "torch_compile_mode": "reduce-overhead"})
        self.assertEqual(self.state.compile_calls, [{"mode": "reduce-overhead"}])
        self.assertTrue(getattr(self.state.models[0].forward, "compiled", False))
        self.assertTrue(result["observed_params"]["torch_compile"])

    def test_memory_is_read_on_every_gpu_when_cuda_is_there(self):
        self.state.cuda = True
        result = self.load()
        self.assertEqual(result["memory_bytes"], 2000)
        self.adapter.run(self.adapter.prepare(workload()))
        self.assertGreaterEqual(self.state.synchronized, 4)  # before and after each of the 2 batches

    def test_missing_pad_token_pads_with_eos(self):
        self.state.tokenizer = FakeTokenizer(pad_id=None)
        self.load()
        self.assertEqual(self.state.tokenizer.pad_token_id, EOS)

    def test_batches_are_left_padded_and_counted_without_padding(self):
        self.load()
        prepared = self.adapter.prepare(workload(prompts=["w5 w6 w7", "w8", "w9 w10"], batch_size=2))
        self.assertEqual((prepared.n_requests, prepared.input_tokens), (3, 4 + 2 + 3))
        capture, records = self.adapter.run(prepared)
        self.check_records(records, 3)
        first, second = self.state.generate_calls
        self.assertEqual(first["input_ids"], [[BOS, 5, 6, 7], [PAD, PAD, BOS, 8]])
        self.assertEqual(first["attention_mask"], [[1, 1, 1, 1], [0, 0, 1, 1]])
        self.assertEqual(second["input_ids"], [[BOS, 9, 10]])
        self.assertEqual(capture, "per_batch")
        # Request i makes 2 + i tokens then EOS; the shorter row of a batch is padded, and padding is not counted.
        self.assertEqual([r["output_tokens"] for r in records], [3, 4, 5])
        self.assertEqual([r["input_tokens"] for r in records], [4, 2, 3])
        self.assertTrue(all(r["first_token_s"] is None for r in records))
        self.assertEqual(records[0]["start_s"], records[1]["start_s"])
        self.assertLessEqual(records[1]["end_s"], records[2]["start_s"])

    def test_generate_arguments_for_greedy_decoding(self):
        self.load({"use_cache": False, "num_beams": 1})
        self.adapter.run(self.adapter.prepare(workload()))
        call = self.state.generate_calls[0]
        self.assertEqual((call["max_new_tokens"], call["do_sample"], call["pad_token_id"]), (5, False, PAD))
        self.assertEqual(call["repetition_penalty"], 1.0)
        self.assertEqual((call["use_cache"], call["num_beams"]), (False, 1))
        for absent in ("temperature", "top_p", "top_k", "min_new_tokens"):
            self.assertNotIn(absent, call)
        self.assertIsNone(call["streamer"])
        self.assertEqual(call["device"], "cpu")

    def test_generate_arguments_for_sampling(self):
        self.load()
        decoding = {"temperature": 0.7, "top_p": 0.9, "top_k": 0, "repetition_penalty": 1.1, "seed": 5}
        self.adapter.run(self.adapter.prepare(workload(decoding=decoding)))
        call = self.state.generate_calls[0]
        self.assertEqual((call["do_sample"], call["temperature"], call["top_p"], call["top_k"]), (True, 0.7, 0.9, 0))
        self.assertEqual(call["repetition_penalty"], 1.1)
        self.assertEqual(self.state.seeds, [7, 5])

    def test_ignore_eos_asks_for_every_token_and_counts_past_eos(self):
        self.load()
        _, _, records = self.window(workload(ignore_eos=True))
        self.assertEqual(self.state.generate_calls[0]["min_new_tokens"], 5)
        self.assertEqual([r["output_tokens"] for r in records], [5, 5, 5, 5])
        # Should a model emit EOS anyway, the tokens after it are still its output; trailing padding is not.
        self.state.script = [[11, EOS, 12, 13], [11, EOS, PAD, PAD]]
        _, _, records = self.window(workload(ignore_eos=True))
        self.assertEqual([r["output_tokens"] for r in records], [4, 2, 4, 2])

    def test_eos_cuts_the_count_unless_ignored(self):
        self.load()
        self.state.script = [[11, EOS, 12, 13]]
        _, _, records = self.window(workload())
        self.assertEqual({r["output_tokens"] for r in records}, {2})

    def test_pad_equal_to_eos_is_counted_once(self):
        self.state.tokenizer = FakeTokenizer(pad_id=None)  # padded with EOS
        self.load()
        self.state.script = [[11, 12, EOS], [11, EOS]]
        _, _, records = self.window(workload())
        self.assertEqual([r["output_tokens"] for r in records], [3, 2, 3, 2])

    def test_count_output_tokens(self):
        count = self.module.count_output_tokens
        self.assertEqual(count([5, 6, EOS, PAD, PAD], {EOS}, PAD, False), 3)
        self.assertEqual(count([5, 6, EOS, PAD, PAD], {EOS}, PAD, True), 3)
        self.assertEqual(count([5, EOS, 6, 7], {EOS}, PAD, True), 4)
        self.assertEqual(count([5, 6, 7], {EOS}, PAD, False), 3)
        self.assertEqual(count([5, EOS, EOS, EOS], {EOS}, EOS, False), 2)
        self.assertEqual(count([5, 9, PAD], {EOS}, PAD, False), 2)  # stopped on an EOS it was not told about
        self.assertEqual(count([], {EOS}, PAD, False), 0)

    def test_latency_profiling_streams_token_times(self):
        self.load()
        for batch_size in (1, 2):
            self.state.generate_calls.clear()
            _, capture, records = self.window(workload(latency_profiling=True, batch_size=batch_size))
            self.assertEqual(capture, "streaming")
            self.assertEqual(len(self.state.generate_calls), 4 // batch_size)
            for record in records:
                times = record["token_times_s"]
                self.assertEqual(len(times), record["output_tokens"])
                self.assertEqual(times, sorted(times))
                self.assertEqual((record["first_token_s"], record["end_s"]), (times[0], times[-1]))
            self.assertTrue(isinstance(self.state.generate_calls[0]["streamer"],
                                       sys.modules["transformers.generation.streamers"].BaseStreamer))

    def test_latency_profiling_with_beams_falls_back_to_batch_times(self):
        self.load({"num_beams": 2})
        with mock.patch.object(sys, "stderr"):
            _, capture, records = self.window(workload(latency_profiling=True))
        self.assertEqual(capture, "per_batch")
        self.assertIsNone(self.state.generate_calls[0]["streamer"])
        self.assertTrue(all("token_times_s" not in r for r in records))

    def test_warmup_can_run_a_prepared_window_again(self):
        self.load()
        prepared = self.adapter.prepare(workload())
        first = [r["output_tokens"] for r in self.adapter.run(prepared)[1]]
        self.state.generate_calls.clear()
        self.assertEqual([r["output_tokens"] for r in self.adapter.run(prepared)[1]], first)

    def test_synthetic_window_through_prepare(self):
        self.load()
        prepared = self.adapter.prepare(workload(synthetic={"n_prompts": 3, "input_len_tokens": 6, "seed": 2},
                                                 batch_size=4))
        self.assertEqual((prepared.n_requests, prepared.input_tokens), (3, 18))
        self.adapter.run(prepared)
        self.assertEqual([len(row) for row in self.state.generate_calls[0]["input_ids"]], [6, 6, 6])
        self.assertEqual(self.state.generate_calls[0]["input_ids"],
                         adapter_common.synthetic_prompt_ids(self.state.tokenizer, 3, 6, 2))


# --- vLLM ---

class VllmAdapterTest(AdapterTest):
    engine = "vllm"

    def setUp(self):
        super().setUp()
        self.install(vllm=make_vllm(self.state))

    def load(self, options=None, dtype="bfloat16", seed=3):
        return self.adapter.load("org/model", options or {}, dtype, seed)

    def test_load_maps_options_and_skips_nulls(self):
        result = self.load({
            "gpu_memory_utilization": 0.8, "max_num_seqs": None, "max_model_len": 4096, "block_size": 16,
            "kv_cache_dtype": "fp8", "enforce_eager": True, "enable_chunked_prefill": None,
            "enable_prefix_caching": False, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
            "quantization": None, "cpu_offload_gb": 0, "max_num_batched_tokens": 8192,
            "extra": {"disable_log_stats": False, "kv_cache_memory_bytes": 4096, "block_size": 32},
        })
        self.assertEqual(self.state.llms[0].kwargs, {
            "model": "org/model", "seed": 3, "dtype": "bfloat16", "gpu_memory_utilization": 0.8,
            "max_model_len": 4096, "block_size": 32, "kv_cache_dtype": "fp8", "enforce_eager": True,
            "enable_prefix_caching": False, "tensor_parallel_size": 2, "pipeline_parallel_size": 1,
            "cpu_offload_gb": 0, "max_num_batched_tokens": 8192, "disable_log_stats": False,
            "kv_cache_memory_bytes": 4096,
        })
        self.assertEqual(result["model_info"], {"parameters": None, "layers": 3, "hidden_size": 24,
                                                "vocab_size": 50, "dtype": "bfloat16"})
        self.assertIsNone(result["memory_bytes"])
        observed = result["observed_params"]
        self.assertEqual((observed["dtype"], observed["block_size"], observed["num_gpu_blocks"]),
                         ("bfloat16", 16, 1234))
        self.assertEqual(observed["tensor_parallel_size"], 1)
        self.assertNotIn("enable_prefix_caching", observed)  # None in the engine's config: not reported
        json.dumps(result, allow_nan=False)

    def test_the_fake_refuses_what_the_real_vllm_refuses(self):
        # swap_space was an EngineArgs field until vLLM moved offloading into its own config.
        with self.assertRaisesRegex(TypeError, "unexpected keyword argument 'swap_space'"):
            self.load({"extra": {"swap_space": 4}})
        with self.assertRaisesRegex(TypeError, "unexpected keyword argument 'best_of'"):
            sys.modules["vllm"].SamplingParams(best_of=2)

    def test_observed_params_survive_an_engine_without_configs(self):
        self.load()
        self.state.llms[0].llm_engine = object()
        configs = self.adapter.engine_configs()
        self.assertEqual(self.adapter.model_info(configs)["layers"], None)
        self.assertEqual(set(self.adapter.observed_params(configs, {"model": "m"})), {"engine_kwargs"})

    def test_sampling_params(self):
        self.load()
        decoding = {"temperature": 0, "top_p": 1, "top_k": 0, "repetition_penalty": 1, "seed": 42}
        self.adapter.prepare(workload(decoding=decoding, ignore_eos=True))
        self.assertEqual(self.state.sampling_params[-1], {
            "max_tokens": 5, "ignore_eos": True, "temperature": 0.0, "top_p": 1.0, "top_k": 0,
            "repetition_penalty": 1.0, "seed": 42})
        self.adapter.prepare(workload(decoding=dict(decoding, top_k=40, temperature=0.8)))
        self.assertEqual((self.state.sampling_params[-1]["top_k"], self.state.sampling_params[-1]["ignore_eos"]),
                         (40, False))

    def test_one_generate_over_token_id_prompts(self):
        self.load()
        prepared, capture, records = self.window(workload())
        self.assertEqual((prepared.n_requests, prepared.input_tokens), (4, 28))
        calls = self.state.llms[0].generate_calls
        self.assertEqual(len(calls), 1)
        self.assertFalse(calls[0]["use_tqdm"])
        prompts = [p["prompt_token_ids"] for p in calls[0]["prompts"]]
        self.assertEqual(prompts, adapter_common.synthetic_prompt_ids(self.state.tokenizer, 4, 7, 1))
        self.assertEqual([r["input_tokens"] for r in records], [7] * 4)
        self.assertEqual([r["output_tokens"] for r in records], [3, 4, 5, 5])  # 2 + i tokens and EOS, capped at 5
        self.assertEqual(capture, "per_batch")
        self.assertTrue(all(r["first_token_s"] is None for r in records))
        self.assertEqual(len({(r["start_s"], r["end_s"]) for r in records}), 1)

    def test_ignore_eos_counts_every_token(self):
        self.load()
        _, _, records = self.window(workload(ignore_eos=True, max_new_tokens=9))
        self.assertEqual({r["output_tokens"] for r in records}, {9})

    def test_v1_metrics_give_first_token_times(self):
        self.state.metrics = "v1"
        self.load()
        _, capture, records = self.window(workload())
        self.assertEqual(capture, "streaming")
        self.assertTrue(all(r["first_token_s"] is not None for r in records))
        self.assertTrue(all("token_times_s" not in r for r in records))

    def test_wall_clock_metrics_are_moved_onto_the_monotonic_clock(self):
        self.state.metrics = "latency_only"
        self.load()
        _, capture, records = self.window(workload())
        self.assertEqual(capture, "streaming")
        for record in records:
            self.assertLess(abs(record["first_token_s"] - record["start_s"]), 1.0)

    def test_implausible_metrics_are_dropped(self):
        self.state.metrics = "bogus"
        self.load()
        with mock.patch.object(sys, "stderr"):
            _, capture, records = self.window(workload(latency_profiling=True))
        self.assertEqual(capture, "per_batch")
        self.assertTrue(all(r["first_token_s"] is None for r in records))


# --- TensorRT-LLM ---

class TensorrtAdapterTest(AdapterTest):
    engine = "tensorrt"

    def setUp(self):
        super().setUp()
        self.use()

    def use(self, **variant):
        self.install(**make_tensorrt_llm(self.state, **variant))

    def load(self, options=None, dtype="bfloat16", seed=0):
        return self.adapter.load("org/model", options or {}, dtype, seed)

    def test_pytorch_backend_by_default(self):
        result = self.load({
            "max_batch_size": 8, "max_input_len": 1024, "max_seq_len": 2048, "max_num_tokens": 8192,
            "tensor_parallel_size": 1, "pipeline_parallel_size": None, "kv_cache_free_gpu_memory_fraction": 0.8,
            "quant_algo": None, "kv_cache_quant_algo": None, "fast_build": False,
            "extra": {"enable_chunked_prefill": True},
        })
        llm = self.state.llms[0]
        self.assertIs(type(llm), sys.modules["tensorrt_llm"].LLM)
        kwargs = dict(llm.kwargs)
        kv_cache = kwargs.pop("kv_cache_config")
        self.assertEqual(kwargs, {"model": "org/model", "dtype": "bfloat16",
                                  "max_batch_size": 8, "max_input_len": 1024, "max_seq_len": 2048,
                                  "max_num_tokens": 8192, "tensor_parallel_size": 1, "enable_chunked_prefill": True})
        self.assertIsInstance(kv_cache, KvCacheConfig)
        self.assertEqual(kv_cache.kwargs, {"free_gpu_memory_fraction": 0.8})
        self.assertEqual(result["observed_params"]["backend"], "pytorch")
        self.assertEqual(result["observed_params"]["kv_cache_free_gpu_memory_fraction"], 0.8)
        self.assertIsNone(result["memory_bytes"])
        json.dumps(result, allow_nan=False)

    def test_autodeploy_is_its_own_llm_class_not_a_backend_keyword(self):
        # backend is deprecated in TensorRT-LLM 1.x, and tensorrt_llm.LLM refuses any backend but pytorch.
        result = self.load({"backend": "_autodeploy"})
        llm = self.state.llms[0]
        self.assertIs(type(llm), sys.modules["tensorrt_llm"].AutoDeployLLM)
        self.assertNotIn("backend", llm.kwargs)
        self.assertEqual(result["observed_params"]["backend"], "_autodeploy")

    def test_autodeploy_on_a_release_without_it_is_a_clear_import_error(self):
        sys.modules["tensorrt_llm._torch.auto_deploy"] = None
        with self.assertRaisesRegex(ImportError, "tensorrt.backend _autodeploy needs tensorrt_llm._torch.auto_deploy"):
            self.load({"backend": "_autodeploy"})

    def test_trt_backend_uses_the_engine_class_and_a_quant_config(self):
        self.load({"backend": "trt", "quant_algo": "FP8", "kv_cache_quant_algo": "FP8", "fast_build": True})
        llm = self.state.llms[0]
        self.assertIs(type(llm), sys.modules["tensorrt_llm"].TrtEngineLLM)
        self.assertNotIn("backend", llm.kwargs)
        self.assertTrue(llm.kwargs["fast_build"])
        self.assertEqual(llm.kwargs["quant_config"].kwargs,
                         {"quant_algo": QuantAlgo.FP8, "kv_cache_quant_algo": QuantAlgo.FP8})
        self.assertNotIn("kv_cache_config", llm.kwargs)

    def test_trt_backend_on_a_release_without_the_engine_module(self):
        self.use(trt_engine_module=False)
        sys.modules.pop("tensorrt_llm._tensorrt_engine", None)
        self.load({"backend": "trt"})
        self.assertIs(type(self.state.llms[0]), sys.modules["tensorrt_llm"].LLM)
        self.assertNotIn("backend", self.state.llms[0].kwargs)

    def test_pytorch_backend_takes_the_kv_cache_dtype_from_kv_cache_config(self):
        self.use(top_level_configs=False)  # configs exported from tensorrt_llm.llmapi only
        self.load({"kv_cache_quant_algo": "FP8", "kv_cache_free_gpu_memory_fraction": 0.5})
        kwargs = self.state.llms[0].kwargs
        self.assertEqual(kwargs["kv_cache_config"].kwargs, {"free_gpu_memory_fraction": 0.5, "dtype": "fp8"})
        self.assertNotIn("quant_config", kwargs)

    def test_model_info_from_the_hf_config_when_readable(self):
        self.assertEqual(self.load()["model_info"]["layers"], None)  # no transformers here
        self.install(**make_transformers(self.state))
        self.assertEqual(self.load()["model_info"], {"parameters": None, "layers": 4, "hidden_size": 32,
                                                     "vocab_size": 50, "dtype": "bfloat16"})

    def test_greedy_sampling_params_leave_sampling_off(self):
        self.load()
        self.adapter.prepare(workload(ignore_eos=True))
        self.assertEqual(self.state.sampling_params[-1].kwargs, {
            "max_tokens": 5, "end_id": None, "pad_id": None, "temperature": None, "top_p": None, "top_k": None,
            "repetition_penalty": None, "seed": 42, "ignore_eos": True, "return_perf_metrics": False})

    def test_sampling_params_when_sampling(self):
        self.load()
        decoding = {"temperature": 0.6, "top_p": 0.95, "top_k": 20, "repetition_penalty": 1.2, "seed": 1}
        self.adapter.prepare(workload(decoding=decoding))
        kwargs = self.state.sampling_params[-1].kwargs
        self.assertEqual((kwargs["temperature"], kwargs["top_p"], kwargs["top_k"], kwargs["repetition_penalty"]),
                         (0.6, 0.95, 20, 1.2))
        self.assertFalse(kwargs["ignore_eos"])
        self.adapter.prepare(workload(decoding=dict(decoding, top_p=1, top_k=0)))
        kwargs = self.state.sampling_params[-1].kwargs
        self.assertEqual((kwargs["top_p"], kwargs["top_k"]), (None, None))

    def test_older_sampling_params_ignore_eos_through_end_id(self):
        self.use(old_sampling_params=True)
        self.load()
        with mock.patch.object(sys, "stderr"):
            self.adapter.prepare(workload(ignore_eos=True, latency_profiling=True))
        kwargs = self.state.sampling_params[-1].kwargs
        self.assertEqual((kwargs["end_id"], kwargs["random_seed"]), (-1, 42))

    def test_one_generate_over_token_id_prompts(self):
        self.load()
        prepared, capture, records = self.window(workload())
        call = self.state.llms[0].generate_calls[0]
        self.assertEqual(call["prompts"], adapter_common.synthetic_prompt_ids(self.state.tokenizer, 4, 7, 1))
        self.assertFalse(call["use_tqdm"])
        self.assertEqual((prepared.n_requests, prepared.input_tokens), (4, 28))
        self.assertEqual([r["output_tokens"] for r in records], [3, 4, 5, 5])
        self.assertEqual(capture, "per_batch")
        _, _, records = self.window(workload(ignore_eos=True, max_new_tokens=8))
        self.assertEqual({r["output_tokens"] for r in records}, {8})

    def test_latency_profiling_reads_perf_metrics(self):
        self.load()
        _, capture, records = self.window(workload(latency_profiling=True))
        self.assertTrue(self.state.sampling_params[-1].kwargs["return_perf_metrics"])
        self.assertEqual(capture, "streaming")
        self.assertTrue(all(r["first_token_s"] is not None for r in records))
        self.state.perf_metrics = False
        _, capture, records = self.window(workload(latency_profiling=True))
        self.assertEqual(capture, "per_batch")


# --- the adapters inside the harness ---

class RecordingChannel:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


class AdaptersInTheHarnessTest(unittest.TestCase):
    """A window through harness.Session for each adapter, with the fakes: the messages follow the spec."""

    def test_a_window_of_each_adapter_makes_valid_messages(self):
        for engine in ENGINE_IDS:
            with self.subTest(engine=engine), mock.patch.dict(sys.modules), mock.patch.object(sys, "stderr"):
                state = FakeState()
                sys.modules.update({"torch": make_torch(state), "vllm": make_vllm(state), **make_transformers(state),
                                    **make_tensorrt_llm(state)})
                channel = RecordingChannel()
                session = harness.Session(channel, load_adapter_module(engine).create_adapter(), engine)
                session.hello()
                replies = [session.handle({"type": "configure", "model": "org/model", "engine_options": {},
                                           "dtype": "bfloat16", "seed": 0})]
                replies.append(harness.warm_up(session.adapter, {
                    "mode": "fixed", "n_requests": 2, "max_requests": 2, "cv_threshold": 0.1, "window": 3,
                    "min_seconds": 0, "workload": workload()}))
                for window_id, work in (("a", workload()), ("b", workload(latency_profiling=True, batch_size=1))):
                    replies.append(session.handle({"type": "prepare", "window_id": window_id, "workload": work}))
                    replies.append(session.handle({"type": "go", "window_id": window_id}))
                for message in channel.sent + replies:
                    check_harness_message(self, message)
                    json.dumps(message, allow_nan=False)
                self.assertEqual([m["type"] for m in replies],
                                 ["loaded", "warmup_done", "ready", "done", "ready", "done"])
                for done in (replies[3], replies[5]):
                    for record in done["requests"]:
                        self.assertTrue(done["started_s"] <= record["start_s"] <= record["end_s"] <= done["finished_s"])
                self.assertEqual(replies[2]["input_tokens"], 28)
                if engine == "transformers":
                    self.assertEqual(replies[5]["capture"], "streaming")
                if engine == "vllm":  # no metrics from the fake: said so with a log message
                    self.assertEqual([m["level"] for m in channel.sent if m["type"] == "log"], ["warning"])


# --- the real harness, without the engines installed ---

def installed(name):
    """The real library, not an adapter folder of the same name that sys.path happens to reach."""
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.origin not in (None, "namespace")


class HarnessWithoutEnginesTest(unittest.TestCase):
    def test_hello_then_a_fatal_error_naming_the_missing_module(self):
        expected = {"transformers": ("torch", "transformers"), "vllm": ("vllm",), "tensorrt": ("tensorrt_llm",)}
        for engine, modules in expected.items():
            if any(installed(name) for name in modules):
                continue  # this machine has the engine; the point is its absence
            with self.subTest(engine=engine):
                configure = {"type": "configure", "model": "org/model", "engine_options": {}, "dtype": "bfloat16",
                             "seed": 0}
                done = subprocess.run([sys.executable, HARNESS, "--engine", engine], cwd=ENGINES,
                                      input=json.dumps(configure) + "\n", capture_output=True, text=True, timeout=30)
                messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
                self.assertEqual([m["type"] for m in messages], ["hello", "error"], done.stderr)
                hello, error = messages
                self.assertEqual((hello["engine"], hello["engine_version"]), (engine, None))
                self.assertIn(error["error_type"], ("ModuleNotFoundError", "ImportError"))
                self.assertEqual((error["fatal"], error["in_reply_to"]), (True, "configure"))
                self.assertTrue(any(repr(name) in error["message"] for name in modules), error["message"])
                self.assertEqual(done.returncode, 1)


if __name__ == "__main__":
    unittest.main()
