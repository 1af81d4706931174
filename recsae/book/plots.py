"""Figures of the chapters: each takes library objects and returns a matplotlib Figure."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from recsae.data.datasets import DECADES
from recsae.data.interactions import Interactions
from recsae.steering import ORIGINAL, RECONSTRUCTION, levels_of


def label_counts(data: Interactions, top: int = 20) -> Figure:
    """How many items carry each label, and what share of all interactions they receive."""
    items = data.item_labels.sum().sort_values(ascending=False).head(top)
    per_item = np.bincount(data.pair_items, minlength=data.n_items)
    share = data.item_labels.loc[:, items.index].mul(per_item, axis=0).sum() / data.n_interactions
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
    """Items and interactions per release decade (the official code's buckets)."""
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


def metric_bars(
    table: pd.DataFrame,
    metrics: tuple[str, ...] = ("hr@10", "ndcg@10", "hr@20", "ndcg@20"),
    spread: pd.DataFrame | None = None,
) -> Figure:
    """Grouped bars: one group per metric, one bar per model (rows of ``table``), with error bars
    of ± one standard deviation over seeds where ``spread`` (same rows and columns) holds one."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(2.6 * len(metrics), 3.2))
    for axis, metric in zip(axes, metrics):
        values = table[metric]
        errors = None if spread is None else spread.reindex(table.index)[metric].fillna(0.0)
        axis.bar(
            range(len(values)), values, yerr=errors, capsize=3, color=[f"C{i}" for i in range(len(values))]
        )
        axis.set_xticks(range(len(values)), values.index, rotation=45, ha="right", fontsize="small")
        axis.set_title(metric.upper())
    figure.tight_layout()
    return figure


SAE_CURVES = (
    ("loss_pred", "L_pred on training batches", True),
    ("l0_items", "active latents per item", False),
    ("explained_variance_items", "explained variance, items", False),
    ("score_mse", "logit MSE on sample pairs", True),
)


def sae_training(histories: Mapping[str, list[dict[str, float]]]) -> Figure:
    """Per epoch, one line per SAE: what it is trained on (L_pred), how sparse its item codes
    are, how much of the item embeddings it keeps, and how far the recommender's logits move."""
    figure, axes = plt.subplots(1, len(SAE_CURVES), figsize=(13, 3.2))
    for name, history in histories.items():
        frame = pd.DataFrame(history).set_index("epoch")
        for axis, (column, title, log_scale) in zip(axes, SAE_CURVES):
            axis.plot(frame.index, frame[column], marker=".", label=name)
            axis.set(title=title, xlabel="epoch", yscale="log" if log_scale else "linear")
    axes[0].legend(fontsize="small")
    figure.tight_layout()
    return figure


def code_usage(item_codes: Mapping[str, ArrayLike]) -> Figure:
    """Left: how many latents are active per item; right: the share of items on which each
    latent fires, latents sorted from most to least used."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    for index, (name, codes) in enumerate(item_codes.items()):
        active = np.asarray(codes) != 0
        per_item = active.sum(axis=1)
        width = active.shape[1]
        left.hist(
            per_item,
            bins=np.arange(width + 2) - 0.5,
            alpha=0.55,
            color=f"C{index}",
            label=f"{name} (mean {per_item.mean():.1f})",
        )
        rate = np.sort(active.mean(axis=0))[::-1]
        right.plot(np.arange(1, width + 1), rate, marker="o", color=f"C{index}", label=name)
    left.set(xlabel="active latents per item", ylabel="items")
    left.legend(fontsize="small")
    right.set(xlabel="latent, by how often it fires", ylabel="share of items where it fires")
    right.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    figure.tight_layout()
    return figure


METRIC_TITLES = {
    "rbo": "RBO (p = 0.9, depth 30)",
    "kendall_tau": "Kendall τ-b on the union",
    "ms_score": "monosemanticity score",
}


def beta_sweep(
    ours: Mapping[str, pd.DataFrame],
    paper: Mapping[str, pd.DataFrame],
    metrics: tuple[str, ...] = ("rbo", "kendall_tau", "ms_score"),
    spread: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    """One panel per metric against β: our sweeps as solid lines (their mean over seeds, with a
    band of ± one standard deviation when ``spread`` holds it), the paper's (keyed by the same
    names) dashed in the same colour."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.3 * len(metrics), 3.4))
    for index, (name, table) in enumerate(ours.items()):
        for axis, metric in zip(axes, metrics):
            axis.plot(table.index, table[metric], marker="o", color=f"C{index}", label=name)
            if spread is not None and name in spread:
                deviation = spread[name][metric]
                axis.fill_between(
                    table.index,
                    table[metric] - deviation,
                    table[metric] + deviation,
                    color=f"C{index}",
                    alpha=0.2,
                    linewidth=0,
                )
            if name in paper:
                axis.plot(
                    paper[name].index,
                    paper[name][metric],
                    marker="x",
                    linestyle="--",
                    color=f"C{index}",
                    label=f"{name}, paper",
                )
    for axis, metric in zip(axes, metrics):
        axis.set(title=METRIC_TITLES[metric], xlabel="β (weight of L_pred)")
    axes[0].legend(fontsize="small")
    figure.tight_layout()
    return figure


