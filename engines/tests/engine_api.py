#!/usr/bin/env python3
"""What an engine library's API accepts and provides, read from its source with `ast` (no import, no GPU).

    python3 engines/tests/engine_api.py vllm SOURCE_DIR [--source-note TEXT] > engines/tests/api/vllm.json

SOURCE_DIR is the root of an unpacked source distribution (the folder holding `vllm/`, or `tensorrt_llm/`).
For every class the adapter touches it records the constructor's keyword parameters (and whether it takes
any keyword, `**kwargs`), the fields a dataclass, msgspec Struct or pydantic model declares (its own and
those of its bases found in the listed files), the attributes `__init__` assigns, and the properties. The
output is the snapshot the adapter tests build their fakes from (engines/tests/api/<engine>.json); the
contract tests check that snapshot against the real source whenever the source is present.
"""
import argparse
import ast
import json
import os
import re
import sys

# Per engine: the package's version file (and the regular expression that finds the version in it), and the
# classes the adapter uses: name -> (file, class name in that file).
SPECS = {
    "vllm": {
        "version": ("vllm/_version.py", r"__version__ = version = '([^']+)'"),
        "classes": {
            "LLM": ("vllm/entrypoints/llm.py", "LLM"),
            "EngineArgs": ("vllm/engine/arg_utils.py", "EngineArgs"),
            "SamplingParams": ("vllm/sampling_params.py", "SamplingParams"),
            "RequestOutput": ("vllm/outputs.py", "RequestOutput"),
            "CompletionOutput": ("vllm/outputs.py", "CompletionOutput"),
            "RequestStateStats": ("vllm/v1/metrics/stats.py", "RequestStateStats"),
            "LLMEngine": ("vllm/v1/engine/llm_engine.py", "LLMEngine"),
            "VllmConfig": ("vllm/config/vllm.py", "VllmConfig"),
            "ModelConfig": ("vllm/config/model.py", "ModelConfig"),
            "CacheConfig": ("vllm/config/cache.py", "CacheConfig"),
            "SchedulerConfig": ("vllm/config/scheduler.py", "SchedulerConfig"),
            "ParallelConfig": ("vllm/config/parallel.py", "ParallelConfig"),
        },
    },
    "tensorrt": {
        "version": ("tensorrt_llm/version.py", r'__version__ = "([^"]+)"'),
        "classes": {
            "TorchLlmArgs": ("tensorrt_llm/llmapi/llm_args.py", "TorchLlmArgs"),
            "TrtLlmArgs": ("tensorrt_llm/llmapi/llm_args.py", "TrtLlmArgs"),
            "KvCacheConfig": ("tensorrt_llm/llmapi/llm_args.py", "KvCacheConfig"),
            "SamplingParams": ("tensorrt_llm/sampling_params.py", "SamplingParams"),
            "CompletionOutput": ("tensorrt_llm/executor/result.py", "CompletionOutput"),
            "RequestOutput": ("tensorrt_llm/executor/result.py", "RequestOutput"),
            "QuantAlgo": ("tensorrt_llm/quantization/mode.py", "QuantAlgo"),
        },
    },
}


def literal_source(node):
    return None if node is None else ast.unparse(node)


class ClassReader:
    """Reads classes out of parsed modules, following bases defined in the same module."""

    def __init__(self, root):
        self.root = root
        self.modules = {}

    def module(self, path):
        if path not in self.modules:
            with open(os.path.join(self.root, path), encoding="utf-8") as handle:
                self.modules[path] = ast.parse(handle.read(), filename=path)
        return self.modules[path]

    def find(self, path, name):
        for node in self.module(path).body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node
        raise LookupError("%s defines no class %s" % (path, name))

    def describe(self, path, name):
        node = self.find(path, name)
        described = {"fields": {}, "init_params": None, "init_var_keyword": False, "attributes": [],
                     "properties": [], "methods": {}, "bases": [literal_source(base) for base in node.bases]}
        # Bases first, so that a subclass's own declarations win.
        for base in node.bases:
            base_name = literal_source(base)
            try:
                inherited = self.describe(path, base_name)
            except LookupError:
                continue
            described["fields"].update(inherited["fields"])
            described["methods"].update(inherited["methods"])
            described["attributes"] += inherited["attributes"]
            described["properties"] += inherited["properties"]
            if described["init_params"] is None and inherited["init_params"] is not None:
                described["init_params"] = inherited["init_params"]
                described["init_var_keyword"] = inherited["init_var_keyword"]
        for item in node.body:
            self.read_member(item, described)
        described["attributes"] = sorted(set(described["attributes"]))
        described["properties"] = sorted(set(described["properties"]))
        return described

    @staticmethod
    def read_member(item, described):
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            if not literal_source(item.annotation).startswith("ClassVar"):
                described["fields"][item.target.id] = literal_source(item.value)
        elif isinstance(item, ast.Assign):
            # Enum members and plain class attributes.
            for target in item.targets:
                if isinstance(target, ast.Name):
                    described["attributes"].append(target.id)
        elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            decorators = {literal_source(d) for d in item.decorator_list}
            if decorators & {"property", "cached_property", "functools.cached_property"}:
                described["properties"].append(item.name)
            elif not item.name.startswith("_"):
                described["methods"][item.name] = ClassReader.parameters(item)
            if item.name == "__init__":
                ClassReader.read_init(item, described)

    @staticmethod
    def parameters(function):
        """A public method's parameters after self: names in order, and whether it takes **kwargs."""
        args = function.args
        names = [arg.arg for arg in args.posonlyargs + args.args + args.kwonlyargs]
        return {"params": [name for name in names if name not in ("self", "cls")],
                "var_keyword": args.kwarg is not None}

    @staticmethod
    def read_init(function, described):
        args = function.args
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        params = {arg.arg: literal_source(default) for arg, default in zip(positional, defaults)}
        params.update({arg.arg: literal_source(default) for arg, default in zip(args.kwonlyargs, args.kw_defaults)})
        params.pop("self", None)
        described["init_params"] = params
        described["init_var_keyword"] = args.kwarg is not None
        for node in ast.walk(function):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id == "self"):
                        described["attributes"].append(target.attr)


def engine_api(engine, root, source_note=None):
    spec = SPECS[engine]
    version_file, pattern = spec["version"]
    with open(os.path.join(root, version_file), encoding="utf-8") as handle:
        found = re.search(pattern, handle.read())
    reader = ClassReader(root)
    classes = {name: dict(reader.describe(path, class_name), file=path)
               for name, (path, class_name) in spec["classes"].items()}
    return {"engine": engine, "version": found.group(1) if found else None, "source": source_note,
            "classes": classes}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=sorted(SPECS))
    parser.add_argument("source_dir")
    parser.add_argument("--source-note", default=None, help="where the source came from (kept in the output)")
    options = parser.parse_args(argv)
    json.dump(engine_api(options.engine, options.source_dir, options.source_note), sys.stdout, indent=1,
              sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
