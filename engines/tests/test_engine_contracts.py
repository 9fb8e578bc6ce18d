"""The adapters against the real engine APIs, read from the engines' source (no import, no GPU).

engines/tests/api/<engine>.json is what engine_api.py read from an engine's source: the snapshot the adapter
tests build their strict fakes from (api_fakes.py). Here:
- the snapshot equals what engine_api.py reads from the real source now, where the source is present
  (scripts/engines/engine_sources.sh downloads vLLM's; .ci/run runs it and sets LLEM_REQUIRE_ENGINES=1, so
  that there a missing source fails instead of skipping);
- every option of llem's schema, every keyword and every member each adapter uses exists in the snapshot;
- what the adapters assume about the engines' behaviour still reads so in their source.
"""
import os
import re
import subprocess
import unittest

from support import ENGINES, REPO
from api_fakes import ApiClass, load_api
from engine_api import engine_api
from test_adapters import load_adapter_module

REQUIRED = os.environ.get("LLEM_REQUIRE_ENGINES") == "1"


def schema_options(engine):
    """The options of `engine:`'s section in llem's schema, from the generated configuration reference."""
    with open(os.path.join(REPO, "docs", "configuration.md"), encoding="utf-8") as handle:
        keys = re.findall(r"^\| `%s\.([a-z_0-9]+)`" % engine, handle.read(), re.MULTILINE)
    return sorted(set(keys) - {"extra"})


def vllm_source():
    """The unpacked vLLM source the snapshot was made from, or None."""
    found = subprocess.run(["bash", os.path.join(REPO, "scripts", "engines", "engine_sources.sh"), "--check"],
                           capture_output=True, text=True)
    return found.stdout.strip().splitlines()[-1] if found.returncode == 0 else None


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as handle:
        return handle.read()


class VllmContractTest(unittest.TestCase):
    api = load_api("vllm")
    adapter = load_adapter_module("vllm")

    def test_the_adapter_and_the_default_image_name_the_version_of_the_snapshot(self):
        self.assertEqual(self.adapter.CHECKED_VERSION, self.api["version"])
        with open(os.path.join(REPO, "src", "engines", "vllm.ts"), encoding="utf-8") as handle:
            image = re.search(r'defaultImage: "([^"]+)"', handle.read()).group(1)
        self.assertEqual(image, "vllm/vllm-openai:v%s" % self.api["version"])

    def test_every_option_of_the_schema_is_a_keyword_of_the_real_llm(self):
        accepted = ApiClass(self.api, "LLM", forwards_to="EngineArgs").keywords()
        self.assertEqual(sorted(self.adapter.LLM_OPTIONS), schema_options("vllm"))
        for keyword in list(self.adapter.LLM_OPTIONS) + ["model", "seed", "dtype", "disable_log_stats"]:
            self.assertIn(keyword, accepted)

    def test_every_sampling_keyword_is_a_field_of_the_real_sampling_params(self):
        fields = self.api["classes"]["SamplingParams"]["fields"]
        used = self.adapter.sampling_kwargs({"max_new_tokens": 4, "decoding": {}})
        self.assertEqual(sorted(set(used) - set(fields)), [])

    def test_every_config_field_the_adapter_reports_exists(self):
        holder = ApiClass(self.api, "VllmConfig").members()
        classes = {"model_config": "ModelConfig", "cache_config": "CacheConfig",
                   "scheduler_config": "SchedulerConfig", "parallel_config": "ParallelConfig"}
        for config, names in self.adapter.OBSERVED_CONFIG_FIELDS.items():
            self.assertIn(config, holder)
            members = ApiClass(self.api, classes[config]).members()
            self.assertEqual([name for name in names if name not in members], [], config)
        self.assertIn("vllm_config", ApiClass(self.api, "LLMEngine").members())
        self.assertIn("llm_engine", ApiClass(self.api, "LLM").members())

    def test_the_llm_methods_the_adapter_calls_take_what_it_gives(self):
        methods = self.api["classes"]["LLM"]["methods"]
        # llm.generate(inputs, sampling_params, use_tqdm=False) in adapter_common's OneCallAdapter.run.
        self.assertEqual(methods["generate"]["params"][:2], ["prompts", "sampling_params"])
        self.assertIn("use_tqdm", methods["generate"]["params"])
        self.assertEqual(methods["get_tokenizer"]["params"], [])

    def test_the_outputs_carry_what_the_adapter_reads(self):
        self.assertIn("metrics", ApiClass(self.api, "RequestOutput").members())
        self.assertIn("outputs", ApiClass(self.api, "RequestOutput").members())
        self.assertIn("token_ids", ApiClass(self.api, "CompletionOutput").members())
        stats = ApiClass(self.api, "RequestStateStats").members()
        for name in ("first_token_ts", "last_token_ts", "arrival_time", "first_token_latency"):
            self.assertIn(name, stats)


class VllmSourceTest(unittest.TestCase):
    """The snapshot and the adapter's assumptions against vLLM's real source."""

    def setUp(self):
        self.root = vllm_source()
        if self.root is None:
            if REQUIRED:
                self.fail("LLEM_REQUIRE_ENGINES=1 but no vLLM source: bash scripts/engines/engine_sources.sh")
            self.skipTest("no vLLM source (bash scripts/engines/engine_sources.sh)")

    def test_the_snapshot_is_what_the_real_source_says(self):
        snapshot = load_api("vllm")
        fresh = engine_api("vllm", self.root, snapshot["source"])
        self.assertEqual(fresh["version"], snapshot["version"])
        for name, described in fresh["classes"].items():
            self.assertEqual(described, snapshot["classes"][name], name)

    def test_vllm_keeps_no_statistics_unless_asked_and_stamps_tokens_on_the_monotonic_clock(self):
        # Why per-request times need extra: {disable_log_stats: false}, and why they need no clock shift.
        self.assertRegex(read(self.root, "vllm/entrypoints/llm.py"),
                         r'if "disable_log_stats" not in kwargs:\s+kwargs\["disable_log_stats"\] = True')
        stats = read(self.root, "vllm/v1/metrics/stats.py")
        self.assertRegex(stats, r"engine core timestamps \(monotonic\)\s+queued_ts: float = 0\.0\s+"
                                r"scheduled_ts: float = 0\.0\s+first_token_ts: float = 0\.0")

    def test_top_k_zero_means_off(self):
        self.assertIn("top_k must be 0 (disable), or at least 1", read(self.root, "vllm/sampling_params.py"))


if __name__ == "__main__":
    unittest.main()
