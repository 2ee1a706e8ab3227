"""Plot throughput against size from a ``pytest bench/ --bench-json FILE`` run.

    python bench/plot.py results.json bench/throughput.png

One panel per fill (uniform, normal, truncated_normal) for float32: M values/s of fastinit and
each peer against the output size, with the memory-write roofline (the fastest of out.fill and
plain and non-temporal stores at each size) for reference.
"""

from __future__ import annotations

import json
import sys

import matplotlib

from conftest import ROOF_IMPLS  # the measurements of writing memory (bench/ is on sys.path when run)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src: str, dst: str, dtype: str = "float32") -> None:
    data = json.load(open(src))
    fills = ["uniform", "normal", "truncated_normal"]
    fig, axes = plt.subplots(1, len(fills), figsize=(15, 4.5), sharey=True)
    best: dict[int, float] = {}
    for r in data["results"]:
        if r["impl"] in ROOF_IMPLS and r["dtype"] == dtype:
            best[r["bytes"]] = max(best.get(r["bytes"], 0.0), r["mvalues_per_s"])
    roof = sorted(best.items())
    colors = {"fastinit": "C0", "numpy": "C1", "torch": "C2", "jax": "C3"}
    handles = {}
    for ax, fill in zip(axes, fills):
        impls = sorted({r["impl"] for r in data["results"] if r["fill"] == fill and r["dtype"] == dtype})
        for impl in ["fastinit"] + [i for i in impls if i != "fastinit"]:
            pts = sorted((r["bytes"], r["mvalues_per_s"]) for r in data["results"]
                         if r["fill"] == fill and r["dtype"] == dtype and r["impl"] == impl)
            if pts:
                (line,) = ax.plot([p[0] / 2**20 for p in pts], [p[1] for p in pts], marker="o", label=impl,
                                  color=colors.get(impl), linewidth=2.5 if impl == "fastinit" else 1.5)
                handles.setdefault(impl, line)
        if roof:
            (line,) = ax.plot([p[0] / 2**20 for p in roof], [p[1] for p in roof], "k--",
                              label="writing memory (roofline)")
            handles.setdefault("writing memory (roofline)", line)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(f"{fill} ({dtype})")
        ax.set_xlabel("output size (MB)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("M values / s (higher is better)")
    axes[0].legend(handles.values(), handles.keys(), loc="lower left")
    meta = data.get("meta", {})
    fig.suptitle(f"fastinit {meta.get('fastinit', '')}, {meta.get('simd_path', '')}, "
                 f"{meta.get('threads', '')} threads")
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"wrote {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
