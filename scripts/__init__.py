"""Developer scripts: the server launcher and its importable core."""
