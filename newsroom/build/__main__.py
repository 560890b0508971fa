"""``python -m newsroom.build``: build the site (see newsroom/build/driver.py)."""

import logging
import os
import sys

from newsroom.build.driver import main

code = main()
# The build is over: its files are written and closed, its workers have
# ended. Letting the interpreter tear down would free the whole site model
# object by object (about 0.2 s at 1,000 stories) for nothing; end at once,
# after flushing what was printed and logged.
code = code if isinstance(code, int) else 0 if code is None else 1
logging.shutdown()
for stream in (sys.stdout, sys.stderr):
    try:
        stream.flush()
    except (OSError, ValueError):
        # A closed or broken pipe: what was said is lost, so the build must
        # not look successful (Python itself exits with 120 then).
        code = code or 120
os._exit(code)
