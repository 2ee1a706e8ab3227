"""``fastinit.torch``: ``torch.nn.init`` as fastinit fills, and reproducible whole-model init.

Step 1 of issue 11's split: the former ``fastinit/torch.py``, moved unchanged (but for its
relative imports) to ``fastinit/torch/functions.py`` and re-exported here.
"""

from .functions import *  # noqa: F403
from .functions import Scheme, SchemeValue, Tensor, __all__, torch  # noqa: F401
