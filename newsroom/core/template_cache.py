"""Compiled theme templates kept between builds (Jinja's bytecode cache).

Every build used to parse and compile each template again: about a fifth of
a small site's build. Jinja's ``FileSystemBytecodeCache`` keeps the compiled
code in ``TEMPLATE_CACHE_PATH`` and checks each entry against a checksum of
the template's source, so an edited template is compiled again. What the
checksum does not cover is how the environment compiles (``trim_blocks``,
``autoescape``, extensions, the Jinja and Python versions): those go into
the cache files' names, so a change there starts from empty entries instead
of reusing code compiled another way. Writes are atomic (a temporary file
renamed into place), so builds running side by side may share the folder.
"""

from __future__ import annotations

import hashlib
import os
import sys

import jinja2
from jinja2 import FileSystemBytecodeCache

BYTECODE_CACHE = "bytecode_cache"


def environment_fingerprint(environment: dict) -> str:
    """A short hash of what decides how templates compile."""
    options = {name: value for name, value in environment.items() if name != BYTECODE_CACHE}
    described = repr((sorted((name, repr(value)) for name, value in options.items()),
                      jinja2.__version__, sys.version_info[:2]))
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def with_template_cache(environment: dict, folder: str) -> dict:
    """``environment`` (Pelican's ``JINJA_ENVIRONMENT``) with a bytecode cache in ``folder``.

    One already there is kept, so that resolving settings twice changes nothing.
    A folder that cannot be written (a read-only checkout) means no cache:
    templates are then compiled on every build, as without one.
    """
    if environment.get(BYTECODE_CACHE) is not None:
        return environment
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return environment
    if not os.access(folder, os.W_OK | os.X_OK):
        return environment
    pattern = f"{environment_fingerprint(environment)}-%s.cache"
    return {**environment, BYTECODE_CACHE: FileSystemBytecodeCache(folder, pattern)}
