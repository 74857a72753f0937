#!/usr/bin/env python3
"""CUDA reference runner: the same suites' shapes as `npm run bench`, timed in PyTorch on CUDA.

Two variants per config, written in the result-file format of src/bench/result.ts (the page loads it
beside our WebGPU runs):

- "FA2 (PyTorch)": FlashAttention-2 (PyTorch's flash kernel, the one scaled_dot_product_attention
  dispatches to) over each sequence's own K/V, a shared prefix copied into every sequence.
- "Hydragen (PyTorch)": each segment shared by 2+ sequences attended once for all their queries of a
  KV head (one matrix product, returning its log-sum-exp), the rest of each sequence attended per
  sequence, the parts combined by the exact LSE merge.

The shapes, the FLOP and byte counts and the check tolerances come from the project's own suite
definitions (`node dist-cli/cli.mjs suites --json`), never from a list kept here. Timings: CUDA events,
warm-up by time, medians / p10 / p90. Checks: each variant against an f64 reference on sampled rows,
and Hydragen against FA2 on every row.

    python3 benches/cuda_reference.py --suite all --kv-dtype f16 --out 'benches/results/h200-{suite}-f16-cuda.json'
    python3 benches/cuda_reference.py --suite decode-anchors --dry-run   # no torch needed: shapes and file format only

Nothing else in the project needs this script or PyTorch.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT_SCHEMA = "attention-playground/bench"
RESULT_VERSION = 1
SUITES_SCHEMA = "attention-playground/suites"
FA2_KERNEL = "torch-fa2"
HYDRAGEN_KERNEL = "torch-hydragen"
# |ref| floor of relative errors, as src/reference/compare.ts (REL_ERR_FLOOR).
REL_ERR_FLOOR = 1e-3
# Milliseconds of GPU work one batch of timed runs aims for (src/bench/runner.ts BATCH_MS).
BATCH_MS = 50.0
MAX_RECORDED_WARMUP = 500


class UsageError(Exception):
    """Bad input from the person running the script: one line, exit code 2."""


# ---------------------------------------------------------------- arguments (no torch)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="cuda_reference.py",
        description="Time the project's benchmark suites with PyTorch on CUDA (FA2 and Hydragen) and write result files the page loads.",
    )
    p.add_argument("--suite", action="append", default=[], help="suite name (repeatable), or 'all'")
    p.add_argument("--kv-dtype", choices=["f32", "f16"], help="switch the suites' K/V to this dtype, as bench --kv-dtype")
    p.add_argument(
        "--out",
        default="cuda-reference-{suite}.json",
        help="result file; {suite} is replaced by the suite's name (default: %(default)s)",
    )
    p.add_argument("--configs", help="keep the configs whose label is exactly this (comma-separated labels)")
    p.add_argument("--suites-json", help="read the suites from this file (the output of `node dist-cli/cli.mjs suites --json`) instead of running node")
    p.add_argument("--device", default="cuda", help="torch device (default cuda; cpu times with the wall clock and suits only tiny suites)")
    p.add_argument("--cuda-graphs", action="store_true", help="capture each variant in a CUDA graph and time its replays (no Python launch overhead)")
    p.add_argument("--dry-run", action="store_true", help="load the suites and write files whose entries are all skipped; needs no torch")
    for name, help_ in [
        ("seed", "seed of the random data"),
        ("warmup-ms", "warm up by time for this long per variant"),
        ("min-runs", "at least this many timed runs"),
        ("max-runs", "at most this many timed runs"),
        ("budget-ms", "keep timing until this long has passed"),
        ("check-rows", "output rows checked against the f64 reference"),
    ]:
        p.add_argument(f"--{name}", type=_non_negative_int, help=f"{help_} (default: the bench runner's)")
    p.add_argument("--ceiling-mib", type=_non_negative_int, default=1024, help="MiB read for the streaming-read ceiling; 0 skips it (default: %(default)s)")
    p.add_argument("--matmul-n", type=_non_negative_int, default=8192, help="n of the n x n x n f16 matrix product of the matmul ceiling; 0 skips it (default: %(default)s)")
    a = p.parse_args(list(argv))
    if not a.suite:
        p.error("--suite <name> is required (or --suite all)")
    if "{suite}" not in a.out and (len(a.suite) > 1 or "all" in a.suite):
        p.error("--out must contain {suite} when more than one suite runs")
    return a


def _non_negative_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer (got {text})") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer (got {text})")
    return n


def settings_from(args: argparse.Namespace, defaults: Dict[str, Any]) -> Dict[str, Any]:
    """The bench runner's settings (from the suites export), overridden by the flags given."""
    s = dict(defaults)
    for flag, key in [
        ("seed", "seed"),
        ("warmup_ms", "warmupMs"),
        ("min_runs", "minRuns"),
        ("max_runs", "maxRuns"),
        ("budget_ms", "budgetMs"),
        ("check_rows", "checkRows"),
    ]:
        v = getattr(args, flag)
        if v is not None:
            s[key] = v
    s["minRuns"] = max(1, s["minRuns"])
    return s


# ---------------------------------------------------------------- suites (no torch)


