"""The benchmark's arithmetic, its alternation, and the script end to end at a tiny size."""

from __future__ import annotations

import json
import subprocess
import sys

from nst_tf.tools import benchmark


def test_iteration_flops_at_the_papers_size():
    # Independently: sum over conv1_1..conv5_1 of 2 * 2*9*Cin*Cout*H*W (forward + data
    # gradient) with SAME pooling (300x400 -> 150x200 -> 75x100 -> 38x50 -> 19x25), plus
    # 4*H*W*C^2 per style Gram: 174.237696 + 8.388608 GFLOP.
    assert benchmark.iteration_flops(400, 300) == 182_626_304_000
    assert 3.9 < benchmark.iteration_flops(800, 600) / benchmark.iteration_flops(400, 300) < 4.1


def test_time_alternating_interleaves_and_counts():
    calls = []
    steps = {"a": lambda: calls.append("a") or 0.0, "b": lambda: calls.append("b") or 0.0}
    timings = benchmark.time_alternating(steps, repeats=3, warmup=1)
    assert calls == ["a", "b"] + ["a", "b"] * 3
    assert all(len(t.seconds) == 3 and t.median >= 0 for t in timings.values())


def test_script_prints_and_writes_every_case(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "scripts/benchmark.py", "--sizes=32x24", "--repeats=2", f"--json={out}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["peak_gflops"] > 0
    cases = {case["case"]: case for case in report["cases"]}
    assert set(cases) == {"nst_tf float32", "tutorial baseline"}
    assert cases["tutorial baseline"]["speedup_vs_baseline"] == 1.0
    for case in cases.values():
        assert case["min_s"] <= case["median_s"] <= case["max_s"]
        assert case["gflops"] == case["gflop_per_iter"] / case["median_s"]
    rss = {row["case"]: row for row in report["peak_rss"]}
    assert rss["nst_tf float32"]["peak_rss_bytes"] > 100 * 2**20
    assert "measured conv peak" in result.stdout and "x1.00" in result.stdout


def test_memory_script_measures_peak_rss_against_the_estimate(tmp_path):
    out = tmp_path / "memory.json"
    result = subprocess.run(
        [
            sys.executable,
            "scripts/benchmark_memory.py",
            "--sizes=48x32",
            "--recompute=true",
            "--steps=1",
            "--optimizers=adam,lbfgs",
            f"--json={out}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())
    assert [(r["size"], r["optimizer"], r["requested"], r["recompute"]) for r in rows] == [
        ("48x32", "adam", True, True),
        ("48x32", "lbfgs", True, True),
    ]
    for row in rows:
        assert row["peak_rss_bytes"] > 100 * 2**20 and row["estimate_bytes"] > 100 * 2**20
        assert len(row["step_s"]) == 1
    assert "48x32 adam recompute=True -> True: peak RSS" in result.stdout
    assert "48x32 lbfgs recompute=True -> True: peak RSS" in result.stdout
