"""Where the site leans on a dependency's internals: one module per dependency.

Each module here holds every touch of something its dependency does not
promise to keep (a private attribute or method, the text of a log message,
a file format): ``pelican``, ``livereload``, ``pagefind``, ``smartypants``
and ``typogrify``. The rest of the
code calls the named functions and classes here instead. After upgrading a
dependency, run ``pytest tests/newsroom/compat/test_compat.py``: each test checks
one thing we rely on against the installed version, and its failure says
what changed and what to look at.
"""
