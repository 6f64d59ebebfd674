"""The one model loader: a Hub id or a local folder for training, a run dir for generation and routing.

    tokenizer, model = load_pretrained("Qwen/Qwen2.5-0.5B-Instruct", dtype=torch.bfloat16)   # train, merge
    loaded = load_for_inference("runs/support_router_tiny")     # run dir, adapter dir, model dir or Hub id

Both go through `from_pretrained` with `trust_remote_code=False` (a model's files are data, never
code) and fail fast with one ToolrouterError that names the model and the fix: a missing local
folder is never tried on the Hub, and a Hub id that is not cached is not tried offline (the Hub
client would retry for ~50 s). A run dir also gives its catalogue snapshot and prompt mode
(toolrouter.io.read_run, which checks the snapshot against run.json).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from toolrouter.core.catalogue import Catalogue, load_catalogue
from toolrouter.errors import ToolrouterError
from toolrouter.io import read_json, read_run

WHAT_TO_PASS = ("pass a run directory (runs/<name>, written by `toolrouter train`), a PEFT adapter "
                "directory, a model directory with config.json, or a Hub model id")
BASE_FIX = ("Download it where there is network (`hf download {name} --local-dir /path/to/folder`) and point the "
            "recipe at the folder: toolrouter train --recipe NAME model.base=/path/to/folder (config.json, "
            "*.safetensors and the tokenizer files); or use model.base=tiny for the offline scratch base")


@dataclass
class Loaded:
    """A model ready for generate_answers, plus what its run dir says about prompting it."""

    model: Any
    tokenizer: Any
    catalogue: Optional[Catalogue] = None
    mode: Optional[str] = None
    run: Optional[dict] = None
    path: str = ""


# ---------------------------------------------------------------------------------------------
# a Hub id or a local folder

def load_failure(name: str, error: Exception, fix: str = BASE_FIX, what: str = "base model") -> ToolrouterError:
    first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    return ToolrouterError(f"cannot load the {what} {name!r}: {first}\n{fix.format(name=name)}")


def looks_local(text: str) -> bool:
    """A name we should not try on the Hub: absolute, ./ ../ ~, runs/..., deeper than org/name, a
    backslash, or under a directory that exists here."""
    return (text.startswith(("/", ".", "~", "runs/")) or text.count("/") > 1 or "\\" in text
            or ("/" in text and Path(text.split("/")[0]).is_dir()))


def hub_reachable(timeout: float = 3.0) -> bool:
    """One TCP connect to the Hub: offline, transformers would retry for ~50 s before giving up."""
    import socket
    from urllib.parse import urlparse

    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def resolve_base(name: str, fix: str = BASE_FIX, what: str = "base model") -> tuple[str, bool]:
    """(name or path to load, local_files_only). Fails fast, with the fix, when it cannot be had."""
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path), True
    if looks_local(name):
        raise load_failure(name, FileNotFoundError(f"no folder {name}"), fix, what)
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return name, True
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    if offline or not hub_reachable():
        why = "HF_HUB_OFFLINE is set" if offline else "the Hub (huggingface.co) is unreachable"
        raise load_failure(name, OSError(f"not in the local Hugging Face cache and {why}"), fix, what)
    return name, False


def load_pretrained(name: str, dtype=None, quantization_config=None, tokenizer_from: Optional[str] = None,
                    fix: str = BASE_FIX, what: str = "base model"):
    """(tokenizer, model) of a Hub id or a local folder (the tokenizer from `tokenizer_from` when
    given), with one clear error if it cannot be had. A tokenizer without a pad token pads with EOS."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path, local = resolve_base(name, fix, what)
    tok_path, tok_local = resolve_base(tokenizer_from, fix, what) if tokenizer_from else (path, local)
    try:
        tokenizer = AutoTokenizer.from_pretrained(tok_path, local_files_only=tok_local, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=local, dtype=dtype,
                                                     quantization_config=quantization_config, trust_remote_code=False)
    except Exception as e:  # missing files, unknown architecture, bad config: many types, one message
        raise load_failure(name, e, fix, what) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


# ---------------------------------------------------------------------------------------------
# for generation: a run dir, an adapter, a model

def _adapter_base(adapter_dir: Path, base: Optional[str], run: Optional[dict]) -> str:
    """Where an adapter's base model is: the run's `base_dir` (the scratch base saved in the run),
    the adapter's base path as written (absolute, or relative to the working directory, the adapter
    dir or its parent), `<adapter dir>/base`, or else `base` as a Hub id."""
    candidates = [adapter_dir / run["base_dir"]] if run and run.get("base_dir") else []
    if base:
        candidates += [Path(base), adapter_dir / base, adapter_dir.parent / base]
    candidates.append(adapter_dir / "base")
    for candidate in candidates:
        if (candidate / "config.json").is_file():
            return str(candidate)
    if not base:
        raise ToolrouterError(f"{adapter_dir / 'adapter_config.json'}: no base_model_name_or_path; "
                              "set it to the base model's directory or Hub id")
    return base