def load_suites(args: argparse.Namespace) -> Dict[str, Any]:
    """The suites export, from --suites-json or from the project's CLI (built first when missing)."""
    if args.suites_json:
        try:
            with open(args.suites_json, encoding="utf8") as f:
                text = f.read()
        except OSError as e:
            raise UsageError(f"--suites-json {args.suites_json}: {e.strerror}") from None
        source = args.suites_json
    else:
        cli = os.path.join(ROOT, "dist-cli", "cli.mjs")
        if not os.path.exists(cli):
            _run(["npm", "run", "-s", "build:cli"], "building the CLI (npm run build:cli)")
        cmd = ["node", cli, "suites", "--json"] + (["--kv-dtype", args.kv_dtype] if args.kv_dtype else [])
        text = _run(cmd, "exporting the suites (node dist-cli/cli.mjs suites --json)")
        source = "node dist-cli/cli.mjs suites --json"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"{source}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("schema") != SUITES_SCHEMA or not isinstance(data.get("suites"), list):
        raise UsageError(f'{source}: not a suites export (schema "{SUITES_SCHEMA}")')
    if args.kv_dtype:
        # Bytes and tolerances depend on the dtype: a saved export must have been made with it.
        other = {c["problem"]["kvDtype"] for s in data["suites"] for c in s["configs"]} - {args.kv_dtype}
        if other:
            raise UsageError(f"{source} holds {', '.join(sorted(other))} K/V; export it with `suites --json --kv-dtype {args.kv_dtype}`")
    return data


def _run(cmd: List[str], what: str) -> str:
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError(f"{what}: {cmd[0]} is not installed; or give --suites-json <file>") from None
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["(no output)"]
        raise UsageError(f"{what} failed (exit {done.returncode}): {last[0]}")
    return done.stdout


def choose_suites(export: Dict[str, Any], names: Sequence[str], configs: Optional[str]) -> List[Dict[str, Any]]:
    known = [s["name"] for s in export["suites"]]
    wanted = known if "all" in names else list(names)
    for n in wanted:
        if n not in known:
            raise UsageError(f'unknown suite "{n}"; known: {", ".join(known)}')
    out = []
    for s in export["suites"]:
        if s["name"] not in wanted:
            continue
        cs = s["configs"]
        if configs:
            labels = [x.strip() for x in configs.split(",") if x.strip()]
            cs = [c for c in cs if c["label"] in labels]
            if not cs:
                raise UsageError(f'no config of {s["name"]} is labelled {configs!r}; labels: {", ".join(c["label"] for c in s["configs"])}')
        out.append({**s, "configs": cs})
    return out


def out_path(template: str, suite: str) -> str:
    return template.replace("{suite}", suite)


# ---------------------------------------------------------------- statistics and the result file (no torch)


