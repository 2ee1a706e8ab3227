"""The draw position of a replayed draw: how many earlier draws reached the same elements of a tensor.

A replayed model (:func:`fastinit.torch.build`) keys each draw on the final tensor's stream name
and the draw's position for the elements it fills: the first draw into an element is keyed as
:class:`fastinit.torch.seeded` keys it (the stream is the tensor's name), the ``k``-th later one
(``k`` = 1, 2, ...) on the stream ``f"{name}#{k}"``. Draws into disjoint parts of a tensor (rows
one by one) are all first draws. A draw into a temporary whose values end up in the tensor counts
as a draw into every element of it.
"""

from __future__ import annotations

import torch  # absolute import: the real PyTorch

__all__ = ["DrawCounts", "keyed_stream"]


def keyed_stream(name: str, position: int) -> str:
    """The stream of draw ``position`` (0 first) into the elements of the tensor ``name``."""
    return name if position == 0 else f"{name}#{position}"


class DrawCounts:
    """For each tensor (by stream name), how many draws reached each of its elements so far."""

    def __init__(self) -> None:
        self._whole: dict[str, int] = {}  # draws that reached every element (when no partial one did)
        self._at: dict[str, torch.Tensor] = {}  # per element, once a draw reached only part of the tensor

    def _most(self, name: str) -> int:
        hits = self._at.get(name)
        if hits is None:
            return self._whole.get(name, 0)
        with torch._C.DisableTorchFunction():
            return int(hits.max()) if hits.numel() else 0

    def whole(self, name: str) -> int:
        """The position of a draw that reaches every element of ``name`` (or its temporary)."""
        position = self._most(name)
        self._whole[name] = position + 1
        self._at.pop(name, None)
        return position

    def part(self, name: str, numel: int, shape: tuple[int, ...], strides: list[int], origin: int) -> int:
        """The position of a draw into the elements ``origin + sum(i_k * strides[k])`` (``i`` over
        ``shape``) of the ``numel`` elements of ``name``: one more than the most draws any of them had."""
        count = 1
        for n in shape:
            count *= n
        if count == numel and name not in self._at:
            return self.whole(name)
        with torch._C.DisableTorchFunction():
            hits = self._at.get(name)
            if hits is None:
                hits = torch.full((numel,), self._whole.get(name, 0), dtype=torch.int32)
                self._at[name] = hits
            region = hits.as_strided(shape, strides, origin)
            position = int(region.max()) if count else 0
            region.fill_(position + 1)
        return position
