"""Time to quality: how long each fast route takes to reach the paper's Adam result's cost.

On the paper's images at 400x300 with the real weights, in one process:

1. the paper's run (Adam(2.0), fp32) makes its 200 updates; the total cost (eq. 4, fp32) of its
   final image is the target, and its content cost the yardstick of the photograph's layout;
2. every route (the same objective and start, another optimizer or precision) then runs until
   its image meets BOTH conditions: an fp32 total cost at or below the target, and a content
   cost at most CONTENT_MARGIN (1.25) times the paper run's final one. A total alone is not
   enough: at the paper's weights the style term outweighs the content term about 500-fold, so
   a route can reach the total while repainting the photograph (a coarse L-BFGS route did:
   docs/performance.md). Its steps alternate with those
   of a second Adam run, one step each in turn, so that a shared machine's load hits all alike.
   A route's Adam time is 200 x the median of that second run's steps in the rounds the route
   ran (the load both met; it changes over a long run), and its ratio is its own summed step
   time over that.

A step's cost is that of the image it starts from, so a route that reports the target at step
k took the k steps before it. Every route's first step includes its tracing, as a run's does.
Routes in bfloat16 report bf16 costs; their image is re-scored with the fp32 objective
(untimed) before it counts as having reached the target.

The costs do not see everything a picture shows (a coarse L-BFGS route met both conditions and
drew the pyramid fainter), so each route's image at the target is also compared in pixels
(nst_tf.tools.layout's SSIM at 100x75): with the content photograph ("layout") and, when the
paper's run was made here rather than its costs given, with that run's result ("vs Adam").
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from nst_tf import stylize
from nst_tf.build import Inputs
from nst_tf.config import load_config_table, make_config
from nst_tf.images import io
from nst_tf.runtime import devices
from nst_tf.tools.layout import layout_ssim
from nst_tf.weights import locate, matconvnet

# Coarse to fine: the first scale's iterations as measured worth it by issue 10b (Adam) and a
# shorter one for L-BFGS, which moves further per iteration; the full size runs until the target.
_FULL = 10**6
ROUTES: dict[str, dict[str, Any]] = {
    "L-BFGS fp32": {"optimizer": "lbfgs", "precision": "float32"},
    "L-BFGS bf16": {"optimizer": "lbfgs", "precision": "bfloat16"},
    "scales Adam fp32": {"scales": (200, 400), "scale_iterations": (100, _FULL)},
    "scales L-BFGS fp32": {
        "optimizer": "lbfgs",
        "scales": (200, 400),
        "scale_iterations": (50, _FULL),
    },
    "scales L-BFGS bf16": {
        "optimizer": "lbfgs",
        "precision": "bfloat16",
        "scales": (200, 400),
        "scale_iterations": (50, _FULL),
    },
}
NEEDS_BF16 = ("L-BFGS bf16", "scales L-BFGS bf16")


@dataclasses.dataclass
class RouteResult:
    name: str
    settings: dict[str, Any]
    steps: int = 0
    seconds: list[float] = dataclasses.field(default_factory=list)
    costs: list[float] = dataclasses.field(default_factory=list)
    contents: list[float] = dataclasses.field(default_factory=list)  # content costs, per step
    reached_at: int | None = None  # iterations it took
    reached_seconds: float | None = None
    evaluations: float | None = None
    layout: float | None = None  # SSIM with the content photograph, at the target
    similarity: float | None = None  # SSIM with the paper's Adam result, at the target

    def summary(self, adam_step_seconds: list[float], iterations: int) -> dict[str, Any]:
        """The route against Adam's steps in the same rounds: the load they both met."""
        adam_seconds = iterations * statistics.median(adam_step_seconds[: self.steps])
        return {
            "route": self.name,
            "settings": self.settings,
            "iterations": self.reached_at,
            "evaluations": self.evaluations,
            "seconds": self.reached_seconds,
            "adam_seconds": adam_seconds,
            "ratio_to_adam": None
            if self.reached_seconds is None
            else self.reached_seconds / adam_seconds,
            "steps_run": self.steps,
            "last_cost": self.costs[-1] if self.costs else None,
            "last_content_cost": self.contents[-1] if self.contents else None,
            "layout_ssim": self.layout,
            "ssim_to_adam_result": self.similarity,
        }


CONTENT_MARGIN = 1.25  # a route's content cost may be at most this times the paper run's


def _total(terms: Mapping[str, tf.Tensor]) -> float:
    return float(tf.reduce_sum(terms["total"]))


def _content(terms: Mapping[str, tf.Tensor]) -> float:
    return float(tf.reduce_sum(terms["content"]))


def _coarse(result: RouteResult) -> int:
    """Iterations a route spends below the full size (they do not count against max_steps)."""
    iterations = result.settings.get("scale_iterations")
    return sum(iterations[:-1]) if iterations else 0


class _Route:
    """A route stepped as nst-tf runs it: scale after scale (stylize.scale_runs), the next one
    built from the finished one's image when the step after its last iteration comes."""

    def __init__(self, config: Any, inputs: Inputs, weights: Any):
        self.config = config
        self._runs = stylize.scale_runs(config, weights, 0, inputs)
        self.scale, self.run = next(self._runs)

    def step(self) -> Mapping[str, tf.Tensor]:
        if self.scale.start + self.run.optimizer.updates == self.scale.end:
            self.scale, self.run = next(self._runs)
        return self.run.optimizer.step(self.run.targets)

    def evaluate(self) -> Mapping[str, tf.Tensor]:
        return self.run.optimizer.evaluate(self.run.targets)

    @property
    def image(self) -> np.ndarray:
        return self.run.optimizer.image.numpy()

    @property
    def full_size(self) -> bool:
        return self.scale.end == stylize.total_iterations(self.config)


