"""Layer 3: initializers by name and config (``fastinit.get``, the command line, Dask)."""
