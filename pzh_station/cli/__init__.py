"""The ``pzh-station`` command line. Each area registers its commands in its own module."""
