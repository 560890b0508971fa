"""``python -m newsroom.build``: build the site (see newsroom/build/driver.py)."""

import sys

from newsroom.build.driver import main

sys.exit(main())
