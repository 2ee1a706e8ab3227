"""Layer 3: initializers by name and config (``fastinit.get``, the command line, Dask).

- :mod:`.specs`: the one table of initializers (names, parameters, kinds, plans, Keras and
  PyTorch names);
- :mod:`.lookup`: names to initializers, and the did-you-mean error for an unknown name;
- :mod:`.registry`: :class:`~.registry.Initializer` and :func:`~.registry.get`;
- :mod:`.named`: by-name resolution for the command line and Dask, with typed conversion of
  command-line text;
- :mod:`.expected`: the distribution an initializer fills with, and its moments.
"""
