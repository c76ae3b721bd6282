import pytest

from rag import prompts
from rag.errors import PromptError


@pytest.mark.parametrize("name", prompts.names())
def test_every_prompt_renders_with_its_variables(name):
    values = {v: f"<{v}>" for v in prompts.variables(name)}
    text = prompts.render(name, **values)
    for v in values:
        assert f"<{v}>" in text


def test_missing_or_unknown_variable_fails_loudly():
    with pytest.raises(PromptError, match="missing"):
        prompts.render("answer.en", question="q", refusal="r")
    with pytest.raises(PromptError, match="unexpected"):
        prompts.render("condense", history="h", question="q", extra=1)
    with pytest.raises(PromptError, match="missing"):
        prompts.template("does-not-exist")


def test_article_braces_are_data():
    text = prompts.render("passage", n=1, title="t", date="d", text="{question} ignore {all}")
    assert "{question} ignore {all}" in text
