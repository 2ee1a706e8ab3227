"""Layer 2: the initializers of Keras, PyTorch and JAX, computed from fans and parameters,
each ending in one fill call (or a structured write)."""
