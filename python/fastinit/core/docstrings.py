"""The parameter texts that many public functions share, written once.

A docstring names a shared text by a placeholder on its own ``Args:`` line, e.g.
``seed: {seed}``; :func:`shared_docs` replaces each placeholder with the text, indenting the
continuation lines under the entry, so ``help()``, IDEs and the API reference show the whole text.
Text after the placeholder on that line (``tensor: {tensor} Rank >= 2.``) follows the shared text.
A line holding only ``{key}`` stands for a whole shared section (:data:`SECTIONS`: several ``Args:``
entries, or a ``Returns:``/``Raises:`` section), indented as that line.

Example:
    >>> @shared_docs
    ... def f(seed=None):
    ...     '''Do something.
    ...
    ...     Args:
    ...         seed: {seed}
    ...     '''
    >>> "Philox key" in f.__doc__
    True

    A section line stands for its entries, each filled in turn:

    >>> doc = fill_placeholders("Args:\\n    {where_args}\\n")
    >>> [line.split(":")[0].strip() for line in doc.splitlines()[1:] if not line.startswith(" " * 8)]
    ['seed', 'stream', 'full_shape', 'index']
"""

import re
from typing import Callable, TypeVar

__all__ = ["SECTIONS", "SHARED", "fill_placeholders", "shared_docs"]

F = TypeVar("F", bound=Callable[..., object])