def trade_off(
    curves: Mapping[tuple[str, str], pd.DataFrame],
    paper: Mapping[str, Mapping[str, float]],
    metrics: tuple[str, str] = ("rbo", "kendall_tau"),
) -> Figure:
    """Fidelity against item L0, one colour per backbone and one marker per sparsity scheme,
    with the paper's β = 10 fidelity drawn as a star at the paper's L0 for that backbone."""
    backbones = list(dict.fromkeys(backbone for backbone, _ in curves))
    markers = {"KL": "o", "TopK": "s"}
    figure, axes = plt.subplots(1, len(metrics), figsize=(11, 3.8))
    for axis, metric in zip(axes, metrics):
        for (backbone, scheme), table in curves.items():
            ordered = table.sort_values("l0_items")
            axis.plot(
                ordered["l0_items"],
                ordered[metric],
                marker=markers[scheme],
                color=f"C{backbones.index(backbone)}",
                linestyle="-" if scheme == "KL" else ":",
                label=f"{backbone}, {scheme}",
            )
        for backbone, point in paper.items():
            color = f"C{backbones.index(backbone)}"
            axis.plot(
                point["l0_items"],
                point[metric],
                marker="*",
                markersize=14,
                color=color,
                linestyle="none",
                markeredgecolor="black",
                label=f"{backbone}, paper (β = 10)",
            )
        axis.set(title=METRIC_TITLES[metric], xlabel="active latents per item (L0)")
    axes[0].legend(fontsize="small")
    figure.tight_layout()
    return figure


def neuron_gallery(
    codes: np.ndarray,
    data: Interactions,
    table: pd.DataFrame,
    neurons: list[int],
    depth: int = 50,
    columns: int = 4,
    shown_labels: int = 4,
) -> Figure:
    """One compact card per neuron: the labels most common among its top-``depth`` items
    (bars) against their share in the whole catalogue (black ticks), titled with the neuron's
    label and purity, and footed with the dominant decade and mean popularity rank."""
    rows = -(-len(neurons) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.1 * rows), squeeze=False)
    labels = data.item_labels
    base_rate = labels.mean()
    order = np.argsort(-codes, axis=0, kind="stable")
    for axis, neuron in zip(axes.flat, neurons):
        shares = labels.iloc[order[:depth, neuron]].mean().sort_values(ascending=False).head(shown_labels)
        row = table.loc[neuron]
        colors = ["C3" if name == row["label"] else "C0" for name in shares.index]
        axis.barh(shares.index[::-1], shares.to_numpy()[::-1], color=colors[::-1])
        axis.scatter(
            base_rate[shares.index[::-1]], shares.index[::-1], marker="|", color="black", s=120, zorder=3
        )
        axis.set_xlim(0, 1)
        axis.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        axis.tick_params(labelsize="x-small")
        axis.set_title(
            f"#{neuron} {row['label']} · p@10 {row['purity@10']:.1f} · p@50 {row['purity@50']:.2f}",
            fontsize="small",
        )
        era = f"{row['decade_share']:.0%} {row['decade']}, " if "decade" in row else ""
        axis.set_xlabel(
            f"top {depth}: {era}mean popularity rank {row['popularity_rank@50']:.0f}", fontsize="x-small"
        )
    for axis in axes.flat[len(neurons) :]:
        axis.set_visible(False)
    figure.tight_layout()
    return figure


