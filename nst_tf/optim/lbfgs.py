"""L-BFGS on the image, its whole state in TensorFlow variables, one compiled step an iteration.

Gatys et al. optimised with L-BFGS. Here one `step` is one L-BFGS iteration, its line search
included, inside one `tf.function` traced once: no thread, no NumPy copy, on whatever device or
strategy scope the optimizer was built in, and every number it needs to continue (position,
cost, gradient, the last HISTORY (s, y) pairs, counters, the terms of the current image) is a
variable that `state()` hands to the checkpoint, so a resumed run is the uninterrupted one.

Each image of a batch [N, H, W, 3] is its own problem: its own history, line search and
evaluation count (the objective's per-image `total` is its cost), so a batched job's trace is
its single run's.

The iteration, with g the gradient at x and lower/upper the pixel bounds [0 - mean, 255 - mean]:
1. Fixed pixels: those at a bound whose gradient pushes out of the box (x = lower and g > 0,
   or x = upper and g < 0). Their gradient is zeroed before the two-loop recursion and their
   component of the direction after it, so d = -H g_free is a descent direction whenever H is
   positive definite (every stored pair has s.y > 0). Components of d that would leave the box
   at a bound are zeroed too; if that leaves g.d >= 0, d falls back to -g_free.
   H's initial scaling is s.y / y.y of the newest pair (Nocedal & Wright eq. 7.20).
2. Line search along the projected path x(a) = clip(x + a d, lower, upper): the strong Wolfe
   conditions (c1 = 1e-4, c2 = 0.9) with phi'(a) = g(x(a)) . d over the components not
   clipped at a, by Nocedal & Wright's algorithms 3.5 (bracketing, extrapolating 2-5x by the
   cubic through the last two points) and 3.6 (zoom: cubic, then quadratic, then midpoint,
   safeguarded as scipy.optimize's scalar_search_wolfe2). The first trial is a = 1, or, with
   an empty history, 2 f / -phi'(0) (see _first_trial). At most MAX_EVALUATIONS trials.
3. The new point is the accepted one, or, when the search ends without the Wolfe conditions,
   its lowest point with sufficient decrease. The pair (s, y) is kept when s.y > eps (-g.s)
   (scipy's L-BFGS-B test), in a ring of the last HISTORY iterations' pairs.
4. No point with sufficient decrease: the history is dropped and the image kept; if the
   history was already empty (the float32 cost cannot fall further along -g), the image is
   kept from then on and later steps only count. Each is logged once.

The first step evaluates the start image once (the terms it returns), then searches; every
later step starts from the cost, gradient and terms its predecessor stored. The `evaluations`
term counts cost+gradient passes so far, as of the image whose terms it comes with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

from nst_tf.objective.objective import Objective, Targets, Terms

HISTORY = 10  # correction pairs kept (scipy's default maxcor)
MAX_EVALUATIONS = 20  # per line search (scipy's maxls)
C1, C2 = 1e-4, 0.9  # sufficient decrease and curvature constants of the strong Wolfe conditions
_EPS = float(np.finfo(np.float32).eps)

# Stages of a step, per image: evaluating the start (first step only), searching (bracketing,
# zooming), then done or failed.
_START, _BRACKET, _ZOOM, _DONE, _FAILED = 0, 1, 2, 3, 4
# What a step did, per image; the last two are logged.
MOVED, KEPT, RESTARTED, STALLED = 0, 1, 2, 3
# The variables besides the image that a checkpoint holds (attributes "_" + name).
_STATE = (
    "initialized", "cost", "gradient", "terms", "s", "y", "rho", "valid", "head", "gamma",
    "stalled", "iterations", "evaluations",
)  # fmt: skip


def _dot(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """Per-image inner products of [N, ...] tensors -> [N]."""
    return tf.reduce_sum(a * b, axis=tf.range(1, tf.rank(a)))


def _per_image(v: tf.Tensor) -> tf.Tensor:
    """[N] -> [N, 1, 1, 1]: a per-image value or condition, broadcast over its pixels."""
    return tf.reshape(v, [-1, 1, 1, 1])


def _choose(condition: tf.Tensor, a, b):
    """Per image, the structure a where condition [N] holds, else b (tensors lead with N)."""

    def one(x, y):
        return tf.where(tf.reshape(condition, [-1] + [1] * (x.shape.rank - 1)), x, y)

    return tf.nest.map_structure(one, a, b)


def _quadratic_minimum(a, fa, dfa, b, fb):
    """Minimiser of the quadratic through (a, fa) with slope dfa at a and (b, fb)."""
    db = b - a
    curvature = (fb - fa - dfa * db) / (db * db)
    return a - dfa / (2.0 * curvature)


def _cubic_minimum(a, fa, dfa, b, fb, c, fc):
    """Minimiser of the cubic through (a, fa) with slope dfa at a, (b, fb) and (c, fc).

    scipy.optimize's _cubicmin; NaN or inf when there is none (the caller falls back).
    """
    db, dc = b - a, c - a
    denominator = (db * dc) ** 2 * (db - dc)
    rb, rc = fb - fa - dfa * db, fc - fa - dfa * dc
    A = (dc**2 * rb - db**2 * rc) / denominator
    B = (-(dc**3) * rb + db**3 * rc) / denominator
    return a + (-B + tf.sqrt(B * B - 3.0 * A * dfa)) / (3.0 * A)


def _extrapolation(a0, f0, df0, a1, f1, df1):
    """The next bracketing trial beyond a1: the minimiser of the cubic with slopes at both
    points (Nocedal & Wright eq. 3.59), kept within [a1 + (a1 - a0), a1 + 4 (a1 - a0)]."""
    d1 = df0 + df1 - 3.0 * (f0 - f1) / (a0 - a1)
    d2 = tf.sqrt(d1 * d1 - df0 * df1)
    cubic = a1 - (a1 - a0) * (df1 + d2 - d1) / (df1 - df0 + 2.0 * d2)
    low, high = a1 + (a1 - a0), a1 + 4.0 * (a1 - a0)
    usable = tf.math.is_finite(cubic) & (cubic > a1)
    return tf.where(usable, tf.clip_by_value(cubic, low, high), high)


def _zoom_trial(a_lo, f_lo, df_lo, a_hi, f_hi, a_rec, f_rec, use_cubic):
    """The next trial inside [a_lo, a_hi]: the cubic's minimiser (once a third point is known),
    else the quadratic's, else the midpoint.

    As in scipy's _zoom, an interpolated trial stays 20% (cubic) or 10% (quadratic) of the
    interval away from its ends; one that falls inside the interval but nearer an end is moved
    to that distance rather than dropped (Moré-Thuente keep such a step too), so a first trial
    far beyond the minimum shrinks by up to 10x an evaluation instead of halving.
    """
    width = a_hi - a_lo
    left, right = tf.minimum(a_lo, a_hi), tf.maximum(a_lo, a_hi)

    def safeguarded(trial, share, usable):
        margin = share * tf.abs(width)
        usable &= tf.math.is_finite(trial) & (trial > left) & (trial < right)
        return tf.clip_by_value(trial, left + margin, right - margin), usable

    cubic, cubic_ok = safeguarded(
        _cubic_minimum(a_lo, f_lo, df_lo, a_hi, f_hi, a_rec, f_rec), 0.2, use_cubic
    )
    quadratic, quadratic_ok = safeguarded(
        _quadratic_minimum(a_lo, f_lo, df_lo, a_hi, f_hi), 0.1, tf.ones_like(use_cubic)
    )
    fallback = tf.where(quadratic_ok, quadratic, a_lo + 0.5 * width)
    return tf.where(cubic_ok, cubic, fallback)


class LbfgsOptimizer:
    """Owns the generated image, the L-BFGS state and the compiled step; see the module doc."""

    name = "lbfgs"
    stores_terms = True  # the line search evaluated the image it accepted: `evaluate` reads it

    def __init__(
        self,
        objective: Objective,
        initial_image: np.ndarray,
        means: Sequence[float],
        jit: bool,
        history: int = HISTORY,
        line_search: bool = True,
    ):
        self.objective = objective
        self.history = history
        self.line_search = line_search
        shape = tuple(initial_image.shape)
        images = shape[0]
        self._shape = shape
        means = np.asarray(means, np.float32)
        self._lower = tf.constant(0.0 - means)
        self._upper = tf.constant(255.0 - means)

        def variable(value, name, dtype=tf.float32, **kwargs):
            return tf.Variable(value, dtype=dtype, trainable=False, name=name, **kwargs)

        # The start is projected into the box, as every later point is.
        self.image = variable(self._project(initial_image), "generated_image")
        # The last image whose cost was finite, so a diverging run can still hand it back.
        self.last_finite = variable(self.image, "last_finite_image")
        self._initialized = variable(False, "initialized", tf.bool)
        self._cost = variable(tf.zeros([images]), "cost")
        self._gradient = variable(tf.zeros(shape), "gradient")
        # The terms of the current image [N, terms], in the objective's order; their number is
        # known once the objective is traced (see _term_names).
        self._terms = variable(tf.zeros([images, 0]), "terms", shape=tf.TensorShape([images, None]))
        self._s = variable(tf.zeros([history, *shape]), "s")
        self._y = variable(tf.zeros([history, *shape]), "y")
        self._rho = variable(tf.zeros([history, images]), "rho")
        # One ring position for all images, so a pair is a slice along the first axis (no
        # copy); an image that skips a pair or drops its history marks its slots invalid.
        self._valid = variable(tf.zeros([history, images], tf.bool), "valid", tf.bool)
        self._head = variable(0, "head", tf.int32)  # the slot the next pair goes to
        self._gamma = variable(tf.ones([images]), "gamma")  # s.y / y.y of the newest pair
        self._stalled = variable(tf.zeros([images], tf.bool), "stalled", tf.bool)
        self._iterations = variable(0, "iterations", tf.int64)
        self._evaluations = variable(tf.zeros([images], tf.int64), "evaluations", tf.int64)

        self._names: list[str] | None = None
        self._point = tf.function(self._value_and_gradient, jit_compile=jit)
        # Written with an explicit tf.while_loop: no AutoGraph conversion needed.
        self.step_function = tf.function(self._step_fn, jit_compile=jit, autograph=False)
        self._init = tf.function(self._init_fn, jit_compile=jit, autograph=False)

    # -- the objective ------------------------------------------------------------------------

    def _value_and_gradient(self, image: tf.Tensor, targets: Targets):
        """Per-image cost, gradient and stacked terms of `image`: one forward+backward pass."""
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            J, terms = self.objective(image, targets)
        names = list(terms)
        if names[0] != "total":
            raise ValueError(f"the objective's first term must be 'total', not {names[0]!r}")
        self._names = names  # recorded while tracing; the traced function is reused
        stacked = tf.stack([tf.cast(terms[name], tf.float32) for name in names], axis=1)
        return tf.cast(terms["total"], tf.float32), tape.gradient(J, image), stacked

    def _term_names(self, targets: Targets) -> list[str]:
        """The objective's term names, from its one trace (made here if not yet made).

        The stored terms take their column count from it before the step is first traced, so the
        step's shapes are static (XLA needs them).
        """
        if self._names is None:
            spec = tf.TensorSpec(self._shape, tf.float32)
            self._point.get_concrete_function(spec, targets)
        if self._terms.value().shape[1] != len(self._names):
            self._terms.assign(tf.zeros([self._shape[0], len(self._names)]))
        return self._names

    def _unstack(self, stacked: tf.Tensor, evaluations: tf.Tensor) -> Terms:
        terms = {name: stacked[:, i] for i, name in enumerate(self._names)}
        terms["evaluations"] = tf.cast(evaluations, tf.float32)
        return terms

    # -- the iteration ------------------------------------------------------------------------

    def _project(self, image: tf.Tensor | np.ndarray) -> tf.Tensor:
        return tf.clip_by_value(image, self._lower, self._upper)

    def _has_history(self) -> tf.Tensor:
        return tf.reduce_any(self._valid, axis=0)

    def _direction(self, x: tf.Tensor, g: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The search direction (step 1 of the module doc) and whether it is -g_free."""
        at_lower, at_upper = x <= self._lower, x >= self._upper
        fixed = (at_lower & (g > 0)) | (at_upper & (g < 0))
        free_gradient = tf.where(fixed, 0.0, g)
        m = self.history
        S, Y, rho, valid = (v.value() for v in (self._s, self._y, self._rho, self._valid))
        slots = [tf.math.floormod(self._head - 1 - j, m) for j in range(m)]  # newest first
        q, alphas = free_gradient, []
        for slot in slots:
            alpha = tf.where(valid[slot], rho[slot] * _dot(S[slot], q), 0.0)
            q -= _per_image(alpha) * Y[slot]
            alphas.append(alpha)
        r = _per_image(tf.where(self._has_history(), self._gamma, 1.0)) * q
        for slot, alpha in reversed(list(zip(slots, alphas, strict=True))):
            beta = rho[slot] * _dot(Y[slot], r)
            r += _per_image(tf.where(valid[slot], alpha - beta, 0.0)) * S[slot]
        d = -tf.where(fixed, 0.0, r)
        d = tf.where((at_lower & (d < 0)) | (at_upper & (d > 0)), 0.0, d)
        steepest = ~(_dot(g, d) < 0)
        return _choose(steepest, -free_gradient, d), steepest

    def _steepest(self, x: tf.Tensor, g: tf.Tensor) -> tf.Tensor:
        """-g_free: the direction of an empty history (step 1 of the module doc)."""
        fixed = ((x <= self._lower) & (g > 0)) | ((x >= self._upper) & (g < 0))
        return tf.where(fixed, 0.0, -g)

    def _first_trial(
        self, f0: tf.Tensor, dphi0: tf.Tensor, fresh: tf.Tensor, d: tf.Tensor
    ) -> tf.Tensor:
        """1 when the history scales the direction; along -g_free, 2 f0 / -phi'(0), or without a
        line search Torch's optim.lbfgs first step, min(1, 1 / |g|_1) (d is -g_free there).

        Every cost here is a sum of squares (f >= 0), and a quadratic along the line with
        f >= 0 has its minimiser at or before 2 f0 / -phi'(0): the search starts at or past the
        minimum, and the zoom's first interpolation lands near it. (scipy's rule for problems
        without bounds, 1 / ||d||, is far too short for images: on the paper's pair at 400x300
        its first iteration took 5 evaluations, extrapolating up, and this one 1.)
        """
        if not self.line_search:
            return tf.where(fresh, tf.minimum(1.0, 1.0 / _dot(tf.abs(d), tf.ones_like(d))), 1.0)
        bound = 2.0 * f0 / -dphi0
        return tf.where(fresh & tf.math.is_finite(bound) & (bound > 0), bound, 1.0)

    def _step_fn(self, targets: Targets) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        x = self.image.read_value()
        initialized = self._initialized.read_value()
        f0, g0, terms0 = self._cost.value(), self._gradient.value(), self._terms.value()
        d, steepest = self._direction(x, g0)
        dphi0 = _dot(g0, d)
        fresh = steepest | ~self._has_history()
        stage = tf.where(self._stalled, _DONE, tf.where(dphi0 < 0, _BRACKET, _FAILED))
        alpha = self._first_trial(f0, dphi0, fresh, d)
        # The first step's first trial is the start itself (a = 0): its evaluation gives the
        # terms this step returns and begins the search. One evaluation, one copy of the
        # objective in the graph.
        stage = tf.where(initialized, stage, _START)
        alpha = tf.where(initialized, alpha, 0.0)
        zeros = tf.zeros_like(f0)
        start = (d, f0, dphi0, g0, terms0)
        # lo: the lowest point with sufficient decrease so far (a = 0 at first), with the
        # gradient and terms that become the state if it is taken; hi: the bracket's other
        # end; rec: the point last dropped from the bracket (the zoom's cubic uses it).
        lo = (zeros, f0, dphi0, g0, terms0)
        hi = (zeros, f0)
        rec = (zeros, f0)
        count = tf.zeros_like(stage)  # evaluations of this line search
        zooms = tf.zeros_like(stage)  # zoom trials evaluated (the first one is quadratic)

        def body(stage, alpha, start, lo, hi, rec, count, zooms):
            d, f0, dphi0, _, _ = start
            raw = x + _per_image(alpha) * d
            f, g, terms = self._point(self._project(raw), targets)
            inside = (raw > self._lower) & (raw < self._upper)
            dphi = _dot(tf.where(inside, g, 0.0), d)  # phi'(a) along the projected path
            trial = (alpha, f, dphi, g, terms)
            search = self._search if self.line_search else self._take
            searched = search(stage, trial, f0, dphi0, lo, hi, rec, count, zooms)
            # The start's evaluation (first step): the search begins along -g_free.
            d = self._steepest(x, g)
            dphi0 = _dot(g, d)
            begun = (
                tf.where(dphi0 < 0, _BRACKET, _FAILED),
                self._first_trial(f, dphi0, tf.ones_like(stage, tf.bool), d),
                (d, f, dphi0, g, terms),
                (tf.zeros_like(f), f, dphi0, g, terms),
                (tf.zeros_like(f), f),
                (tf.zeros_like(f), f),
                count,
                zooms,
            )
            return _choose(stage == _START, begun, (searched[0], searched[1], start, *searched[2:]))

        stage, _, start, lo, _, _, count, _ = tf.while_loop(
            lambda stage, *_: tf.reduce_any(stage < _DONE),
            body,
            (stage, alpha, start, lo, hi, rec, count, zooms),
            maximum_iterations=MAX_EVALUATIONS + 1,
        )
        d, f0, _, g0, terms0 = start
        status = self._finish(x, g0, f0, d, stage, lo)
        started = self._evaluations + tf.cast(tf.logical_not(initialized), tf.int64)
        self._initialized.assign(True)
        self._evaluations.assign(started + tf.cast(count, tf.int64))
        return terms0, started, status

    @staticmethod
    def _search(stage, trial, f0, dphi0, lo, hi, rec, count, zooms):
        """One trial of the line search (step 2 of the module doc), per image.

        Nocedal & Wright's algorithms 3.5 (bracketing) and 3.6 (zoom) as one table: the trial
        becomes hi (no sufficient decrease), or lo, the old lo becoming hi when the slope at
        the trial points back toward it; the search ends when the trial meets both conditions.
        """
        alpha, f, dphi = trial[:3]
        a_lo, f_lo, dphi_lo = lo[:3]
        a_hi, f_hi = hi
        search = (stage == _BRACKET) | (stage == _ZOOM)
        count += tf.cast(search, count.dtype)
        decrease = (f <= f0 + C1 * alpha * dphi0) & (f < f_lo)  # False for NaN
        curvature = tf.abs(dphi) <= -C2 * dphi0
        bracketing = stage == _BRACKET
        toward_hi = tf.where(bracketing, 1.0, tf.sign(a_hi - a_lo))
        accept = search & decrease & curvature
        to_hi = search & ~decrease
        flip = search & decrease & ~curvature & (dphi * toward_hi >= 0)
        keep = search & decrease & ~curvature & ~flip
        extrapolated = _extrapolation(a_lo, f_lo, dphi_lo, alpha, f, dphi)
        rec = _choose(to_hi | flip, (a_hi, f_hi), _choose(keep, (a_lo, f_lo), rec))
        hi = _choose(to_hi, (alpha, f), _choose(flip, (a_lo, f_lo), hi))
        lo = _choose(search & decrease, trial, lo)
        zooms = tf.where(stage == _ZOOM, zooms + 1, 0)
        stage = tf.where(bracketing & (to_hi | flip), _ZOOM, stage)
        stage = tf.where(accept, _DONE, stage)
        stage = tf.where(search & ~accept & (count >= MAX_EVALUATIONS), _FAILED, stage)
        zoom_trial = _zoom_trial(lo[0], lo[1], lo[2], hi[0], hi[1], *rec, zooms > 0)
        alpha = tf.where(stage == _ZOOM, zoom_trial, extrapolated)
        return stage, alpha, lo, hi, rec, count, zooms

    @staticmethod
    def _take(stage, trial, f0, dphi0, lo, hi, rec, count, zooms):
        """--lbfgs_line_search=none: the first trial is the step, whatever its cost (Torch's
        optim.lbfgs without a lineSearch), unless it is not finite."""
        search = (stage == _BRACKET) | (stage == _ZOOM)
        count += tf.cast(search, count.dtype)
        finite = tf.math.is_finite(trial[1])
        lo = _choose(search & finite, trial, lo)
        stage = tf.where(search, tf.where(finite, _DONE, _FAILED), stage)
        return stage, trial[0], lo, hi, rec, count, zooms

    def _finish(self, x, g0, f0, d, stage, lo) -> tf.Tensor:
        """Takes lo (steps 3 and 4 of the module doc); returns what happened, per image."""
        a_lo, f_lo, _, g_lo, terms_lo = lo
        moved = a_lo > 0
        moved_image = _per_image(moved)
        x_new = tf.where(moved_image, self._project(x + _per_image(a_lo) * d), x)
        s, y = x_new - x, g_lo - g0
        sy = _dot(s, y)
        keep_pair = moved & (sy > _EPS * -_dot(g0, s))
        # A non-finite start is the loop's to report (it stops the run), not a stall.
        failed = (stage == _FAILED) & ~moved & tf.math.is_finite(f0)
        had_history = self._has_history()
        restart = failed & had_history
        stall = failed & ~had_history
        # The oldest slot takes this iteration's pair, valid where it is kept.
        head = self._head
        keep_image = _per_image(keep_pair)
        self._s[head].assign(tf.where(keep_image, s, 0.0))
        self._y[head].assign(tf.where(keep_image, y, 0.0))
        self._rho.assign(
            tf.tensor_scatter_nd_update(self._rho, [[head]], [tf.where(keep_pair, 1.0 / sy, 0.0)])
        )
        valid = tf.tensor_scatter_nd_update(self._valid, [[head]], [keep_pair])
        self._valid.assign(valid & ~restart)
        self._gamma.assign(tf.where(keep_pair, sy / _dot(y, y), self._gamma))
        self._head.assign((head + 1) % self.history)
        self._stalled.assign(self._stalled | stall)
        finite = _per_image(tf.math.is_finite(f0))
        self.last_finite.assign(tf.where(finite, x, self.last_finite))
        self.image.assign(x_new)
        self._cost.assign(f_lo)
        self._gradient.assign(g_lo)
        self._terms.assign(terms_lo)
        self._iterations.assign_add(1)
        status = tf.where(moved, MOVED, KEPT)
        status = tf.where(restart, RESTARTED, status)
        return tf.where(stall, STALLED, status)

    def _init_fn(self, targets: Targets) -> tf.Tensor:
        """Evaluates the current image once and stores it as the start of the next step."""
        f, g, terms = self._point(self.image.read_value(), targets)
        self._cost.assign(f)
        self._gradient.assign(g)
        self._terms.assign(terms)
        self._initialized.assign(True)
        self._evaluations.assign_add(tf.ones_like(self._evaluations))
        return terms

    # -- the optimizer protocol ---------------------------------------------------------------

    def step(self, targets: Targets) -> Terms:
        """One L-BFGS iteration; returns the terms of the image it starts from."""
        self._term_names(targets)
        terms, evaluations, status = self.step_function(targets)
        status = status.numpy()
        for code, say, what in (
            (RESTARTED, logging.info, "no lower cost along the search direction; the history "
             "is dropped and the next iteration starts along the gradient"),
            (STALLED, logging.warning, "no lower cost even along the gradient; the image is "
             "kept from now on"),
        ):  # fmt: skip
            images = np.flatnonzero(status == code)
            if images.size:
                which = f" (images {images.tolist()})" if status.size > 1 else ""
                say("L-BFGS at iteration %d%s: %s", self.updates - 1, which, what)
        return self._unstack(terms, evaluations)

    def evaluate(self, targets: Targets) -> Terms:
        """The terms of the current image: stored, or evaluated once and stored (first use)."""
        self._term_names(targets)
        if bool(self._initialized.numpy()):
            return self._unstack(self._terms.value(), self._evaluations.value())
        terms = self._init(targets)
        return self._unstack(terms, self._evaluations.value())

    def reset(self, initial_image: np.ndarray) -> None:
        """A new job of the same shape: a fresh state, the same traced step."""
        self.image.assign(self._project(initial_image))
        self.last_finite.assign(self.image)
        self._initialized.assign(False)
        for variable in (self._cost, self._gradient, self._terms, self._s, self._y, self._rho):
            variable.assign(tf.zeros_like(variable))
        for variable in (self._valid, self._head, self._evaluations, self._iterations):
            variable.assign(tf.zeros_like(variable))
        self._gamma.assign(tf.ones_like(self._gamma))
        self._stalled.assign(tf.zeros_like(self._stalled))

    @property
    def updates(self) -> int:
        """Iterations applied so far (restored with a checkpoint)."""
        return int(self._iterations.numpy())

    def state(self) -> dict[str, tf.Variable]:
        """Every variable: a run resumed from them continues exactly (module doc)."""
        return {
            "image": self.image,
            "last_finite": self.last_finite,
            **{f"lbfgs_{name}": getattr(self, f"_{name}") for name in _STATE},
        }


def from_config(
    config: Any, objective: Objective, initial_image: np.ndarray, jit: bool
) -> LbfgsOptimizer:
    """The registry's constructor (nst_tf.optim.registry)."""
    return LbfgsOptimizer(
        objective,
        initial_image,
        config.means,
        jit,
        history=config.lbfgs_history,
        line_search=config.lbfgs_line_search == "strong_wolfe",
    )
