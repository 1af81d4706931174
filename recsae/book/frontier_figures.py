"""Figures of the frontier chapter: the fidelity–interpretability frontier and the steering
methods' effect against their cost."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from recsae.book.case_baselines import METHOD_NAMES
from recsae.book.frontier import pareto

SCHEME_MARKERS = {"paper": "*", "kl": "o", "l1": "v", "topk": "s", "matryoshka": "D", "wide": "P"}
SCHEME_NAMES = {
    "paper": "paper's setting",
    "kl": "ReLU + KL",
    "l1": "ReLU + L1",
    "topk": "TopK",
    "matryoshka": "Matryoshka",
    "wide": "m = 4d",
}


def frontier(tables: Mapping[str, pd.DataFrame], paper_rbo: Mapping[str, float]) -> Figure:
    """One panel per backbone: every SAE's RBO against its pure neurons beyond the best baseline
    of its own width (``pure_margin``; a random SAE of 80 latents has more pure neurons than one
    of 22, so raw counts would favour wide dictionaries), coloured by its item L0 and marked by
    scheme; the frontier's points joined, zero margin as a dashed line and the paper's β = 10
    RBO as a dotted one."""
    figure, axes = plt.subplots(
        1, len(tables), figsize=(6 * len(tables), 5.0), squeeze=False, layout="constrained"
    )
    low = min(float(table["l0_items"].min()) for table in tables.values())
    high = max(float(table["l0_items"].max()) for table in tables.values())
    for axis, (name, table) in zip(axes[0], tables.items()):
        for scheme, rows in table.groupby("scheme", sort=False):
            points = axis.scatter(
                rows["rbo"],
                rows["pure_margin"],
                c=rows["l0_items"],
                cmap="viridis",
                vmin=low,
                vmax=high,
                marker=SCHEME_MARKERS[str(scheme)],
                s=160 if scheme == "paper" else 60,
                edgecolors="black",
                label=SCHEME_NAMES[str(scheme)],
            )
        front = table[pareto(table, "rbo", "pure_margin")].sort_values("rbo")
        axis.plot(front["rbo"], front["pure_margin"], color="grey", linewidth=1, zorder=0)
        axis.axhline(0.0, color="black", linestyle="--", linewidth=1, label="as many as the best baseline")
        axis.axvline(paper_rbo[name], color="black", linestyle=":", linewidth=1, label="paper's RBO (β = 10)")
        axis.set(
            title=name,
            xlabel="fidelity (RBO, seen items masked)",
            ylabel="pure neurons beyond the best baseline",
        )
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=4, fontsize="small")
    figure.colorbar(points, ax=axes[0].tolist(), label="active latents per item (L0)")
    return figure


def cost_curves(curves: Mapping[str, Mapping[str, pd.DataFrame]], budgets: Mapping[str, float]) -> Figure:
    """One panel per case study: each method's effect against its cost in NDCG@10, dose by
    dose, with the SAE edit's cost at the paper's level as a dashed line."""
    columns = 3
    rows = -(-len(curves) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(15, 3.8 * rows), squeeze=False)
    for axis, (title, methods) in zip(axes.flat, curves.items()):
        for method, curve in methods.items():
            ordered = curve.sort_values("cost")
            axis.plot(
                ordered["cost"],
                ordered["effect"],
                marker="o",
                markersize=3,
                color=f"C{list(METHOD_NAMES).index(method)}",  # one colour per method in every panel
                linewidth=2.5 if method == "sae" else 1.2,
                label=METHOD_NAMES[method],
            )
        axis.axvline(budgets[title], color="black", linestyle="--", linewidth=1)
        axis.set(title=title, xlabel="NDCG@10 lost", ylabel="effect")
    for axis in list(axes.flat)[len(curves) :]:
        axis.set_visible(False)
    handles = {}
    for axis in axes.flat:
        for handle, label in zip(*axis.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    figure.legend(
        list(handles.values()), list(handles), loc="lower center", ncol=len(handles), fontsize="small"
    )
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    return figure