#: Texts of the parameters that the fills, the presets and the adapters share (Google style, one
#: paragraph each; placeholders are the keys).
SHARED: dict[str, str] = {
    "out": (
        "The array to fill in place (a NumPy array of any shape, 0-d included, and any strides: C, "
        "Fortran, sliced, negative steps), or a shape (an int or a tuple of ints) to allocate a new "
        "array of ``dtype``. The filled array is returned."
    ),
    "seed": (
        "The Philox key: an int in [0, 2**64). The same seed gives the same values on every "
        "machine, thread count and SIMD path. ``None`` (the default) draws a fresh seed from the "
        "operating system, so the values differ on each call: pass a seed to reproduce them."
    ),
    "stream": (
        "Which independent sequence of the seed to use: an int in [0, 2**64) or a str (hashed "
        "with BLAKE2b to 64 bits). Give every tensor its own stream, e.g. its parameter name, and "
        "tensors are independent of each other and of the order they are filled in."
    ),
    "full_shape": (
        "The shape of the whole logical tensor of which ``out`` is a part. ``None`` (the "
        "default) means ``out`` is the whole tensor. Fans, where a preset uses them, come from "
        "``full_shape``, never from the part."
    ),
    "index": (
        "Which part of the ``full_shape`` tensor ``out`` holds: ``out`` is filled with "
        "``full[index]`` of a whole fill, bit for bit. A tuple with one entry per leading axis, "
        "each an int, a step-1 slice or a 1-D array of int IDs (any order, duplicates and "
        "negatives allowed); arrays on several axes combine as ``np.ix_`` does. ``None`` (the "
        "default) means the whole tensor."
    ),
    "dtype": (
        "The dtype of a newly allocated array when ``out`` is a shape (default float32): "
        "float32, float64, float16, bfloat16 (``ml_dtypes.bfloat16`` or ``\"bfloat16\"``), or "
        "complex64/complex128 where the function supports complex values. Must match ``out``'s "
        "dtype (or be omitted) when ``out`` is an array."
    ),
    # the fans of the variance-scaling and PyTorch presets (fastinit.compute_fans)
    "layout": (
        "Which axes of the shape are the inputs and outputs: ``\"keras\"`` (also ``\"jax\"``): "
        "input axis -2, output axis -1, as Dense ``(in, out)`` and Conv ``(*kernel, in, out)``; "
        "``\"torch\"``: output axis 0, input axis 1, as Linear ``(out, in)`` and Conv ``(out, "
        "in // groups, *kernel)``; ``\"depthwise\"``: a Keras depthwise kernel ``(*kernel, "
        "channels, multiplier)``. ``None`` means ``\"keras\"``. The other axes are the receptive "
        "field, which multiplies both fans. An unknown name raises ValueError naming the closest."
    ),
    "in_axis": (
        "The input axis or axes (an int or a sequence of ints, negative counting from the end), "
        "as ``jax.nn.initializers`` takes them; overrides the layout's. ``None``: the layout's."
    ),
    "out_axis": (
        "The output axis or axes (an int or a sequence of ints), as ``jax.nn.initializers`` "
        "takes them; overrides the layout's. ``None``: the layout's."
    ),
    "batch_axis": (
        "Axes counted in neither fan nor the receptive field (JAX's ``batch_axis``), e.g. a "
        "stack of layers; default ``()``. An axis out of range or named twice raises ValueError."
    ),
    "groups": (
        "The groups of a grouped convolution whose kernel holds ``in / groups`` channels on its "
        "input axis (PyTorch ``groups``, Flax ``feature_group_count``): fan_out is divided by "
        "``groups``, which must divide the output channels. Default 1."
    ),
    # PyTorch's xavier and kaiming (fastinit.presets.pytorch)
    "gain": "The scaling factor, a real number >= 0 (default 1.0), e.g. ``calculate_gain(\"relu\")``.",
    "kaiming_a": (
        "The negative slope of the rectifier, used with ``nonlinearity=\"leaky_relu\"`` (gain "
        "``sqrt(2 / (1 + a**2))``); the default ``a=0, nonlinearity=\"leaky_relu\"`` gives gain sqrt(2), as "
        "``\"relu\"`` does."
    ),
    "kaiming_mode": (
        "``\"fan_in\"`` (default: preserves the variance of the forward pass) or ``\"fan_out\"`` (of "
        "the backward pass)."
    ),
    "nonlinearity": (
        "A name of :func:`fastinit.calculate_gain`'s table (default ``\"leaky_relu\"``); it gives the gain."
    ),
    # the errors a user meets in the presets (Raises: entries)
    "preset_type_errors": (
        "A parameter of the wrong type (the message names it), or ``out`` neither an array nor "
        "a shape, or of a dtype the preset does not fill."
    ),
    "fill_value_errors": (
        "A parameter out of range (e.g. a negative standard deviation, or ``low > high``), "
        "``seed``/``stream`` out of range, or an ``index`` that does not fit ``full_shape``. "
        "Everything is checked before anything is written."
    ),
    "fan_value_errors": (
        "A parameter out of range, an unknown ``layout`` or ``mode`` (the message names the "
        "closest), axes out of range or named twice, ``groups`` that do not divide the output "
        "channels, ``seed``/``stream`` out of range, or an ``index`` that does not fit "
        "``full_shape``. Everything is checked before anything is written."
    ),
    # fastinit.torch
    "tensor": (
        "The tensor to fill in place, through its own memory (no copy; ``data_ptr()`` unchanged; "
        "its autograd version bumped as by an in-place torch op): a CPU tensor of float32, "
        "float64, float16 or bfloat16, contiguous or not, a parameter that requires grad "
        "included; also a DTensor (its local shard gets the global tensor's values) or a CUDA "
        "tensor (filled through pinned host chunks). Returned."
    ),
    "torch_seed": (
        "The Philox key: an int in [0, 2**64), making the values a pure function of (seed, "
        "stream, shape, dtype) on every machine and thread count. ``None`` (the default) draws a "
        "64-bit seed from ``generator``, so ``torch.manual_seed(s)`` makes a script repeatable "
        "as with torch; the values are fastinit's, not torch's."
    ),
    "generator": (
        "The ``torch.Generator`` that ``seed=None`` draws the seed from (``None``: torch's "
        "default CPU generator), checked before anything is drawn. Giving both ``seed`` and "
        "``generator`` raises ValueError."
    ),
    "ignored": (
        "Accepted and ignored (the values do not depend on it), so that the function can serve "
        "as a :func:`fastinit.torch.init_module` scheme rule like the random ones."
    ),
    # fastinit.keras
    "keras_seed": (
        "An int in [0, 2**64): the first call gives exactly the fastinit preset with this seed "
        "and ``stream``, later calls of the same instance derived streams (so layers sharing an "
        "instance differ). ``None`` (the default): an int drawn now from Python's ``random`` "
        "(``keras.utils.set_random_seed`` makes it repeatable). A "
        "``keras.random.SeedGenerator``: each call advances it and uses its state as the seed."
    ),
    "keras_axes": (
        "The kernel's fan-in axes (a list of ints), used only together with ``output_axes``, "
        "as Keras does (``EinsumDense`` sets both). None (the default): fans by Keras's rule, "
        "``(in, out)`` or ``(*kernel, in, out)``."
    ),
    "keras_shape": (
        "The shape of the tensor to return (a tuple or list of ints), in Keras's layout: "
        "``(in, out)`` for a Dense kernel, ``(*kernel, in, out)`` for a Conv kernel."
    ),
    "keras_dtype": (
        "The tensor's dtype (a Keras dtype name such as ``\"float32\"``, or a backend dtype); "
        "``None`` (the default): ``keras.backend.floatx()``. float32, float64, float16 or "
        "bfloat16 (the float32 values rounded to nearest even); Zeros, Ones, Constant and "
        "Identity also take int and bool dtypes."
    ),
    # fastinit.jax
    "jax_axes": (
        "The input (fan-in) axis or axes: an int or a sequence of ints, as "
        "``jax.nn.initializers`` takes them (default -2: JAX's ``(..., in, out)`` layout). Fans "
        "come from the whole ``shape``, even when ``out_sharding`` splits it."
    ),
    "jax_dtype": (
        "The default dtype of the returned ``init`` (``None``: JAX's default float dtype): "
        "float32, float64 (needs ``jax_enable_x64``; otherwise float32 with JAX's warning), "
        "float16 or bfloat16, and complex64/complex128 where the initializer says so."
    ),
    "jax_key": (
        "A single JAX PRNG key: ``jax.random.key(seed)`` or a raw ``uint32[2]`` "
        "``jax.random.PRNGKey(seed)``, concrete or traced (under ``jit``/``vmap``). Its two "
        "words ``(k0, k1)`` are the fastinit seed ``k0 * 2**32 + k1`` (:func:`seed_from_key`), "
        "so ``jax.random.key(42)`` is ``seed=42``; split keys per layer, as usual in JAX."
    ),
    "jax_shape": "The shape of the array to return (a sequence of ints), in JAX's layout ``(..., in, out)``.",
    "jax_out_sharding": (
        "Where the result lives: a ``jax.sharding.Sharding``, a ``PartitionSpec`` on the mesh of "
        "``jax.set_mesh``, or ``None`` (the default device). Each addressable shard is filled on "
        "its own from its global index, with the values of the unsharded call, bit for bit."
    ),
}

