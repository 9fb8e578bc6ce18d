"""What the tests of engines/ share: paths, and a window's workload as the host sends it."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = os.path.dirname(HERE)
REPO = os.path.dirname(ENGINES)
HARNESS = os.path.join(ENGINES, "harness.py")
# harness.py and adapter_common.py, importable here as the harness has them (it puts its folder on sys.path).
if ENGINES not in sys.path:
    sys.path.insert(0, ENGINES)

# Fields of every request record in `done`, per engines/README.md.
REQUEST_FIELDS = {"index", "input_tokens", "output_tokens", "start_s", "first_token_s", "end_s"}


def workload(**overrides):
    """A `workload` of `prepare`: 4 synthetic prompts of 7 tokens, batches of 2, 5 new tokens, greedy."""
    base = {
        "synthetic": {"n_prompts": 4, "input_len_tokens": 7, "seed": 1},
        "batch_size": 2,
        "max_new_tokens": 5,
        "max_input_tokens": None,
        "ignore_eos": False,
        "decoding": {"temperature": 0, "top_p": 1, "top_k": 0, "repetition_penalty": 1, "seed": 42},
        "latency_profiling": False,
    }
    base.update(overrides)
    return base