def decade_profiles(profiles: pd.DataFrame, catalogue: pd.Series, neurons: Mapping[str, int]) -> Figure:
    """Decade shares of the top items of a few named neurons, beside the catalogue's."""
    figure, axes = plt.subplots(
        1, len(neurons), figsize=(3.3 * len(neurons), 3.0), sharey=True, squeeze=False
    )
    positions = np.arange(len(profiles.columns))
    for axis, (name, neuron) in zip(axes[0], neurons.items()):
        axis.bar(positions, profiles.loc[neuron], color="C2", label="top items")
        axis.plot(
            positions,
            catalogue.reindex(profiles.columns).to_numpy(),
            color="black",
            marker="_",
            linestyle="none",
            markersize=18,
            label="catalogue",
        )
        axis.set_xticks(positions, profiles.columns, rotation=45, fontsize="small")
        axis.set_title(name, fontsize="small")
        axis.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    axes[0, 0].legend(fontsize="x-small")
    figure.tight_layout()
    return figure


def source_comparison(
    summary: pd.DataFrame, metrics: tuple[str, ...] = ("median_purity@10", "median_auc")
) -> Figure:
    """Grouped bars per backbone: each code source (the SAE and its baselines) on each metric.

    ``summary`` is indexed by (backbone, source)."""
    backbones = list(dict.fromkeys(summary.index.get_level_values(0)))
    sources = list(dict.fromkeys(summary.index.get_level_values(1)))
    figure, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.2))
    width = 0.8 / len(sources)
    for axis, metric in zip(axes, metrics):
        for index, source in enumerate(sources):
            values = [summary.loc[(backbone, source), metric] for backbone in backbones]
            axis.bar(
                np.arange(len(backbones)) + (index - (len(sources) - 1) / 2) * width,
                values,
                width,
                color=f"C{index}",
                label=source,
            )
        axis.set_xticks(np.arange(len(backbones)), backbones)
        axis.set_title(metric.replace("_", " "))
        axis.set_ylim(0, 1)
    axes[0].legend(fontsize="x-small")
    figure.tight_layout()
    return figure


def concept_recovery(recovery: pd.DataFrame, metrics: tuple[str, ...] = ("purity@20", "auc")) -> Figure:
    """Grouped bars per planted concept: how well each code source's neuron for it reads it.

    ``recovery`` is indexed by (source, concept), as ``recsae.concepts.baselines.concept_recovery``."""
    sources = list(dict.fromkeys(recovery.index.get_level_values(0)))
    concepts = list(dict.fromkeys(recovery.index.get_level_values(1)))
    figure, axes = plt.subplots(len(metrics), 1, figsize=(10, 2.6 * len(metrics)), sharex=True)
    width = 0.8 / len(sources)
    for axis, metric in zip(np.atleast_1d(axes), metrics):
        for index, source in enumerate(sources):
            axis.bar(
                np.arange(len(concepts)) + (index - (len(sources) - 1) / 2) * width,
                recovery.loc[source, metric].reindex(concepts),
                width,
                color=f"C{index}",
                label=source,
            )
        axis.set_ylabel(metric)
        axis.set_ylim(0, 1.05)
    bottom = np.atleast_1d(axes)[-1]
    bottom.set_xticks(np.arange(len(concepts)), concepts, rotation=30, ha="right")
    np.atleast_1d(axes)[0].legend(fontsize="x-small", ncols=len(sources), loc="lower left")
    figure.tight_layout()
    return figure


def group_heatmap(activation: pd.DataFrame, title: str) -> Figure:
    """Neurons (rows, labelled) × user groups: mean activation relative to all users."""
    figure, axis = plt.subplots(figsize=(2.2 + 1.1 * activation.shape[1], 0.26 * len(activation) + 1.2))
    image = axis.imshow(activation.to_numpy(), cmap="RdBu_r", vmin=0, vmax=2, aspect="auto")
    axis.set_xticks(range(activation.shape[1]), activation.columns)
    axis.set_yticks(range(len(activation)), activation.index, fontsize="small")
    for (row, column), value in np.ndenumerate(activation.to_numpy()):
        axis.text(
            column,
            row,
            f"{value:.2f}",
            ha="center",
            va="center",
            fontsize="x-small",
            color="white" if abs(value - 1) > 0.6 else "black",
        )
    axis.grid(False)
    figure.colorbar(image, ax=axis, label="relative to all users")
    axis.set_title(title, fontsize="small")
    figure.tight_layout()
    return figure