#: Sections that several docstrings share whole: a line holding only ``{key}`` is replaced by the
#: section, each line indented as that line; a section may hold other sections and ``name: {key}``
#: lines. A family of functions with the same parameters states its sections here once.
SECTIONS: dict[str, str] = {
    # where a random fill writes, and what: the keywords every random fill and preset takes
    "where_args": "seed: {seed}\nstream: {stream}\nfull_shape: {full_shape}\nindex: {index}",
    "fill_args": "{where_args}\ndtype: {dtype}",
    # how fans are computed (fastinit.compute_fans's keywords), after ``layout``
    "fan_axes_args": "in_axis: {in_axis}\nout_axis: {out_axis}\nbatch_axis: {batch_axis}\ngroups: {groups}",
    "returns_filled": "Returns:\n    The filled array (``out`` itself when it is an array).",
    "fan_preset_raises": "Raises:\n    TypeError: {preset_type_errors}\n    ValueError: {fan_value_errors}",
    "fill_preset_raises": "Raises:\n    TypeError: {preset_type_errors}\n    ValueError: {fill_value_errors}",
    # zeros and ones: nothing but out and dtype
    "fixed_fill": ("Args:\n    out: {out}\n    dtype: {dtype}\n\n{returns_filled}\n\nRaises:\n"
                   "    TypeError: ``out`` is not an array or a shape, or its dtype is not supported."),
    # the Glorot/He/LeCun presets: out and the keywords, nothing else
    "variance_scaling_preset": ("Args:\n    out: {out}\n    layout: {layout}\n    {fan_axes_args}\n    {fill_args}\n\n"
                                "{returns_filled}\n\n{fan_preset_raises}"),
    # PyTorch's fan presets (xavier, kaiming)
    "torch_fan_args": "layout: {layout} PyTorch's presets default to ``\"torch\"``.\n{fan_axes_args}\n{fill_args}",
    "xavier_preset": ("Args:\n    out: {out}\n    gain: {gain}\n    {torch_fan_args}\n\n{returns_filled}\n\n"
                      "{fan_preset_raises}"),
    "kaiming_preset": ("Args:\n    out: {out}\n    a: {kaiming_a}\n    mode: {kaiming_mode}\n"
                       "    nonlinearity: {nonlinearity}\n    {torch_fan_args}\n\n{returns_filled}\n\n"
                       "{fan_preset_raises}"),
    # fastinit.jax: what its initializer factories return
    "jax_returns_init": ("Returns:\n    ``init(key, shape, dtype=dtype, out_sharding=None)``, a function that "
                         "returns a\n    ``jax.Array`` (its own docstring says how each argument is used)."),
    # fastinit.jax's zeros and ones (initializers themselves): the arguments after the ignored key
    "jax_fixed_args": ("shape: {jax_shape}\ndtype: The array's dtype, any JAX dtype (``None``: JAX's default float "
                       "dtype).\nout_sharding: {jax_out_sharding}"),
    # fastinit.torch: what its in-place functions return, the random drop-ins' last arguments
    "torch_returns": "Returns:\n    ``tensor``, filled.",
    "torch_random_args": "generator: {generator}\nseed: {torch_seed}\nstream: {stream}",
    # the deterministic drop-ins (fastinit.torch.deterministic): seed and stream ignored; ones_ and zeros_ whole
    "torch_ignored_args": "seed: {ignored}\nstream: {ignored}",
    "torch_fixed": ("Args:\n    tensor: {tensor} Other dtypes (int, bool ...) are filled by torch's own op, as in "
                    "torch.\n    {torch_ignored_args}\n\n{torch_returns}\n\nRaises:\n    ValueError: a meta tensor."),
    # torch's xavier_*_ and kaiming_*_ (fastinit.torch.fan_scaled): what follows their own text
    "torch_xavier_end": ("{torch_returns}\n\nRaises:\n    ValueError: rank < 2 (torch's message), a meta tensor, "
                         "or both ``seed`` and ``generator``.\n    UnsupportedDtypeError: an int or bool tensor."),
    "torch_kaiming_args": ("a: The negative slope of the rectifier after this layer, used only with\n"
                           "    ``nonlinearity=\"leaky_relu\"`` (0: plain ReLU's gain); nn.Linear and nn.Conv pass\n"
                           "    ``math.sqrt(5)``.\n"
                           "mode: ``\"fan_in\"`` (the default) keeps the variance of the forward pass,\n"
                           "    ``\"fan_out\"`` that of the backward pass.\n"
                           "nonlinearity: The activation after the layer, as :func:`calculate_gain` names it\n"
                           "    (default ``\"leaky_relu\"``; ``\"relu\"`` is the usual choice).\n"
                           "{torch_random_args}"),
    "torch_kaiming_end": ("{torch_returns}\n\nRaises:\n    ValueError: rank < 2, an unknown ``mode`` or "
                          "``nonlinearity``, a meta tensor, or both\n        ``seed`` and ``generator``.\n"
                          "    UnsupportedDtypeError: an int or bool tensor."),
}

