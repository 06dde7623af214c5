"""The worker class gunicorn runs (``WORKERS`` > 1): aiohttp's uvloop worker, stoppable at once.

aiohttp's ``GunicornUVLoopWebWorker`` registers its signal handlers on the event loop
before the worker loads the app, but uvloop reads signals only while the loop runs: a
SIGTERM that arrives while the worker loads its models is kept where uvloop looks only
on the next signal, so the worker boots, serves, and is killed by the master a
graceful timeout later. This class handles the stop signals with plain handlers until
the loop runs (and leaves at once while it boots: nothing is in flight yet), then hands
them to the loop, which it wakes on SIGTERM rather than letting it notice within its
1 s check; once the loop is closed, it ignores them while it finishes leaving. Signals
that reach it between the fork and its handlers are held for it by the master
(``plate_service.workers``), which blocks ``STOP_SIGNALS`` around the fork.
"""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Any

from aiohttp.worker import GunicornUVLoopWebWorker, GunicornWebWorker

# The signals that stop a worker: SIGTERM gracefully, SIGINT and SIGQUIT quickly.
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGQUIT})


class StoppableWorker(GunicornUVLoopWebWorker):
    """A gunicorn worker that exits promptly on SIGTERM whenever it arrives."""

    sockets: list[Any]  # gunicorn's listening sockets, set before ``init_process``

    def init_process(self) -> None:
        # The event loop closes a server's socket when the server closes. Given gunicorn's
        # wrapper, it closes the descriptor and then calls the wrapper's close, which fails
        # on it and logs "Error while closing socket [Errno 9]"; a plain socket it detaches.
        self.sockets = [getattr(listener, "sock", listener) for listener in self.sockets]
        super().init_process()

    def init_signals(self) -> None:
        """Plain handlers while the worker boots; ``run`` moves them onto the event loop."""
        signal.signal(signal.SIGTERM, self.handle_exit)
        signal.signal(signal.SIGINT, self.handle_quit)
        signal.signal(signal.SIGQUIT, self.handle_quit)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held since the fork

    def run(self) -> None:
        # Scheduled before the app's task, so the loop has them before the app serves.
        self.loop.call_soon(GunicornWebWorker.init_signals, self)
        try:
            super().run()
        finally:
            # The loop that handled them is closed, which restores their default action: the
            # master's SIGTERM, after the one sent to the whole group, would kill the worker.
            for stop in STOP_SIGNALS:
                signal.signal(stop, signal.SIG_IGN)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._leave_if_booting()
        self._notify_waiter_done()  # the serving loop stops now, not at its next check

    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_quit(sig, frame)
        self._leave_if_booting()

    def _leave_if_booting(self) -> None:
        # Before ``booted`` the app is not serving: no request to finish, no file to remove,
        # and loading the models to the end would only delay the stop. Not by raising
        # SystemExit: raised inside an import, an extension module turns it into an
        # ImportError, which gunicorn counts as a worker that failed to boot.
        if not self.booted:
            os._exit(0)
