"""LLMeter's own Result statistics for per-request records given as JSON on stdin.

Input: {"total_requests": N, "total_test_time": seconds, "responses": [{time_to_first_token,
time_to_last_token, num_tokens_input, num_tokens_output, num_tokens_input_cached, error}, ...]}.
Output: the statistics LLMeter's Result computes (its run-level figures and per-metric aggregations),
as JSON; the run's descriptive fields (model id, times...) are left out.
"""
import json
import sys

from llmeter.endpoints.base import InvocationResponse
from llmeter.results import Result

given = json.load(sys.stdin)
responses = [InvocationResponse(response_text=None, **fields) for fields in given["responses"]]
result = Result(
    responses=responses,
    total_requests=given["total_requests"],
    total_test_time=given["total_test_time"],
)
descriptive = set(result.to_dict())
stats = {key: value for key, value in result.stats.items() if key not in descriptive}
json.dump(stats, sys.stdout)
