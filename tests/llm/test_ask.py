"""The call pipeline binds a model to a schema and parameters once per combination."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

import daedalus.llm._ask as ask_module
from daedalus.llm.params import SamplingParams
from daedalus.llm.router import Router
from tests.llm.test_router import Verdict, answer, fake, run


def test_structured_binding_is_built_once_per_model_schema_and_params(monkeypatch):
    built: list[Any] = []
    original = ask_module.bind_structured

    def counting(*args: Any) -> Any:
        built.append(args[2])
        return original(*args)

    monkeypatch.setattr(ask_module, "bind_structured", counting)
    model = fake(*(answer(f'{{"holds": true, "reason": "r{i}"}}') for i in range(4)))
    router = Router.for_chat_model(model, seed=3)
    warm = SamplingParams(temperature=0.9)
    for i, params in enumerate((None, None, warm, warm)):
        extra = {} if params is None else {"params": params}
        verdict = run(router, schema=Verdict, messages=[HumanMessage(f"claim {i}?")], **extra)
        assert verdict.reason == f"r{i}"
    assert built == [Verdict, Verdict]  # one binding for the default params, one for `warm`
    sent = [call["kwargs"] for call in model.calls]
    assert [kwargs.get("temperature") for kwargs in sent] == [None, None, 0.9, 0.9]
    assert all(kwargs["seed"] == 3 and "response_format" in kwargs for kwargs in sent)
