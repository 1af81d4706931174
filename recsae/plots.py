"""Figures of the chapters: each takes library objects and returns a matplotlib Figure."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from recsae.datasets import DECADES
from recsae.interactions import Interactions


def label_counts(data: Interactions, top: int = 20) -> Figure:
    """How many items carry each label, and what share of all interactions they receive."""
    items = data.item_labels.sum().sort_values(ascending=False).head(top)
    per_item = np.bincount(data.pair_items, minlength=data.n_items)
    share = (data.item_labels.loc[:, items.index].mul(per_item, axis=0).sum() / data.n_interactions)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 0.28 * len(items) + 1.2), sharey=True)
    left.barh(items.index[::-1], items.to_numpy()[::-1], color="C0")
    left.set_title("Items carrying the label")
    right.barh(share.index[::-1], share.to_numpy()[::-1], color="C1")
    right.set_title("Share of all interactions")
    right.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    figure.suptitle(f"{data.name}: concept labels", fontweight="bold")
    figure.tight_layout()
    return figure


def decades(data: Interactions) -> Figure:
    """Items and interactions per release decade (PAPER §4.1's buckets)."""
    per_item = np.bincount(data.pair_items, minlength=data.n_items)
    frame = pd.DataFrame({"decade": data.items.decade.to_numpy(), "interactions": per_item})
    summary = frame.groupby("decade").agg(items=("decade", "size"), interactions=("interactions", "sum"))
    summary = summary.reindex([d for d in DECADES if d in summary.index])
    shares = summary / summary.sum()
    figure, axis = plt.subplots(figsize=(7, 3.2))
    positions = np.arange(len(shares))
    axis.bar(positions - 0.2, shares["items"], width=0.4, label="items")
    axis.bar(positions + 0.2, shares["interactions"], width=0.4, label="interactions")
    axis.set_xticks(positions, shares.index)
    axis.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    axis.set_title(f"{data.name}: release decades")
    axis.legend()
    figure.tight_layout()
    return figure


def long_tail(data: Interactions) -> Figure:
    """Item popularity sorted (log scale) and the number of interactions per user."""
    popularity = np.sort(data.items.popularity.to_numpy())[::-1]
    per_user = np.bincount(data.pair_users, minlength=data.n_users)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    left.plot(np.arange(1, len(popularity) + 1), np.maximum(popularity, 0.8), color="C0")
    left.set_yscale("log")
    left.set_xlabel("item, by popularity rank")
    left.set_ylabel("users who interacted")
    head = int(np.searchsorted(np.cumsum(popularity) / popularity.sum(), 0.5)) + 1
    left.axvline(head, color="C3", linestyle="--")
    left.set_title(f"The {head} most popular items get half of all interactions", fontsize="small")
    right.hist(per_user, bins=np.logspace(np.log10(per_user.min()), np.log10(per_user.max()), 40), color="C2")
    right.set_xscale("log")
    right.set_xlabel("interactions per user")
    right.set_ylabel("users")
    right.set_title(f"median user: {int(np.median(per_user))} interactions", fontsize="small")
    figure.suptitle(f"{data.name}: popularity and activity", fontweight="bold")
    figure.tight_layout()
    return figure


def training_curves(histories: Mapping[str, list[dict[str, float]]]) -> Figure:
    """Training BCE and the monitored NDCG@10 per epoch, one line per model."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    for name, history in histories.items():
        epochs = [row["epoch"] for row in history]
        left.plot(epochs, [row["bce"] for row in history], marker=".", label=name)
        right.plot(epochs, [row["monitor_ndcg@10"] for row in history], marker=".", label=name)
    left.set(xlabel="epoch", ylabel="training BCE (positives + sampled negatives)")
    right.set(xlabel="epoch", ylabel="NDCG@10, 1,000 monitored users")
    right.legend(fontsize="small")
    figure.tight_layout()
    return figure


def metric_bars(table: pd.DataFrame, metrics: tuple[str, ...] = ("hr@10", "ndcg@10", "hr@20", "ndcg@20")) -> Figure:
    """Grouped bars: one group per metric, one bar per model (rows of ``table``)."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(2.6 * len(metrics), 3.2))
    for axis, metric in zip(axes, metrics):
        values = table[metric]
        axis.bar(range(len(values)), values, color=[f"C{i}" for i in range(len(values))])
        axis.set_xticks(range(len(values)), values.index, rotation=45, ha="right", fontsize="small")
        axis.set_title(metric.upper())
    figure.tight_layout()
    return figure
