"""The figures the concept chapter's sentences cite, gathered from the tables it shows.

The chapter names neurons only through these keys (its prose says "the Horror neuron,
#<concept.horror.neuron>", never a typed index), so a retrained SAE that numbers its neurons
differently, or the quick profile's smaller data, still reads true.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from recsae.book.results import Value, flat, result_key, scope, short_name, slug
from recsae.concepts.neurons import PURITY_DEPTHS
from recsae.data.interactions import Interactions

UNDER_18 = "under 18"
"""The age group of the chapter's user heatmap that the sentences compare."""


def concept_figures(
    dataset: str,
    data: Interactions,
    tables: Mapping[str, pd.DataFrame],
    concepts: Mapping[str, pd.DataFrame],
    stability: pd.DataFrame,
    landmarks: Mapping[str, int],
    groups: pd.DataFrame,
) -> dict[str, Value]:
    """Result keys for the chapter's prose: per SAE the neurons pure at every depth, the label
    counts and each concept's neuron (``concept_profiles``); how many concepts survive the
    reseed; the catalogue's genre shares; and, for the MF SAE, its most concentrated era
    neuron, its most popular neuron (``landmarks``, from ``landmark_neurons``: eras first,
    popularity last) and the user groups' relative activation of the Romance, Children's
    and era neurons (``groups``, one row per neuron)."""
    values: dict[str, Value] = {}
    deepest = f"purity@{max(PURITY_DEPTHS)}"
    for model, table in tables.items():
        prefix = scope(dataset, model)
        values[result_key(prefix, "pure_neurons")] = int((table[deepest] == 1).sum())
        counts = table["label"].value_counts().reindex(data.item_labels.columns, fill_value=0)
        values.update({result_key(prefix, "label_count", slug(label)): int(n) for label, n in counts.items()})
        values.update(flat(result_key(prefix, "concept"), concepts[model].rename(index=slug)))
        reseed = stability.xs(model.upper())
        returned = reseed.index[reseed["same_neuron"].astype(bool)]
        values[result_key(prefix, "reseed", "returned")] = len(returned)
        values[result_key(prefix, "reseed", "returned_concepts")] = _listed(list(returned))
    main = short_name(dataset)
    values[result_key(main, "reseed", "concepts")] = len(stability.xs(next(iter(tables)).upper()))
    values[result_key(main, "catalogue", "items")] = len(data.items)
    shares = data.item_labels.mean()
    values.update(
        {result_key(main, "catalogue", "share", slug(label)): float(share) for label, share in shares.items()}
    )

    mf = scope(dataset, "mf")
    neurons = list(landmarks.values())
    era, popular = neurons[0], neurons[-1]
    row = tables["mf"].loc[era]
    values.update(
        {
            result_key(mf, "era", "neuron"): int(era),
            result_key(mf, "era", "label"): str(row["label"]),
            result_key(mf, "era", "decade"): str(row["decade"]),
            result_key(mf, "era", "decade_share"): float(row["decade_share"]),
            result_key(mf, "era", "catalogue_share"): float((data.items["decade"] == row["decade"]).mean()),
            result_key(mf, "popular", "neuron"): int(popular),
            result_key(mf, "popular", "popularity_rank@50"): float(
                tables["mf"].loc[popular, "popularity_rank@50"]
            ),
        }
    )
    romance = int(concepts["mf"].loc["Romance", "neuron"])
    childrens = int(concepts["mf"].loc["Children's", "neuron"])
    values.update(
        {
            result_key(mf, "users", "romance", "f"): float(groups.loc[romance, "F"]),
            result_key(mf, "users", "romance", "m"): float(groups.loc[romance, "M"]),
            result_key(mf, "users", "childrens", "under18"): float(groups.loc[childrens, UNDER_18]),
            result_key(mf, "users", "era", "under18"): float(groups.loc[era, UNDER_18]),
        }
    )
    return values


def _listed(names: list[str]) -> str:
    """Names as a sentence lists them: "A", "A and B", "A, B and C"; "none" when empty."""
    if not names:
        return "none"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
