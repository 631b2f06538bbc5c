#!/usr/bin/env python3
"""Writes packages/engine/test/fixtures/chat-templates/*.json: chat templates in the
styles of popular models, with conversations and the exact strings transformers
renders for them.

Rendering copies transformers' `render_jinja_template` (transformers/utils/chat_template_utils.py):
an ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, the loopcontrols
extension, a `tojson` that keeps non-ASCII, `raise_exception` and `strftime_now`, and the
tokenizer's special tokens passed as variables. Needs only jinja2 (python3-jinja2):

    python3 scripts/make-chat-template-fixtures.py
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

OUT = os.path.join(os.path.dirname(__file__), "..", "packages", "engine", "test", "fixtures", "chat-templates")


class TemplateError(Exception):
    pass


def render(template, messages, add_generation_prompt, special_tokens):
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.now().strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(template).render(messages=messages, add_generation_prompt=add_generation_prompt, **special_tokens)


def token_text(t):
    return t["content"] if isinstance(t, dict) else t


SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
USER = {"role": "user", "content": "What is the capital of France?"}
ASSISTANT = {"role": "assistant", "content": "  Paris.  "}
USER2 = {"role": "user", "content": "And of Japan? Answer in one word, e.g. \"Tōkyō\" or 東京.\nThanks."}

CONVERSATIONS = {
    "one user message": [USER],
    "system, user, assistant, user": [SYSTEM, USER, ASSISTANT, USER2],
    "user, assistant (no system)": [USER, ASSISTANT],
}

TEMPLATES = {
    "llama-3": {
        "source": "meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json",
        "tokenizer_config": {
            "bos_token": "<|begin_of_text|>",
            "eos_token": "<|eot_id|>",
            "chat_template": "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
        },
    },
    "qwen2-chatml": {
        "source": "Qwen/Qwen2-0.5B-Instruct tokenizer_config.json (ChatML with a default system message)",
        "tokenizer_config": {
            "bos_token": None,
            "eos_token": "<|im_end|>",
            "pad_token": "<|endoftext|>",
            "chat_template": "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
        },
    },
    "qwen2.5": {
        "source": "Qwen/Qwen2.5-0.5B-Instruct tokenizer_config.json (multi-line, whitespace control, a tools branch)",
        "tokenizer_config": {
            "bos_token": None,
            "eos_token": "<|im_end|>",
            "pad_token": "<|endoftext|>",
            "chat_template": (
                "{%- if tools %}\n"
                "    {{- '<|im_start|>system\\n' }}\n"
                "    {%- if messages[0]['role'] == 'system' %}\n"
                "        {{- messages[0]['content'] }}\n"
                "    {%- else %}\n"
                "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n"
                "    {%- endif %}\n"
                "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
                "    {%- for tool in tools %}\n"
                "        {{- \"\\n\" }}\n"
                "        {{- tool | tojson }}\n"
                "    {%- endfor %}\n"
                "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n"
                "{%- else %}\n"
                "    {%- if messages[0]['role'] == 'system' %}\n"
                "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
                "    {%- else %}\n"
                "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n"
                "    {%- endif %}\n"
                "{%- endif %}\n"
                "{%- for message in messages %}\n"
                "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}\n"
                "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
                "    {%- elif message.role == \"assistant\" %}\n"
                "        {{- '<|im_start|>' + message.role }}\n"
                "        {%- if message.content %}\n"
                "            {{- '\\n' + message.content }}\n"
                "        {%- endif %}\n"
                "        {{- '<|im_end|>\\n' }}\n"
                "    {%- elif message.role == \"tool\" %}\n"
                "        {{- '<|im_start|>user\\n<tool_response>\\n' + message.content + '\\n</tool_response><|im_end|>\\n' }}\n"
                "    {%- endif %}\n"
                "{%- endfor %}\n"
                "{%- if add_generation_prompt %}\n"
                "    {{- '<|im_start|>assistant\\n' }}\n"
                "{%- endif %}\n"
            ),
        },
    },
    "smollm2": {
        "source": "HuggingFaceTB/SmolLM2-135M-Instruct tokenizer_config.json",
        "tokenizer_config": {
            "bos_token": "<|im_start|>",
            "eos_token": "<|im_end|>",
            "pad_token": "<|im_end|>",
            "unk_token": "<|endoftext|>",
            "chat_template": "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
        },
    },
    "phi-3": {
        "source": "microsoft/Phi-3-mini-4k-instruct tokenizer_config.json (eos_token when no generation prompt)",
        "tokenizer_config": {
            "bos_token": "<s>",
            "eos_token": "<|endoftext|>",
            "pad_token": "<|endoftext|>",
            "unk_token": "<unk>",
            "chat_template": "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
        },
    },
    "phi-3-early": {
        "source": "microsoft/Phi-3-mini-4k-instruct, April 2024 (bos_token first, system messages dropped)",
        "tokenizer_config": {
            "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
            "eos_token": {"__type": "AddedToken", "content": "<|endoftext|>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
            "chat_template": "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}",
        },
    },
    "mistral-v0.1": {
        "source": "mistralai/Mistral-7B-Instruct-v0.1 tokenizer_config.json (raise_exception on a system message)",
        "tokenizer_config": {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "chat_template": "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
        },
    },
    "gemma": {
        "source": "google/gemma-2b-it tokenizer_config.json (assistant renamed model, trim)",
        "tokenizer_config": {
            "bos_token": "<bos>",
            "eos_token": "<eos>",
            "pad_token": "<pad>",
            "unk_token": "<unk>",
            "chat_template": "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
        },
    },
    "block-whitespace": {
        "source": "a multi-line template without -%} markers: only trim_blocks and lstrip_blocks shape its whitespace",
        "tokenizer_config": {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "chat_template": (
                "{% for message in messages %}\n"
                "    {% if message.role == 'system' %}\n"
                "<|system|>\n"
                "{{ message.content }}{{ eos_token }}\n"
                "    {% elif message.role == 'user' %}\n"
                "<|user|>\n"
                "{{ message.content }}{{ eos_token }}\n"
                "    {% else %}\n"
                "<|assistant|>\n"
                "{{ message.content | trim }}{{ eos_token }}\n"
                "    {% endif %}\n"
                "    {% if loop.last and add_generation_prompt %}\n"
                "<|assistant|>\n"
                "    {% endif %}\n"
                "{% endfor %}\n"
            ),
        },
    },
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, spec in TEMPLATES.items():
        cfg = spec["tokenizer_config"]
        special = {k: token_text(v) for k, v in cfg.items() if k.endswith("_token") and v is not None}
        cases = []
        for title, messages in CONVERSATIONS.items():
            for add in (True, False):
                case = {"title": title, "add_generation_prompt": add, "messages": messages}
                try:
                    case["expected"] = render(cfg["chat_template"], messages, add, special)
                except TemplateError as e:
                    case["error"] = str(e)
                cases.append(case)
        fixture = {
            "source": spec["source"],
            "rendered_by": f"jinja2 {jinja2.__version__} configured as transformers' render_jinja_template (scripts/make-chat-template-fixtures.py)",
            "tokenizer_config": cfg,
            "cases": cases,
        }
        with open(os.path.join(OUT, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(fixture, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(name, len(cases), "cases")


if __name__ == "__main__":
    main()