def _against_level(axis: plt.Axes, table: pd.DataFrame, column: str, paper: pd.Series | None) -> None:
    """One dose–response panel: ours against the level, the baselines as horizontal lines,
    and the paper's values (indexed by the same condition names) as grey crosses."""
    levels = levels_of(table.index)
    axis.plot(levels.to_numpy(), table.loc[levels.index, column], marker="o", color="C0", label="edited")
    axis.axhline(table.loc[ORIGINAL, column], color="black", linewidth=1, label="original recommender")
    axis.axhline(
        table.loc[RECONSTRUCTION, column], color="C1", linestyle=":", label="unedited reconstruction"
    )
    if paper is not None and paper.notna().any():
        shown = paper.reindex(levels.index)
        axis.plot(
            levels.to_numpy(),
            shown.to_numpy(),
            marker="x",
            linestyle="--",
            color="grey",
            label="paper, edited",
        )
        if pd.notna(paper.get(ORIGINAL)):
            axis.axhline(paper[ORIGINAL], color="grey", linewidth=1, linestyle="--", label="paper, original")


def dose_response(tables: Mapping[str, pd.DataFrame], paper: Mapping[str, pd.Series], target: str) -> Figure:
    """Per backbone (columns): the target label's share of the top 30 (top) and NDCG@10 of the
    group (bottom) against the edit level, with the three baselines and the paper's values."""
    figure, axes = plt.subplots(2, len(tables), figsize=(5.2 * len(tables), 6.0), squeeze=False, sharex="col")
    for column, (name, table) in enumerate(tables.items()):
        top, bottom = axes[0, column], axes[1, column]
        _against_level(top, table, "share", paper.get(name))
        _against_level(bottom, table, "ndcg@10", None)
        top.set(title=name, ylim=(0, 1), ylabel=f"{target} share of the top 30")
        top.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        bottom.set(xlabel="level the neuron is set to", ylabel="NDCG@10 of the group", ylim=(0, None))
    axes[0, 0].legend(fontsize="x-small")
    figure.tight_layout()
    return figure


def genre_shift(table: pd.DataFrame, title: str, min_share: float = 0.05) -> Figure:
    """Labels (rows) × conditions (columns) of a ``dose_response`` table: each label's share of
    the top 30, for the labels that reach ``min_share`` somewhere. Shows what replaces the
    suppressed genre, or what the nudged one pushes out."""
    shares = table.filter(like="share.").rename(columns=lambda name: name[len("share.") :]).T
    shares = shares[shares.max(axis=1) >= min_share]
    figure, axis = plt.subplots(figsize=(1.0 + 0.85 * shares.shape[1], 0.32 * len(shares) + 1.4))
    image = axis.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    axis.set_xticks(
        range(shares.shape[1]),
        [name.replace("level=", "") for name in shares.columns],
        rotation=45,
        ha="right",
        fontsize="small",
    )
    axis.set_yticks(range(len(shares)), shares.index, fontsize="small")
    for (row, column), value in np.ndenumerate(shares.to_numpy()):
        axis.text(
            column,
            row,
            f"{value:.2f}",
            ha="center",
            va="center",
            fontsize="x-small",
            color="white" if value > 0.5 else "black",
        )
    axis.grid(False)
    figure.colorbar(image, ax=axis, label="share of the top 30")
    axis.set_title(title, fontsize="small")
    figure.tight_layout()
    return figure


def promotion_ranks(ranks: Mapping[str, pd.DataFrame], outside: int = 20, inside: int = 30) -> Figure:
    """Per backbone: every audience user's rank of the promoted item per condition (log scale),
    with the top-``outside`` and top-``inside`` thresholds of the success measure."""
    figure, axes = plt.subplots(1, len(ranks), figsize=(5.2 * len(ranks), 3.6), squeeze=False, sharey=True)
    for axis, (name, table) in zip(axes[0], ranks.items()):
        offsets = np.linspace(-0.25, 0.25, len(table))
        for position, condition in enumerate(table.columns):
            axis.scatter(position + offsets, table[condition], s=10, color="C0", alpha=0.7)
            axis.plot([position - 0.3, position + 0.3], [table[condition].median()] * 2, color="C3")
        axis.axhline(outside, color="grey", linestyle=":", label=f"top {outside}")
        axis.axhline(inside, color="black", linestyle="--", label=f"top {inside}")
        axis.set_yscale("log")
        axis.invert_yaxis()
        axis.set_xticks(
            range(table.shape[1]),
            [name.replace("level=", "") for name in table.columns],
            rotation=45,
            ha="right",
            fontsize="small",
        )
        axis.set(title=name, ylabel="rank of the item (1 = top)")
    axes[0, 0].legend(fontsize="x-small")
    figure.tight_layout()
    return figure