def quantile(sorted_samples: Sequence[float], q: float) -> float:
    """As src/bench/stats.ts: linear interpolation between order statistics."""
    if not sorted_samples:
        raise ValueError("quantile of no samples")
    pos = (len(sorted_samples) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_samples[lo] + (sorted_samples[hi] - sorted_samples[lo]) * (pos - lo)


def summarize(samples: Sequence[float]) -> Dict[str, float]:
    s = sorted(samples)
    return {
        "runs": len(s),
        "medianMs": quantile(s, 0.5),
        "p10Ms": quantile(s, 0.1),
        "p90Ms": quantile(s, 0.9),
        "minMs": s[0],
        "maxMs": s[-1],
        "meanMs": sum(s) / len(s),
    }


def round4(x: float) -> float:
    return float(f"{x:.4g}")


def sample_rows(total: int, count: int) -> List[int]:
    """As src/bench/check.ts sampleRows: every row when there are at most `count`, else evenly spaced ones."""
    if total <= count:
        return list(range(total))
    if count <= 1:
        return [0]
    return sorted({round((k * (total - 1)) / (count - 1)) for k in range(count)})


def timed_entry(
    config: Dict[str, Any],
    label: str,
    kernel: str,
    ran: str,
    samples_ms: Sequence[float],
    warmup_samples_ms: Sequence[float],
    warmup_ms: float,
    reps: int,
    batches: Sequence[int],
    bytes_moved: int,
    checks: Sequence[Dict[str, Any]],
) -> Dict[str, Any]:
    """An "ok" entry: timing summary, the runs behind it, GB/s and TFLOP/s from the median."""
    t = summarize(samples_ms)
    seconds = t["medianMs"] / 1000
    cost = config["cost"]
    return {
        **_entry_base(config, label, kernel),
        "ran": ran,
        "status": "ok",
        "timing": {
            **t,
            "repsPerRun": reps,
            "warmupMs": warmup_ms,
            "warmupSamplesMs": [round4(x) for x in warmup_samples_ms[:MAX_RECORDED_WARMUP]],
            "samplesMs": [round4(x) for x in samples_ms],
            "batches": list(batches),
        },
        "bytesMoved": bytes_moved,
        "uniqueBytes": cost["uniqueBytes"],
        "flops": cost["flops"],
        "gbPerS": bytes_moved / seconds / 1e9,
        "tflopPerS": cost["flops"] / seconds / 1e12,
        "checks": list(checks),
    }


def not_run_entry(config: Dict[str, Any], label: str, kernel: str, status: str, reason: str) -> Dict[str, Any]:
    assert status in ("skipped", "failed")
    return {**_entry_base(config, label, kernel), "status": status, "reason": reason}


def _entry_base(config: Dict[str, Any], label: str, kernel: str) -> Dict[str, Any]:
    return {
        "config": config["label"],
        "axisValue": config["axisValue"],
        "problem": config["problem"],
        "label": label,
        "kernel": kernel,
        "options": {},
    }


def result_file(
    suite: Dict[str, Any],
    source: str,
    device: Dict[str, Any],
    clock: str,
    settings: Dict[str, Any],
    entries: Sequence[Dict[str, Any]],
    bandwidth_gbps: Optional[float] = None,
    matmul_tflops: Optional[float] = None,
    created_at: Optional[str] = None,
) -> Dict[str, Any]:
    r: Dict[str, Any] = {
        "schema": RESULT_SCHEMA,
        "version": RESULT_VERSION,
        "createdAt": created_at or _dt.datetime.now(_dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "source": source,
        "device": device,
        "clock": clock,
        "settings": settings,
    }
    if bandwidth_gbps is not None:
        r["bandwidthCeilingGBps"] = bandwidth_gbps
    if matmul_tflops is not None:
        r["matmulCeilingTflops"] = matmul_tflops
    r["suite"] = {"name": suite["name"], "description": suite["description"], "axis": suite["axis"]}
    r["entries"] = list(entries)
    return r


def write_result(path: str, result: Dict[str, Any]) -> None:
    """Write atomically (a partial file after each config, the whole one at the end); NaN/Infinity refused."""
    text = json.dumps(result, indent=1, allow_nan=False) + "\n"
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f"{path}.partial"
    with open(tmp, "w", encoding="utf8") as f:
        f.write(text)
    os.replace(tmp, path)


def dry_run_device() -> Dict[str, Any]:
    return {
        "adapter": {
            "vendor": "none",
            "architecture": "",
            "device": "dry run",
            "description": "dry run: nothing was timed",
            "isFallbackAdapter": False,
            "runtime": "python (no torch)",
        },
        "features": {"timestampQuery": False, "subgroups": False, "shaderF16": False, "subgroupMatrix": False},
        "limits": {},
        "subgroupMinSize": 0,
        "subgroupMaxSize": 0,
    }


def fmt(x: Optional[float]) -> str:
    """The project's one number format (src/bench/format.ts sig): 3 significant digits, whole numbers
    from 1000 to 10^6 in full, an exponent below 10^-3 and from 10^6 ("1.79e-4", "2.50e+7")."""
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e6 or a < 1e-3:
        m, e = f"{x:.2e}".split("e")
        return f"{m}e{'+' if int(e) >= 0 else ''}{int(e)}"
    p = f"{x:.3g}"
    if "e" in p:
        return str(round(x))
    if "." in p:
        p = p.rstrip("0").rstrip(".")
    return p


# ---------------------------------------------------------------- PyTorch (imported only when something runs)


class TorchBench:
    """Everything that needs torch: data, the two variants, timing, checks, the ceilings."""

    def __init__(self, device: str, settings: Dict[str, Any], log: Callable[[str], None]):
        try:
            import torch  # noqa: PLC0415 - only here: --dry-run and the tests run without torch
        except ImportError:
            raise UsageError("PyTorch is not installed here (python3 -c 'import torch' fails); --dry-run needs none") from None

        self.torch = torch
        self.dev = torch.device(device)
        self.cuda = self.dev.type == "cuda"
        if self.cuda and not torch.cuda.is_available():
            raise UsageError("--device cuda: torch.cuda.is_available() is False (use --device cpu for tiny suites, or --dry-run)")
        self.settings = settings
        self.log = log
        self.backend_cache: Dict[Tuple[Any, ...], str] = {}
        self.cuda_graphs = False

    def graphed(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """fn captured in a CUDA graph (after warm-up calls on a side stream, as PyTorch's docs do); returns its replay."""
        t = self.torch
        side = t.cuda.Stream(self.dev)
        side.wait_stream(t.cuda.current_stream(self.dev))
        with t.cuda.stream(side):
            for _ in range(3):
                fn()
        t.cuda.current_stream(self.dev).wait_stream(side)
        graph = t.cuda.CUDAGraph()
        with t.cuda.graph(graph):
            fn()
        return graph.replay

    # ---- description

    def version_label(self) -> str:
        return f"cuda-reference (PyTorch {self.torch.__version__.split('+')[0]}, FA2)"

    def device_report(self) -> Dict[str, Any]:
        t = self.torch
        if not self.cuda:
            return {
                "adapter": {
                    "vendor": "cpu",
                    "architecture": "",
                    "device": "CPU",
                    "description": f"CPU (PyTorch {t.__version__})",
                    "isFallbackAdapter": False,
                    "runtime": f"PyTorch {t.__version__}",
                },
                "features": {"timestampQuery": False, "subgroups": False, "shaderF16": False, "subgroupMatrix": False},
                "limits": {},
                "subgroupMinSize": 0,
                "subgroupMaxSize": 0,
            }
        p = t.cuda.get_device_properties(self.dev)
        name = p.name
        short = name.replace("NVIDIA ", "").split(" ")[0]
        return {
            "adapter": {
                "vendor": "nvidia",
                "architecture": f"sm_{p.major}{p.minor}",
                "device": short,
                "description": f"{name} (CUDA {t.version.cuda})",
                "isFallbackAdapter": False,
                "runtime": f"PyTorch {t.__version__} (CUDA {t.version.cuda})",
            },
            # CUDA's counterparts of the WebGPU features: events, warps, half precision, tensor cores.
            "features": {"timestampQuery": True, "subgroups": True, "shaderF16": True, "subgroupMatrix": True},
            "limits": {"totalMemory": int(p.total_memory), "multiProcessorCount": int(p.multi_processor_count)},
            "subgroupMinSize": 32,
            "subgroupMaxSize": 32,
        }

    @property
    def clock(self) -> str:
        return "cuda-events" if self.cuda else "wall-clock"

    # ---- timing

    def sync(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize(self.dev)

    def time_runs(self, fn: Callable[[], Any], count: int, reps: int) -> List[float]:
        """`count` back-to-back samples of `reps` calls each, ms per call."""
        t = self.torch
        if self.cuda:
            marks = [(t.cuda.Event(enable_timing=True), t.cuda.Event(enable_timing=True)) for _ in range(count)]
            for start, end in marks:
                start.record()
                for _ in range(reps):
                    fn()
                end.record()
            end.synchronize()
            return [s.elapsed_time(e) / reps for s, e in marks]
        out = []
        for _ in range(count):
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            out.append((time.perf_counter() - t0) * 1000 / reps)
        return out

    def time_kernel(self, fn: Callable[[], Any]) -> Dict[str, Any]:
        """As src/bench/runner.ts timeKernel: warm up by time, choose repetitions, time until minRuns and the budget."""
        s = self.settings
        warm: List[float] = []
        start = time.perf_counter()
        single = math.inf
        while len(warm) < 2 or (time.perf_counter() - start) * 1000 < s["warmupMs"]:
            count = 1 if not warm else max(1, min(1000, math.ceil(BATCH_MS / max(single, 1e-3))))
            for x in self.time_runs(fn, count, 1):
                single = min(single, x)
                warm.append(x)
        warmup_ms = (time.perf_counter() - start) * 1000
        reps = max(1, math.ceil(s["minSampleMs"] / max(single, 1e-4)))
        samples: List[float] = []
        batches: List[int] = []
        start = time.perf_counter()
        while len(samples) < s["minRuns"] or (len(samples) < s["maxRuns"] and (time.perf_counter() - start) * 1000 < s["budgetMs"]):
            left = max(1, s["maxRuns"] - len(samples))
            count = max(1, min(left, math.ceil(BATCH_MS / max(single * reps, 1e-3))))
            samples += self.time_runs(fn, count, reps)
            batches.append(count)
        return {"samples": samples, "warmup": warm, "warmupMs": warmup_ms, "reps": reps, "batches": batches}

    # ---- data

    def kv_dtype(self, problem: Dict[str, Any]):
        return self.torch.float16 if problem["kvDtype"] == "f16" else self.torch.float32

    def make_data(self, problem: Dict[str, Any]) -> Dict[str, Any]:
        """Uniform [-1, 1) values (as src/problem/generate.ts; not the same draws). Q is stored in the K/V dtype, as FA2 takes it."""
        t = self.torch
        g = t.Generator(device=self.dev)
        g.manual_seed(int(self.settings["seed"]))
        dt = self.kv_dtype(problem)
        B, Hq, Lq, D, Hkv = len(problem["sequences"]), problem["headsQ"], problem["queriesPerSeq"], problem["headDim"], problem["headsKV"]

        def uniform(*shape):
            return (t.rand(*shape, generator=g, device=self.dev, dtype=t.float32) * 2 - 1).to(dt)

        q = uniform(B, Hq, Lq, D)
        segs = {str(s["id"]): (uniform(Hkv, s["length"], D), uniform(Hkv, s["length"], D)) for s in problem["segments"]}
        return {"q": q, "segments": segs}

    # ---- attention with LSE: the backends

    def attend_lse(self, q, k, v, scale: float):
        """o [n, H, M, D] and natural-log lse [n, H, M] (f32) of q [n, H, M, D] against k, v [n, H, N, D], no mask.

        Backends in order: PyTorch's FlashAttention-2 kernel (what scaled_dot_product_attention's flash
        backend calls; f16/bf16), its memory-efficient kernel, plain matrix products in f32. The first
        that runs for this dtype and device is kept, and named in the entry's "ran"."""
        key = (q.dtype, q.device.type, q.shape[-1])
        name = self.backend_cache.get(key)
        order = [name] if name else ["flash", "efficient", "math"]
        last: Optional[BaseException] = None
        for b in order:
            try:
                o, lse = self._backend(b, q, k, v, scale)
            except (RuntimeError, TypeError, AttributeError, NotImplementedError) as e:
                if name or isinstance(e, self.torch.cuda.OutOfMemoryError):
                    raise
                last = e
                continue
            self.backend_cache[key] = b
            return o, lse, b
        raise RuntimeError(f"no attention backend ran: {last}")

    def _backend(self, name: str, q, k, v, scale: float):
        aten = self.torch.ops.aten
        if name == "flash":
            if not self.cuda or q.dtype not in (self.torch.float16, self.torch.bfloat16):
                raise NotImplementedError("flash needs CUDA and f16/bf16")
            out = aten._scaled_dot_product_flash_attention(q, k, v, 0.0, False, False, scale=scale)
            return out[0], out[1][..., : q.shape[-2]]
        if name == "efficient":
            if not self.cuda:
                raise NotImplementedError("efficient attention needs CUDA")
            out = aten._scaled_dot_product_efficient_attention(q, k, v, None, True, 0.0, False, scale=scale)
            return out[0], out[1][..., : q.shape[-2]]
        s = (q.float() @ k.float().transpose(-1, -2)) * scale
        lse = self.torch.logsumexp(s, dim=-1)
        o = self.torch.exp(s - lse.unsqueeze(-1)) @ v.float()
        return o.to(q.dtype), lse

    BACKEND_TITLE = {
        "flash": "FlashAttention-2 (aten._scaled_dot_product_flash_attention)",
        "efficient": "memory-efficient attention (aten._scaled_dot_product_efficient_attention)",
        "math": "matrix products in f32 (torch.matmul + logsumexp)",
    }

    def attend_grouped(self, q, k, v, scale: float):
        """GQA without copying K/V: the G query heads of a KV head become G·Lq rows against that head's K/V
        (exact when every query sees every key: decode, or not causal). q [n, Hq, Lq, D], k, v [n, Hkv, N, D]."""
        n, Hq, Lq, D = q.shape
        Hkv = k.shape[1]
        G = Hq // Hkv
        qf = q.reshape(n, Hkv, G * Lq, D)
        o, lse, b = self.attend_lse(qf, k, v, scale)
        return o.reshape(n, Hq, Lq, D), lse.reshape(n, Hq, Lq), b

    # ---- the two variants

    def sequence_kv(self, problem, data, ids: Sequence[str]):
        segs = data["segments"]
        k = self.torch.cat([segs[str(i)][0] for i in ids], dim=1)
        v = self.torch.cat([segs[str(i)][1] for i in ids], dim=1)
        return k, v

    def stacked_kv(self, problem, data, seqs: Sequence[Sequence[str]]):
        """K and V [n, Hkv, L, D] of sequences of equal length L, each in its own memory, written in place."""
        segs = data["segments"]
        first = segs[str(seqs[0][0])][0]
        L = sum(self._seg_len(problem, i) for i in seqs[0])
        shape = (len(seqs), first.shape[0], L, first.shape[2])
        k = self.torch.empty(shape, dtype=first.dtype, device=self.dev)
        v = self.torch.empty(shape, dtype=first.dtype, device=self.dev)
        for j, ids in enumerate(seqs):
            at = 0
            for i in ids:
                sk, sv = segs[str(i)]
                n = sk.shape[1]
                k[j, :, at : at + n] = sk
                v[j, :, at : at + n] = sv
                at += n
        return k, v

    def check_shape(self, problem: Dict[str, Any]) -> Optional[str]:
        if problem["causal"] and problem["queriesPerSeq"] > 1:
            return "causal chunks (Lq > 1) are not implemented here: every suite decodes (Lq 1)"
        if problem["headsQ"] % problem["headsKV"]:
            return "headsQ is not a multiple of headsKV"
        return None

    def prepare_fa2(self, problem, data):
        """Each sequence's K/V in its own memory (a shared prefix copied per sequence), sequences of equal length stacked."""
        t = self.torch
        seqs = problem["sequences"]
        lengths = [sum(self._seg_len(problem, i) for i in s) for s in seqs]
        groups: Dict[int, List[int]] = {}
        for b, L in enumerate(lengths):
            groups.setdefault(L, []).append(b)
        plan = []
        for _L, idx in groups.items():
            k, v = self.stacked_kv(problem, data, [seqs[b] for b in idx])
            plan.append((t.tensor(idx, device=self.dev) if len(idx) < len(seqs) else None, k, v))
        q, scale = data["q"], problem["scale"]
        B, Hq, Lq, D = q.shape
        state: Dict[str, Any] = {}

        def run():
            if len(plan) == 1 and plan[0][0] is None:
                o, lse, state["backend"] = self.attend_grouped(q, plan[0][1], plan[0][2], scale)
                return o, lse
            o = t.empty(B, Hq, Lq, D, device=self.dev, dtype=q.dtype)
            lse = t.empty(B, Hq, Lq, device=self.dev, dtype=t.float32)
            for idx, k, v in plan:
                go, gl, state["backend"] = self.attend_grouped(q[idx], k, v, scale)
                o[idx], lse[idx] = go, gl
            return o, lse

        return run, state

    def prepare_hydragen(self, problem, data):
        """Shared segments (2+ sequences, before every query) once per KV head for all their queries; the rest per sequence; exact LSE merge."""
        t = self.torch
        seqs = [[str(i) for i in s] for s in problem["sequences"]]
        B = len(seqs)
        users: Dict[str, List[int]] = {}
        for b, s in enumerate(seqs):
            for i in s:
                users.setdefault(i, []).append(b)
        shared = [i for i, u in users.items() if len(u) > 1]
        segs = data["segments"]
        parts = []  # (sequence indices or None for all, k [1, Hkv, N, D], v)
        for i in shared:
            idx = users[i]
            k, v = segs[i]
            parts.append((None if len(idx) == B else t.tensor(idx, device=self.dev), k.unsqueeze(0), v.unsqueeze(0)))
        rest: Dict[int, List[int]] = {}
        rest_ids = [[i for i in s if i not in shared] for s in seqs]
        for b, ids in enumerate(rest_ids):
            if ids:
                rest.setdefault(sum(self._seg_len(problem, i) for i in ids), []).append(b)
        suffix = []
        for _L, idx in rest.items():
            k, v = self.stacked_kv(problem, data, [rest_ids[b] for b in idx])
            suffix.append((None if len(idx) == B else t.tensor(idx, device=self.dev), k, v))
        q, scale = data["q"], problem["scale"]
        _, Hq, Lq, D = q.shape
        Hkv = problem["headsKV"]
        G = Hq // Hkv
        state: Dict[str, Any] = {}

        def shared_part(idx, k, v):
            qs = q if idx is None else q[idx]
            n = qs.shape[0]
            # [n, Hkv, G, Lq, D] -> [1, Hkv, n·G·Lq, D]: every query of the KV head against the segment at once.
            qf = qs.reshape(n, Hkv, G * Lq, D).transpose(0, 1).reshape(1, Hkv, n * G * Lq, D)
            o, lse, state["backend"] = self.attend_lse(qf, k, v, scale)
            o = o.reshape(Hkv, n, G * Lq, D).transpose(0, 1).reshape(n, Hq, Lq, D)
            lse = lse.reshape(Hkv, n, G * Lq).transpose(0, 1).reshape(n, Hq, Lq)
            return idx, o, lse

        def suffix_part(idx, k, v):
            o, lse, state["backend"] = self.attend_grouped(q if idx is None else q[idx], k, v, scale)
            return idx, o, lse

        def run():
            got = [shared_part(*p) for p in parts] + [suffix_part(*p) for p in suffix]
            return self.merge(got, B, Hq, Lq, D)

        return run, state

    def merge(self, parts, B: int, Hq: int, Lq: int, D: int):
        """The exact merge of partial attentions: o = Σ exp(lse_p - m) o_p / Σ exp(lse_p - m), lse = m + log Σ exp(lse_p - m)."""
        t = self.torch
        ninf = float("-inf")
        clean = [(idx, o.float(), t.where(t.isfinite(lse), lse, t.full_like(lse, ninf))) for idx, o, lse in parts]
        if all(idx is None for idx, _, _ in clean):
            m = clean[0][2]
            for _, _, lse in clean[1:]:
                m = t.maximum(m, lse)
            den = t.zeros_like(m)
            num = t.zeros(B, Hq, Lq, D, device=self.dev, dtype=t.float32)
            for _, o, lse in clean:
                w = t.exp(lse - m)
                den += w
                num += w.unsqueeze(-1) * o
            return num / den.unsqueeze(-1), m + t.log(den)
        m = t.full((B, Hq, Lq), ninf, device=self.dev, dtype=t.float32)
        for idx, _, lse in clean:
            if idx is None:
                m = t.maximum(m, lse)
            else:
                m.index_reduce_(0, idx, lse, "amax")
        den = t.zeros_like(m)
        num = t.zeros(B, Hq, Lq, D, device=self.dev, dtype=t.float32)
        for idx, o, lse in clean:
            w = t.exp(lse - (m if idx is None else m[idx]))
            if idx is None:
                den += w
                num += w.unsqueeze(-1) * o
            else:
                den.index_add_(0, idx, w)
                num.index_add_(0, idx, w.unsqueeze(-1) * o)
        return num / den.unsqueeze(-1), m + t.log(den)

    @staticmethod
    def _seg_len(problem, seg_id) -> int:
        for s in problem["segments"]:
            if str(s["id"]) == str(seg_id):
                return int(s["length"])
        raise KeyError(seg_id)

    # ---- checks

    def reference_rows(self, problem, data, rows: Sequence[int]):
        """f64 attention for the given flat rows (b, h, i) of [B, Hq, Lq], over the same (rounded) Q, K and V."""
        t = self.torch
        Hq, Lq, D = problem["headsQ"], problem["queriesPerSeq"], problem["headDim"]
        G = Hq // problem["headsKV"]
        o = t.empty(len(rows), D, dtype=t.float64, device=self.dev)
        lse = t.empty(len(rows), dtype=t.float64, device=self.dev)
        cache: Dict[int, Any] = {}
        for r, row in enumerate(rows):
            b, rem = divmod(row, Hq * Lq)
            h, i = divmod(rem, Lq)
            if b not in cache:
                cache.clear()
                cache[b] = self.sequence_kv(problem, data, problem["sequences"][b])
            k, v = cache[b]
            L = k.shape[1]
            seen = L - Lq + i + 1 if problem["causal"] else L
            kk = k[h // G, :seen].double()
            vv = v[h // G, :seen].double()
            s = (kk @ data["q"][b, h, i].double()) * problem["scale"]
            m = t.logsumexp(s, dim=0)
            lse[r] = m
            o[r] = t.exp(s - m) @ vv
        return o, lse

    def compare(self, against: str, ref_o, ref_lse, got_o, got_lse, tol: Dict[str, float], row_label: Callable[[int], str]):
        """A CheckSummary (src/bench/result.ts): |got - ref| <= atol + rtol |ref| on o and lse, non-finite values failing."""
        t = self.torch
        worst_label, worst_ratio, max_abs, max_rel, ok = "", -1.0, 0.0, 0.0, True
        for name, ref, got in (("o", ref_o, got_o), ("lse", ref_lse, got_lse)):
            ref = ref.double().reshape(ref.shape[0], -1)
            got = got.double().reshape(ref.shape)
            finite = t.isfinite(got)
            abs_err = t.where(finite, (got - ref).abs(), t.full_like(got, math.inf))
            bound = tol["atol"] + tol["rtol"] * ref.abs()
            ok = ok and bool((abs_err <= bound).all())
            max_abs = max(max_abs, float(abs_err.max()))
            max_rel = max(max_rel, float((abs_err / ref.abs().clamp_min(REL_ERR_FLOOR)).max()))
            ratio = abs_err / bound
            at = int(ratio.argmax())
            if float(ratio.flatten()[at]) > worst_ratio:
                worst_ratio = float(ratio.flatten()[at])
                r, d = divmod(at, ref.shape[1])
                worst_label = f"{name}[{row_label(r)}{f',d={d}' if name == 'o' else ''}]"
        big = 1.0e308
        return {
            "against": against,
            "rows": int(ref_o.shape[0]),
            "pass": ok,
            "maxAbsErr": min(max_abs, big),
            "maxRelErr": min(max_rel, big),
            "worst": worst_label,
        }

    # ---- the ceilings

    def bandwidth_ceiling(self, mib: int) -> Optional[float]:
        """Streaming read: torch.sum over a buffer of `mib` MiB of f32, GB/s from the fastest of 20 (as bandwidth.ts)."""
        if mib == 0 or not self.cuda:
            return None
        t = self.torch
        x = t.rand(mib * 2**20 // 4, device=self.dev)
        sink = t.empty((), device=self.dev)
        samples = self.time_kernel_fixed(lambda: t.sum(x, dim=0, out=sink), 20)
        return x.numel() * 4 / (min(samples) / 1000) / 1e9

    def matmul_ceiling(self, n: int) -> Optional[float]:
        """f16 n×n×n matrix product (torch.mm, tensor cores), TFLOP/s from the fastest of 20."""
        if n == 0 or not self.cuda:
            return None
        t = self.torch
        a = t.rand(n, n, device=self.dev, dtype=t.float16)
        b = t.rand(n, n, device=self.dev, dtype=t.float16)
        c = t.empty(n, n, device=self.dev, dtype=t.float16)
        samples = self.time_kernel_fixed(lambda: t.mm(a, b, out=c), 20)
        return 2 * n**3 / (min(samples) / 1000) / 1e12

    def time_kernel_fixed(self, fn, runs: int) -> List[float]:
        for _ in range(3):
            fn()
        self.sync()
        return self.time_runs(fn, runs, 1)


# ---------------------------------------------------------------- one suite


def run_config(tb: TorchBench, config: Dict[str, Any], settings: Dict[str, Any], log: Callable[[str], None]) -> List[Dict[str, Any]]:
    t = tb.torch
    problem = config["problem"]
    why = tb.check_shape(problem)
    labels = {FA2_KERNEL: "FA2 (PyTorch)", HYDRAGEN_KERNEL: "Hydragen (PyTorch)"}
    if why:
        return [not_run_entry(config, labels[k], k, "skipped", why) for k in labels]
    try:
        data = tb.make_data(problem)
    except t.cuda.OutOfMemoryError as e:
        t.cuda.empty_cache()
        return [not_run_entry(config, labels[k], k, "skipped", f"out of memory generating the data: {str(e).splitlines()[0]}") for k in labels]
    Hq, Lq = problem["headsQ"], problem["queriesPerSeq"]
    total_rows = len(problem["sequences"]) * Hq * Lq
    rows = sample_rows(total_rows, settings["checkRows"])
    try:
        ref_o, ref_lse = tb.reference_rows(problem, data, rows)
    except Exception as err:  # noqa: BLE001 - recorded in the entries, the run goes on
        why = f"the f64 reference failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        return [not_run_entry(config, labels[k], k, "failed", why) for k in labels]
    row_of = lambda r: _row_label(rows[r], Hq, Lq)  # noqa: E731
    all_rows = lambda r: _row_label(r, Hq, Lq)  # noqa: E731
    tol = config["tolerance"]
    q_note = "" if problem["kvDtype"] == "f32" else ", Q rounded to f16 as FA2 takes it"
    entries: List[Dict[str, Any]] = []
    baseline = None
    for kernel, prepare, bytes_key in (
        (FA2_KERNEL, tb.prepare_fa2, "bytesPerSequenceKv"),
        (HYDRAGEN_KERNEL, tb.prepare_hydragen, "bytesPerSegmentKv"),
    ):
        label = labels[kernel]
        fn = timed = state = None
        try:
            fn, state = prepare(problem, data)
            o, lse = fn()
            tb.sync()
            o = o.reshape(total_rows, -1)
            lse = lse.reshape(total_rows)
            idx = t.tensor(rows, device=o.device)
            checks = [tb.compare(f"f64 reference (sampled rows{q_note})", ref_o, ref_lse, o[idx], lse[idx], tol, row_of)]
            if baseline is None:
                baseline = (labels[kernel], o.clone(), lse.clone())
            else:
                checks.append(tb.compare(baseline[0], baseline[1], baseline[2], o, lse, tol, all_rows))
            del o, lse
            timed, graphed = (tb.graphed(fn), " (CUDA graph)") if tb.cuda_graphs else (fn, "")
            timing = tb.time_kernel(timed)
            ran = f"{label}: {TorchBench.BACKEND_TITLE[state['backend']]}{graphed}"
            e = timed_entry(
                config, label, kernel, ran, timing["samples"], timing["warmup"], timing["warmupMs"], timing["reps"], timing["batches"],
                config["cost"][bytes_key], checks,
            )
        except t.cuda.OutOfMemoryError as err:
            e = not_run_entry(config, label, kernel, "skipped", f"CUDA out of memory: {str(err).splitlines()[0]}")
        except Exception as err:  # noqa: BLE001 - recorded in the entry, the run goes on
            e = not_run_entry(config, label, kernel, "failed", f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        finally:
            # Drop this variant's K/V (FA2's per-sequence copies can be tens of GB) before the next one.
            fn = timed = state = None
            if tb.cuda:
                t.cuda.empty_cache()
        entries.append(e)
        log(entry_line(e))
    return entries


def _row_label(row: int, Hq: int, Lq: int) -> str:
    b, rem = divmod(row, Hq * Lq)
    h, i = divmod(rem, Lq)
    return f"b={b},h={h},i={i}"


def entry_line(e: Dict[str, Any]) -> str:
    if e["status"] != "ok":
        return f"  {e['config']} {e['label']}: {e['status']} ({e.get('reason', '')})"
    verdict = "PASS" if all(c["pass"] for c in e["checks"]) else "FAIL vs " + "; ".join(f"{c['against']} ({c['worst']})" for c in e["checks"] if not c["pass"])
    return f"  {e['config']} {e['label']}: median {fmt(e['timing']['medianMs'])} ms, {fmt(e['gbPerS'])} GB/s, {fmt(e['tflopPerS'])} TFLOP/s, {verdict}"


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    log = lambda s: print(s, flush=True)  # noqa: E731
    try:
        export = load_suites(args)
        chosen = choose_suites(export, args.suite, args.configs)
        settings = settings_from(args, export["defaultSettings"])
        if args.dry_run:
            for s in chosen:
                entries = [
                    not_run_entry(c, label, kernel, "skipped", "dry run: nothing was timed")
                    for c in s["configs"]
                    for kernel, label in ((FA2_KERNEL, "FA2 (PyTorch)"), (HYDRAGEN_KERNEL, "Hydragen (PyTorch)"))
                ]
                path = out_path(args.out, s["name"])
                write_result(path, result_file(s, "cuda-reference (dry run, no torch)", dry_run_device(), "wall-clock", settings, entries))
                log(f"{s['name']}: {len(s['configs'])} configs; dry run written to {path}")
            return 0
        tb = TorchBench(args.device, settings, log)
        tb.cuda_graphs = bool(args.cuda_graphs and tb.cuda)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    device = tb.device_report()
    log(f"device: {device['adapter']['description']}; {tb.version_label()}")
    bandwidth = tb.bandwidth_ceiling(args.ceiling_mib)
    matmul = tb.matmul_ceiling(args.matmul_n)
    if bandwidth:
        log(f"streaming-read ceiling: {fmt(bandwidth)} GB/s (torch.sum over {args.ceiling_mib} MiB)")
    if matmul:
        log(f"matrix-product ceiling: {fmt(matmul)} TFLOP/s (f16 torch.mm, n {args.matmul_n})")
    bad = False
    for s in chosen:
        log(f"suite {s['name']}: {s['description']}")
        path = out_path(args.out, s["name"])
        entries: List[Dict[str, Any]] = []
        for c in s["configs"]:
            entries += run_config(tb, c, settings, log)
            write_result(path, result_file(s, tb.version_label(), device, tb.clock, settings, entries, bandwidth, matmul))
        bad = bad or any(e["status"] == "failed" or any(not c["pass"] for c in e.get("checks", [])) for e in entries)
        log(f"results written to {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