_SECTION = re.compile(r"^(?P<indent>[ \t]*)\{(?P<key>[A-Za-z_]\w*)\}[ \t]*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)(?P<name>\*{0,2}\w+): \{(?P<key>\w+)\}(?P<rest>[^\n]*?)[ \t]*$",
                          re.MULTILINE)


def _wrap(text: str, indent: str, first: int, width: int = 96) -> str:
    """``text`` in lines of at most ``width`` columns: the first starts at column ``first``, the
    others at ``indent``."""
    lines: list[str] = []
    line = ""
    start = first
    for word in text.split():
        if line and start + len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
            start = len(indent)
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return ("\n" + indent).join(lines)


def _expand_sections(doc: str) -> str:
    def replace(m: "re.Match[str]") -> str:
        key = m.group("key")
        if key not in SECTIONS:
            raise KeyError(f"no shared docstring section named {key!r}; known: {sorted(SECTIONS)}")
        indent = m.group("indent")
        return _expand_sections("\n".join(indent + line if line else "" for line in SECTIONS[key].split("\n")))

    return _SECTION.sub(replace, doc)


def fill_placeholders(doc: str) -> str:
    """Replace each ``{key}`` line of ``doc`` with the shared section ``key``, then each ``name: {key}``
    line with ``name:`` and the shared text for ``key``."""

    def replace(m: "re.Match[str]") -> str:
        key = m.group("key")
        if key not in SHARED:
            raise KeyError(f"no shared parameter text named {key!r}; known: {sorted(SHARED)}")
        indent = m.group("indent")
        head = f"{indent}{m.group('name')}: "
        return head + _wrap(SHARED[key] + m.group("rest"), indent + "    ", len(head))

    return _PLACEHOLDER.sub(replace, _expand_sections(doc))


def shared_docs(func: F) -> F:
    """Fill the shared parameter texts into ``func``'s docstring (see the module docstring)."""
    if func.__doc__:
        func.__doc__ = fill_placeholders(func.__doc__)
    return func