def run(
    content: str,
    style: str,
    vgg_path: str | None = None,
    iterations: int = 200,
    max_steps: int = 200,
    routes: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Mapping[str, Any] | None = None,
    target: tuple[float, float] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measures every route (default: ROUTES, bf16 ones where the hardware has bf16).

    `overrides` change the paper config for every run alike (tests: a tiny net and size).
    `target` (total cost, content cost) skips step 1 with costs measured before (the paper's
    run is deterministic).
    """
    if routes is None:
        fast = devices.has_fast_bfloat16()
        routes = {k: v for k, v in ROUTES.items() if fast or k not in NEEDS_BF16}
    table = load_config_table("paper")
    settings = {"content": content, "style": style, **(overrides or {})}
    settings["vgg_path"] = locate.resolve_vgg_path(vgg_path)
    base = make_config(table, settings)
    weights = matconvnet.read_matconvnet(base.vgg_path)
    inputs = Inputs(
        io.load_image(content, base.width, base.height, "content"),
        (io.load_image(style, base.width, base.height, "style"),),
    )

    def make(settings: Mapping[str, Any]) -> _Route:
        return _Route(make_config(table, {**base.to_dict(), **settings}), inputs, weights)

    log(f"CPU: {devices.cpu_summary()}; TensorFlow {tf.__version__}")
    paper = make({})
    adam_wall = adam_pixels = None
    if target is None:
        started = time.perf_counter()
        for _ in range(iterations):
            paper.step()
        adam_wall = time.perf_counter() - started
        final = paper.evaluate()
        target = (_total(final), _content(final))
        adam_pixels = io.denormalize(paper.image, base.means)
        log(f"target: the paper's Adam after {iterations} updates, total cost {target[0]:.6g}, "
            f"content cost {target[1]:.6g} ({adam_wall:.1f} s alone)")  # fmt: skip
    else:
        log(f"target: total cost {target[0]:.6g}, content cost {target[1]:.6g}, as given")
    target_total, most_content = target[0], CONTENT_MARGIN * target[1]

    reference = RouteResult("Adam fp32 (reference)", {})
    pending = {name: RouteResult(name, dict(settings)) for name, settings in routes.items()}
    runs = {name: make(settings) for name, settings in routes.items()}
    adam = make({})
    done: list[RouteResult] = []
    while pending:
        for name in list(pending):
            result, route = pending[name], runs[name]
            start = time.perf_counter()
            terms = route.step()
            elapsed = time.perf_counter() - start
            # A coarse scale's costs are of another image size: they never count.
            cost = _total(terms) if route.full_size else float("inf")
            content = _content(terms) if route.full_size else float("inf")
            if cost <= target_total and route.config.precision != "float32":
                before = route.run.optimizer.last_finite.numpy()  # the image the step started at
                rescored = paper.run.objective(tf.constant(before), paper.run.targets)[1]
                cost, content = _total(rescored), _content(rescored)
            result.costs.append(cost)
            result.contents.append(content)
            if cost <= target_total and content <= most_content:
                pixels = io.denormalize(route.run.optimizer.last_finite.numpy(), base.means)
                result.layout = layout_ssim(pixels, inputs.content)
                if adam_pixels is not None:
                    result.similarity = layout_ssim(pixels, adam_pixels)
                result.reached_at = result.steps
                result.reached_seconds = sum(result.seconds)
                if "evaluations" in terms:
                    result.evaluations = float(np.asarray(terms["evaluations"]).reshape(-1)[0])
            result.seconds.append(elapsed)
            result.steps += 1
            if result.reached_at is not None or result.steps > max_steps + _coarse(result):
                done.append(pending.pop(name))
                del runs[name]
                log(f"{name}: " + ("not reached" if result.reached_at is None else
                    f"{result.reached_at} iterations, {result.reached_seconds:.1f} s"))  # fmt: skip
        start = time.perf_counter()
        adam.step()
        reference.seconds.append(time.perf_counter() - start)
        reference.steps += 1
    report = {
        "cpu": devices.cpu_summary(),
        "tensorflow": tf.__version__,
        "size": f"{base.width}x{base.height}",
        "target_total_cost": target_total,
        "target_content_cost": target[1],
        "content_margin": CONTENT_MARGIN,
        "adam_iterations": iterations,
        "adam_alone_seconds": adam_wall,
        "adam_layout_ssim": None
        if adam_pixels is None
        else layout_ssim(adam_pixels, inputs.content),
        "adam_reference_steps": reference.steps,
        "adam_step_seconds": reference.seconds,
        "routes": [r.summary(reference.seconds, iterations) for r in done],
    }
    for r in report["routes"]:
        ratio = "-" if r["ratio_to_adam"] is None else f"{r['ratio_to_adam']:.2f}"
        log(f"{r['route']:<14} iterations {r['iterations']} evaluations {r['evaluations']} "
            f"seconds {r['seconds']} ratio {ratio} layout {r['layout_ssim']} "
            f"vs Adam {r['ssim_to_adam_result']}")  # fmt: skip
    return report
