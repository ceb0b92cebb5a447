"""The batch's progress line: jobs done of all, job-iterations done, rate and ETA.

A batch of long jobs would otherwise be silent for minutes between jobs; the line reuses the
single run's `Progress` (redrawn on a terminal, a log line every 30 s elsewhere), counting the
iterations of every running job, so its rate and ETA cover the whole batch.
"""

from __future__ import annotations

from absl import logging

from nst_tf.outputs.progress import Progress


class BatchProgress(Progress):
    """Counts finished jobs and the iterations of running ones."""

    def __init__(self, jobs: int, iterations: int, done: int = 0, **kwargs):
        super().__init__(iterations, **kwargs)
        self._jobs = jobs
        self._jobs_done = done
        self._iterations_done = 0

    @property
    def iterations_done(self) -> int:
        return self._iterations_done

    def advance_iterations(self, count: int) -> None:
        """After a step that updated `count` jobs once each."""
        self._iterations_done += count
        self.update(self._iterations_done - 1)

    def finish_jobs(self, count: int, iterations_left: int = 0) -> None:
        """Jobs that ended (completed, failed, interrupted): logged at once.

        `iterations_left` are the iterations they will not run (a job that failed to load), so
        the ETA stops counting them.
        """
        self._jobs_done += count
        self._total -= iterations_left
        self.clear()
        logging.info("%s", self.line())

    def line(self) -> str:
        """E.g. "jobs 3/12 done; progress: 600/2400 iterations (25%), 1.6 it/s, ETA 18:45"."""
        return f"jobs {self._jobs_done}/{self._jobs} done; {super().line()}"
