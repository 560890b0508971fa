"""Every use of livereload's internals (checked against livereload 2.7).

pyproject.toml allows ``>=2.6,<3``; tests/newsroom/compat/test_compat.py checks
each item below against the installed livereload.

* ``AppServer.application``: overrides ``Server.application(port, host,
  liveport, debug, live_css)``, the method ``Server.serve`` calls to build
  and start the Tornado application. It mounts livereload's three handlers
  as livereload does (``/livereload`` websocket, ``/forcereload``, the
  ``/livereload.js`` script), sets ``LiveReloadHandler.watcher`` and
  ``LiveReloadHandler.live_css`` (class attributes the handlers read), and
  adds the routes and output transforms a subclass gives instead of
  livereload's inline-script injector. ``self.root`` is the folder
  ``serve(root=...)`` was given.
* ``WatchfilesWatcher``: a ``livereload.watcher.Watcher`` fed by
  ``newsroom.dev.watch`` (watchfiles) instead of livereload's polling.
  ``LiveReloadHandler.start_tasks`` calls ``watcher.start(poll_tasks)``:
  True means "I call you when something changes" (no polling).
  ``poll_tasks`` calls ``watcher.examine()``, which runs the tasks that
  ``Server.watch(path, func, delay)`` registered in ``watcher._tasks`` and
  returns ``(changed path, delay)``, or ``(None, None)``; ``Server.serve``
  first queues ``("__livereload__", restart_delay)`` on ``watcher._changes``,
  which ``examine`` returns before anything else. ``changed_paths`` holds
  the batch of changes the last ``examine`` handled.
* ``ImmediateReloadHandler``: ``LiveReloadHandler`` with its class method
  ``poll_tasks`` replaced. livereload's own drops a change that comes
  within a few seconds of the last reload (``DEFAULT_RELOAD_TIME``, meant
  for many changes at once) and waits the task's ``delay`` before
  reloading; a second save soon after a first would never reach the
  browser. Here each batch of changes, once its tasks have run, reloads
  the browsers at once (``reload_waiters``, whose ``waiters`` set and
  ``watcher.filepath`` it uses as livereload does). ``Server.serve`` calls
  ``LiveReloadHandler.start_tasks()`` by name, which hands
  ``LiveReloadHandler.poll_tasks`` to ``watcher.start``; the watcher here
  calls ``ImmediateReloadHandler.poll_tasks`` instead.
"""

from __future__ import annotations

import os
import threading

from livereload import Server
from livereload.handlers import ForceReloadHandler, LiveReloadHandler, LiveReloadJSHandler
from livereload.watcher import Watcher
from tornado import web
from tornado.ioloop import IOLoop

from newsroom.dev.watch import changes


class AppServer(Server):
    """livereload's Server with the site's own routes and transforms."""

    def site_handlers(self) -> list:
        """Tornado routes for the site (after livereload's own)."""
        raise NotImplementedError

    def site_transforms(self) -> list:
        """Tornado output transforms (livereload's own inserts an inline script)."""
        return []

    def application(self, port, host, liveport=None, debug=None, live_css=True):
        LiveReloadHandler.watcher = self.watcher
        LiveReloadHandler.live_css = live_css
        app = web.Application(
            handlers=[
                (r"/livereload", ImmediateReloadHandler),
                (r"/forcereload", ForceReloadHandler),
                (r"/livereload.js", LiveReloadJSHandler),
                *self.site_handlers(),
            ],
            transforms=self.site_transforms(),
        )
        app.listen(port, address=host)


class ImmediateReloadHandler(LiveReloadHandler):
    """Every batch of changes reloads the browsers, at once (see the module docstring)."""

    @classmethod
    def poll_tasks(cls):
        filepath, _delay = cls.watcher.examine()
        if filepath and cls.waiters:
            cls.reload_waiters()


def _inside(path: str, folder: str) -> bool:
    folder = folder.rstrip(os.sep)
    return path == folder or path.startswith(folder + os.sep)


class WatchfilesWatcher(Watcher):
    """livereload's watcher protocol on top of ``newsroom.dev.watch.changes``.

    Watched paths are files or folders (not glob patterns). A task whose
    path saw a change runs once per batch of changes, and a function shared
    by several tasks (one rebuild for content, theme and plugins) runs once.
    """

    def __init__(self, interval: float = 0.5):
        super().__init__()
        self.interval = interval
        self._changed: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.changed_paths: list[str] = []

    def start(self, callback) -> bool:
        # livereload hands over its own poll_tasks (see the module docstring).
        if callback == LiveReloadHandler.poll_tasks:
            callback = ImmediateReloadHandler.poll_tasks
        if self._thread is None:
            loop = IOLoop.current()
            paths = [os.path.abspath(path) for path in self._tasks]

            def run():
                for batch in changes(paths, self.interval, stop_event=self._stop):
                    with self._lock:
                        self._changed |= batch
                    loop.add_callback(callback)

            self._thread = threading.Thread(target=run, name="livereload-watch", daemon=True)
            self._thread.start()
            callback()  # as livereload's own event-driven watcher does
        return True

    def stop(self) -> None:
        self._stop.set()

    def examine(self):
        if self._changes:
            return self._changes.pop()
        with self._lock:
            changed, self._changed = sorted(self._changed), set()
        self.changed_paths = changed
        self.filepath = None
        delays = set()
        ran = []
        for path, task in self._tasks.items():
            ignore = task["ignore"]
            hits = [c for c in changed if _inside(c, os.path.abspath(path))
                    and not self.ignore(c) and not (ignore and ignore(c))]
            if not hits:
                continue
            self.filepath = hits[0]
            delay = task["delay"]
            if delay and isinstance(delay, float):
                delays.add(delay)
            func = task["func"]
            if func and func not in ran:
                ran.append(func)
                func()
        return self.filepath, (max(delays) if delays else None)
