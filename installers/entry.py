"""Entry point of both frozen programs (``pzh-station`` windowed, ``pzh-station-cli`` console).

Same code as ``python -m pzh_station``: no command opens the desktop app, a command runs headless,
``--self-test`` checks the build.
"""

from pzh_station.cli.main import main

raise SystemExit(main())
