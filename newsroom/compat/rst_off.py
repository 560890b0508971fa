"""Importing Pelican without the reStructuredText reader this site turns off.

Pelican 4.12 imports docutils (``pelican/readers.py``) and, through
``pelican/rstdirectives.py``, Pygments at import time, for its
reStructuredText reader, whether or not a site reads any: about 80 ms of
every build, half of what importing Pelican costs, and a tenth of a
publishing build with one story changed. This site reads Markdown only:
``READERS`` turns the ``rst`` reader off (pelicanconf.py) and the content
checks reject any other kind of file in the story and page folders.

``import_pelican()`` (called by the build driver before anything else
imports Pelican) imports ``pelican`` with stand-ins for those modules in
``sys.modules`` and takes them out again afterwards, so a later ``import
docutils`` (a plugin's, a test's) gets the real package. What Pelican kept
of them are stand-ins only its reStructuredText reader would use, which
``READERS`` leaves out as before; were it ever asked to read a file, it
raises an error that says why. Where Pelican was imported already,
nothing changes.

tests/newsroom/compat/test_compat.py checks the touch points: the modules
Pelican imports for the reader (``STAND_INS``), that Pelican imports with
the stand-ins, and that its readers then offer no ``rst`` reader.
"""

from __future__ import annotations

import importlib
import sys
import types

#: The modules pelican/readers.py and pelican/rstdirectives.py import at import time.
STAND_INS = (
    "docutils", "docutils.core", "docutils.io", "docutils.nodes", "docutils.utils",
    "docutils.parsers", "docutils.parsers.rst", "docutils.parsers.rst.languages",
    "docutils.writers", "docutils.writers.html4css1",
    "pygments", "pygments.formatters", "pygments.lexers",
)


def _stand_in(owner, name: str, module: str):
    """A stand-in class for ``owner.name`` (kept on ``owner``: asked again, the same)."""
    if name.startswith("__"):
        raise AttributeError(name)
    value = _StandInType(name, (StandIn,), {"__module__": module})
    setattr(owner, name, value)
    return value


class _StandInType(type):
    def __getattr__(cls, name: str):
        return _stand_in(cls, name, cls.__module__)


class StandIn(metaclass=_StandInType):
    """What a name of a stood-in module is: a class (Pelican subclasses some),
    that can be called (Pelican registers directives at import time), whose
    names are stand-ins too (``directives.flag``)."""

    def __init__(self, *args, **kwargs):
        pass


class _StandInModule(types.ModuleType):
    def __getattr__(self, name: str):
        return _stand_in(self, name, self.__name__)


def _not_read(reader, source_path):
    raise RuntimeError(f"{source_path}: reStructuredText is not read by this build "
                       "(newsroom/compat/rst_off.py); stories are Markdown")


def import_pelican() -> bool:
    """Import Pelican without docutils and Pygments; True if done so (False: imported already)."""
    if "pelican.readers" in sys.modules:
        return False
    added = [name for name in STAND_INS if name not in sys.modules]
    for name in added:
        sys.modules[name] = _StandInModule(name)
    try:
        importlib.import_module("pelican")
        sys.modules["pelican.readers"].RstReader.read = _not_read
    finally:
        for name in added:
            if isinstance(sys.modules.get(name), _StandInModule):
                del sys.modules[name]
    return True
