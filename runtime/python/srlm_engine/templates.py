"""Chat templates: the text a model sees before its answer, and exact completion-only masks.

Which template renders a row, first match wins: the dataset's `template`, the model's `template` (set on the
tokenizer when the model is loaded, so checkpoints and the inspector carry it), the tokenizer's own. The model's
`thinking` reaches the template as `enable_thinking`; the pipeline's `system` is the system prompt of every row
whose dataset sets none.

Completion-only loss without `{% generation %}` markers (Qwen2.5's own template has none): the conversation is
rendered twice, once as the prompt (`add_generation_prompt=True`) and once with the answer as the assistant turn.
A template fit for training renders the prompt as a prefix of the whole; what follows it is exactly what the model
must produce, end-of-turn token included. Prompt and answer are tokenised apart, so the prompt's ids are the very
ids generation starts from and the mask falls on a token boundary by construction. A template that breaks the
prefix property (one that rewrites earlier turns, e.g. drops reasoning from assistant messages) gets a clear error
rather than a guessed boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ChatFormat",
    "Example",
    "TemplateError",
    "apply_model_template",
    "encode_example",
    "encode_prompts",
    "open_think_prefix",
    "prompt_text",
]


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class ChatFormat:
    """How rows become text for one model and dataset. `ChatFormat.of(True)` is the tokenizer's template as is."""

    enabled: bool = True
    template: str | None = None  # a dataset's template, overriding the tokenizer's
    thinking: bool | None = None  # passed to the template as `enable_thinking` when set
    system: str | None = None  # default system prompt (pipeline `system`)
    where: str = ""  # names model and dataset in errors

    @staticmethod
    def of(chat: ChatFormat | bool) -> ChatFormat:
        return chat if isinstance(chat, ChatFormat) else ChatFormat(enabled=bool(chat))

    def template_for(self, tokenizer) -> str | None:
        if not self.enabled:
            return None
        return self.template or getattr(tokenizer, "chat_template", None) or None


@dataclass
class Example:
    ids: list[int]
    mask: list[int]  # 1 = token counts in the loss
    prompt_len: int
    segments: tuple[int, ...] = ()  # lengths of the examples packed into this row (empty: one example)


def apply_model_template(tokenizer, template: str | None) -> None:
    """A model block's `template` replaces the tokenizer's own, so every later save carries it."""
    if template:
        tokenizer.chat_template = template


def _messages(row: dict, chat: ChatFormat) -> list[dict]:
    msgs = [dict(m) for m in (row.get("messages") or [])]
    system = row.get("system") or chat.system
    if not msgs:
        if system:
            msgs.append({"role": "system", "content": system})
        msgs.append({"role": "user", "content": row["prompt"]})
    elif system and msgs[0].get("role") != "system":
        msgs.insert(0, {"role": "system", "content": system})
    return msgs


def _render(tokenizer, template: str, msgs: list[dict], chat: ChatFormat, generation_prompt: bool) -> str:
    extra = {} if chat.thinking is None else {"enable_thinking": chat.thinking}
    try:
        return tokenizer.apply_chat_template(
            msgs, chat_template=template, tokenize=False, add_generation_prompt=generation_prompt, **extra
        )
    except (
        Exception
    ) as e:  # jinja2 raises TemplateError / UndefinedError subclasses; one message is what helps
        where = f" ({chat.where})" if chat.where else ""
        raise TemplateError(f"the chat template{where} failed to render: {type(e).__name__}: {e}") from e


def prompt_text(tokenizer, row: dict, chat_template: ChatFormat | bool) -> str:
    """The text a model sees before its answer: the chat template with a generation prompt when one applies.
    `chat_template` is a ChatFormat, or a bool for the tokenizer's own template (True) or none (False)."""
    chat = ChatFormat.of(chat_template)
    template = chat.template_for(tokenizer)
    if template:
        return _render(tokenizer, template, _messages(row, chat), chat, True)
    if row.get("messages"):
        return "\n".join(m["content"] for m in row["messages"]) + "\n"
    system = row.get("system") or chat.system
    return (system + "\n" if system else "") + row["prompt"]


def _answer_text(tokenizer, row: dict, chat: ChatFormat, template: str, prompt: str) -> str:
    """What the model must write after `prompt`: the assistant turn as the template renders it."""
    msgs = _messages(row, chat) + [{"role": "assistant", "content": row["completion"]}]
    full = _render(tokenizer, template, msgs, chat, False)
    if not full.startswith(prompt):
        at = next((i for i, (a, b) in enumerate(zip(full, prompt, strict=False)) if a != b), len(full))
        where = f" of {chat.where}" if chat.where else ""
        raise TemplateError(
            f"the chat template{where} renders the conversation with its answer differently from the prompt "
            f"(they part at character {at}: prompt {prompt[at : at + 40]!r}, conversation {full[at : at + 40]!r}), "
            "so the answer's tokens cannot be told apart for completion-only loss. Templates that rewrite turns "
            "(e.g. drop reasoning from assistant messages) do this; give the model or dataset a `template` that "
            "renders the prompt as a prefix of the conversation"
        )
    # The turn's closing whitespace (Qwen's "\n" after <|im_end|>) is not generated: generation stops at the
    # end-of-turn token.
    return full[len(prompt) :].rstrip()


def encode_example(
    tokenizer, row: dict, max_len: int, chat_template: ChatFormat | bool, completion_only: bool
) -> Example:
    chat = ChatFormat.of(chat_template)
    prompt = prompt_text(tokenizer, row, chat)
    template = chat.template_for(tokenizer)
    answer = _answer_text(tokenizer, row, chat, template, prompt) if template else row["completion"]
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    c = tokenizer(answer, add_special_tokens=False)["input_ids"]
    if not c or c[-1] != tokenizer.eos_token_id:
        # Generation stops at EOS: a template whose turn ends in another token (a base model's <|im_end|> with
        # <|endoftext|> as EOS) still has to learn to emit it.
        c = c + [tokenizer.eos_token_id]
    # Over-long rows lose the end of the completion, never the prompt: a truncated prompt would train the
    # model to answer a question it was not asked.
    c = c[: max(0, max_len - len(p))]
    ids = p + c
    mask = ([0] * len(p) if completion_only else [1] * len(p)) + [1] * len(c)
    return Example(ids[:max_len], mask[:max_len], len(p))


def encode_prompts(tokenizer, rows: list[dict], chat_template: ChatFormat | bool) -> list[list[int]]:
    chat = ChatFormat.of(chat_template)
    return [tokenizer(prompt_text(tokenizer, r, chat), add_special_tokens=False)["input_ids"] for r in rows]


_OPEN_THINK = re.compile(r"<think>(?:(?!</think>).)*\Z", re.DOTALL)


def open_think_prefix(prompt: str) -> str:
    """The reasoning block a template opened at the end of the prompt (`<think>\\n`), else "".

    Templates of reasoning models (and `enable_thinking`-style switches) pre-fill `<think>` in the generation
    prompt; the completion then starts inside the block, and rewards that check the layout need this prefix."""
    m = _OPEN_THINK.search(prompt)
    return m.group(0) if m else ""
