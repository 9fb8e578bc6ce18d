"""Fakes of engine classes that accept and provide exactly what the real classes do.

What a real class accepts and provides comes from the engine's API snapshot (engines/tests/api/<engine>.json,
made by engine_api.py from the engine's source and checked against it by test_engine_contracts.py). A fake
constructor refuses a keyword the real one refuses, with the real TypeError's words; a fake object has only
the real class's members, and records a read of any other name (an adapter's getattr with a default would
otherwise hide it) before raising AttributeError.
"""
import json
import os

API_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api")


def load_api(engine):
    with open(os.path.join(API_DIR, engine + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


class ApiClass:
    """One class of a snapshot: what its constructor takes and which members its objects have."""

    def __init__(self, api, name, forwards_to=None):
        self.name = name
        self.info = api["classes"][name]
        # A constructor with **kwargs that hands them on to another class (vllm.LLM to EngineArgs).
        self.forwards_to = ApiClass(api, forwards_to) if forwards_to else None

    def members(self):
        """What an object of the class has: declared fields, attributes __init__ assigns, properties and
        methods (a constructor's parameters are not members unless it stores them)."""
        info = self.info
        return (set(info["fields"]) | set(info["attributes"]) | set(info["properties"])
                | set(info.get("methods", {})))

    def keywords(self):
        """The keyword arguments the constructor takes; None when it takes any."""
        info = self.info
        accepted = set(info["init_params"]) if info["init_params"] is not None else set(info["fields"])
        if info["init_var_keyword"]:
            if self.forwards_to is None:
                return None
            accepted |= self.forwards_to.keywords() or set()
        return accepted

    def check_call(self, kwargs):
        accepted = self.keywords()
        for key in kwargs:
            if accepted is not None and key not in accepted:
                raise TypeError("%s.__init__() got an unexpected keyword argument '%s'" % (self.name, key))

    def make(self, reads, **values):
        """An object of this class with `values` set; `reads` collects reads of names the class lacks."""
        unknown = set(values) - self.members()
        if unknown:
            raise AssertionError("the fake sets %s, which the real %s lacks" % (sorted(unknown), self.name))
        return StrictObject(self, reads, values)


class StrictObject:
    def __init__(self, api_class, reads, values):
        object.__setattr__(self, "_api_class", api_class)
        object.__setattr__(self, "_reads", reads)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called for names not set on the object
        api_class = object.__getattribute__(self, "_api_class")
        if name in api_class.members():
            return None
        object.__getattribute__(self, "_reads").append("%s.%s" % (api_class.name, name))
        raise AttributeError("'%s' object has no attribute '%s'" % (api_class.name, name))