def inference_dtype(device: str):
    """bf16 on CUDA (fp16 where the GPU lacks bf16). On CPU, bf16 where the CPU has bf16 instructions
    (AVX512-BF16/AMX), else fp32. Measured on this kind of machine (AVX512-BF16, 1 thread), the trained
    support_router tiny run (2 x 256) on the 141-case gold set, constrained: bf16 91 vs fp32 81
    examples/s at batch 32, 25 vs 27 at batch 1; random-init, same shape: 62 vs 44 at batch 32.
    Batched eval is the common case, so bf16."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    native = any(getattr(torch.cpu, name, lambda: False)()
                 for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return torch.bfloat16 if device == "cpu" and native else torch.float32


def check_device(device: str) -> str:
    """`device` if torch knows it and this machine has it, else one ToolrouterError with the fix."""
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError) as e:
        raise ToolrouterError(f"--device {device!r}: not a device torch knows ({str(e).splitlines()[0][:120]}); "
                              "use cpu, cuda or cuda:N") from None
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ToolrouterError(f"--device {device}: this machine has no CUDA GPU (torch.cuda.is_available() is "
                                  "False); use --device cpu")
        index = torch.device(device).index
        if index is not None and index >= torch.cuda.device_count():
            raise ToolrouterError(f"--device {device}: there are {torch.cuda.device_count()} CUDA device(s); "
                                  f"use cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    elif kind != "cpu":
        raise ToolrouterError(f"--device {device}: toolrouter runs on cpu or cuda (got {kind})")
    return device


def check_chat_template(tokenizer, where: str) -> None:
    """Render a one-turn conversation once, so a chat template with a Jinja syntax error (or one the
    sandbox blocks) fails here with its file named, not as a traceback in the middle of a batch. A
    template that only refuses a system turn (Gemma's) is tried again without one."""
    if getattr(tokenizer, "chat_template", None) is None:
        return
    from jinja2.exceptions import SecurityError, TemplateSyntaxError

    error = None
    for conversation in ([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
                         [{"role": "user", "content": "u"}]):
        try:
            tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
            return
        except (TemplateSyntaxError, SecurityError) as e:
            error = e
            break
        except Exception as e:  # raise_exception() in the template, an undefined name ...: try without system
            error = e
    line = getattr(error, "lineno", None)
    raise ToolrouterError(f"{where}: the tokenizer's chat template does not render"
                          f"{f' (line {line})' if line else ''}: {type(error).__name__}: {str(error)[:200]}; fix "
                          "chat_template.jinja (or chat_template in tokenizer_config.json) there, or retrain the run")


def load_for_inference(path, device: Optional[str] = None) -> Loaded:
    """Load a model and tokenizer for generation from a run dir (run.json + catalogue.json + a full
    model or a PEFT adapter), an adapter dir (base from adapter_config.json), a full model dir, or a
    Hub id. The catalogue and prompt mode come from the run dir (None otherwise). Any failure is a
    ToolrouterError naming the path and what to pass instead."""
    import torch

    text = str(path)
    where = Path(text).expanduser()
    device = check_device(device) if device else ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = inference_dtype(device)
    run = catalogue = mode = None
    if not where.exists() and looks_local(text):
        raise ToolrouterError(f"model path {text} does not exist; {WHAT_TO_PASS}")
    is_adapter = False
    if where.is_dir():
        if (where / "run.json").is_file():
            info, catalogue = read_run(where)
            run, mode = info.model_dump(), info.mode
        elif (where / "catalogue.json").is_file():
            catalogue = load_catalogue(where / "catalogue.json")
        is_adapter = (where / "adapter_config.json").is_file()
        if not is_adapter and not (where / "config.json").is_file():
            raise ToolrouterError(f"{text}: no model in this directory (neither adapter_config.json nor "
                                  f"config.json); {WHAT_TO_PASS}")
    fix = WHAT_TO_PASS[0].upper() + WHAT_TO_PASS[1:]
    if is_adapter:
        from peft import PeftModel

        adapter = read_json(where / "adapter_config.json")
        base = _adapter_base(where, adapter.get("base_model_name_or_path") or (run or {}).get("base_model"), run)
        has_tokenizer = any((where / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json"))
        tokenizer, model = load_pretrained(base, dtype=dtype, tokenizer_from=str(where) if has_tokenizer else None,
                                           fix=fix, what="model")
        try:
            # Merged LoRA weights decode as fast as the base: no adapter matmuls per step.
            model = PeftModel.from_pretrained(model, str(where)).merge_and_unload()
        except Exception as e:  # peft errors come in many types; name the path either way
            raise load_failure(text, e, fix, "adapter") from None
    else:
        tokenizer, model = load_pretrained(text, dtype=dtype, fix=fix, what="model")
    check_chat_template(tokenizer, text)
    model.to(device).eval()
    return Loaded(model=model, tokenizer=tokenizer, catalogue=catalogue, mode=mode, run=run, path=text)