def control_effects(effects: Mapping[str, pd.DataFrame]) -> Figure:
    """Per backbone: concepts (rows) × neurons (columns), the change in the concept's share of
    the probe users' top 30 when that neuron is edited (``steering.control_neuron``). A concept
    one neuron controls shows as a single dark cell in its row."""
    figure, axes = plt.subplots(
        len(effects), 1, figsize=(10, 1.0 + 0.45 * sum(len(t) for t in effects.values())), squeeze=False
    )
    limit = max(float(np.abs(table.to_numpy()).max()) for table in effects.values())
    for axis, (name, table) in zip(axes[:, 0], effects.items()):
        image = axis.imshow(table.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        axis.set_xticks(range(table.shape[1]), [f"#{neuron}" for neuron in table.columns], fontsize="x-small")
        axis.set_yticks(range(len(table)), table.index, fontsize="small")
        for (row, column), value in np.ndenumerate(table.to_numpy()):
            if abs(value) >= 0.05:
                axis.text(
                    column,
                    row,
                    f"{value:+.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if abs(value) > 0.6 * limit else "black",
                )
        axis.grid(False)
        axis.set_title(name, fontsize="small")
        figure.colorbar(image, ax=axis, label="change in share", fraction=0.03)
    figure.tight_layout()
    return figure


VERDICT_COLOURS = {
    "reproduced": "C2",
    "reproduced with a better value": "C9",
    "not reproduced": "C3",
    "not comparable": "C7",
    "missing": "0.8",
}


def verdict_bars(ledger: pd.DataFrame) -> Figure:
    """The scorecard at a glance: for each section of the paper, the share of its numbers and
    claims that got each verdict (``recsae.book.ledger``), with the section's count in its label."""
    counts = ledger.groupby(["section", "verdict"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=[v for v in VERDICT_COLOURS if v in counts.columns])
    counts = counts.reindex(list(dict.fromkeys(ledger["section"]))[::-1])
    shares = counts.div(counts.sum(axis=1), axis=0)
    labels = [f"{section} ({total})" for section, total in counts.sum(axis=1).items()]
    figure, axis = plt.subplots(figsize=(9, 0.45 * len(counts) + 1.6))
    left = np.zeros(len(counts))
    for verdict in shares.columns:
        values = shares[verdict].to_numpy()
        axis.barh(labels, values, left=left, color=VERDICT_COLOURS[verdict], label=verdict)
        left += values
    axis.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    axis.set_xlim(0, 1)
    axis.set_xlabel("share of the section's numbers and claims")
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3, frameon=False)
    figure.tight_layout()
    return figure


def popularity_spectrum(ours: Mapping[str, ArrayLike], paper: Mapping[str, ArrayLike]) -> Figure:
    """Every neuron's mean popularity percentile of its top 50 items, neurons sorted from head to
    tail and spread over the same axis whatever their number, ours solid and the paper's dashed:
    neurons have no fixed order, so spectra are compared, not neurons."""
    figure, axis = plt.subplots(figsize=(6.4, 3.6))
    for index, (name, values) in enumerate({**ours, **paper}.items()):
        ordered = np.sort(np.asarray(values, dtype=np.float64))
        position = (np.arange(len(ordered)) + 0.5) / len(ordered)
        style = "--" if name in paper else "-"
        axis.plot(position, ordered, style, marker=".", color=f"C{index}", label=name)
    axis.set(
        xlabel="neurons, from the most popular top 50 to the least",
        ylabel="mean popularity percentile of the top 50",
        ylim=(0, 100),
    )
    axis.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def prefix_popularity(
    percentiles: Mapping[str, ArrayLike], prefixes: Mapping[str, tuple[int, ...]]
) -> Figure:
    """One panel per Matryoshka SAE: each latent's mean popularity percentile of its top 50
    against its position, the prefixes' boundaries as vertical lines and each prefix's median as
    a horizontal segment. A broad-to-niche order rises from left to right."""
    figure, axes = plt.subplots(1, len(percentiles), figsize=(5.2 * len(percentiles), 3.4), squeeze=False)
    for axis, (name, values) in zip(axes[0], percentiles.items()):
        values = np.asarray(values, dtype=np.float64)
        axis.scatter(np.arange(1, len(values) + 1), values, s=10, color="C0")
        for start, stop in zip((0, *prefixes[name][:-1]), prefixes[name]):
            axis.hlines(np.nanmedian(values[start:stop]), start + 0.5, stop + 0.5, color="C3", linewidth=2)
            axis.axvline(stop + 0.5, color="grey", linewidth=0.8, linestyle=":")
        axis.set(title=name, xlabel="latent", ylabel="popularity percentile of the top 50", ylim=(0, 100))
    figure.tight_layout()
    return figure
