"""The music chapter's readings: the paper's Last.FM claims, measured with the MovieLens tools.

Everything here is the MovieLens path run on another dataset (``Profile.music_dataset``): the
same SAEs, sweeps, neuron readings and case studies. What is new is what the paper claims only
on Last.FM: tag families, neurons of the popularity head and tail, and the order of a
Matryoshka SAE's prefixes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsae.book.profiles import Profile
from recsae.book.seeds import reseeded
from recsae.concepts.matryoshka import popularity_percentile, prefix_breadth
from recsae.concepts.neurons import concept_profiles, silent_neurons
from recsae.setting import Setting, setting
from recsae.training.sae_ensemble import trained_saes
from recsae.training.sae_trainer import trained_sae

MUSIC_CONCEPTS = ("metal", "electronic", "folk", "hip-hop", "country", "pop", "rock")
"""The tags the paper names on Last.FM (its Table 1 and case studies); metal, electronic and
hip-hop are tag families (``recsae.data.datasets.LASTFM_TAG_FAMILIES``)."""

COUNT_DEPTH = 50
"""Top artists counted for the paper's folk neuron (38 of its top 50 carry folk)."""


def trained_matryoshkas(profile: Profile, dataset: str | None = None) -> list[Setting]:
    """The Matryoshka SAE of ``dataset`` for every seed of the profile: seed 0 trained alone, as
    the book's own SAEs are, the others together in one ensemble."""
    runs = [reseeded(profile.matryoshka_run(dataset), seed) for seed in profile.seeds]
    trained_sae(runs[0])
    trained_saes(runs[1:])
    return [setting(run) for run in runs]


def breadth(measured: Setting) -> pd.DataFrame:
    """``prefix_breadth`` of a Matryoshka SAE's item codes."""
    return prefix_breadth(
        measured.codes["item"],
        measured.item_labels,
        measured.data.items["popularity_rank"],
        measured.autoencoder.config.prefixes,
    )


def tag_concepts(measured: Setting) -> pd.DataFrame:
    """``concept_profiles`` of the ``MUSIC_CONCEPTS`` with, per concept, how many of its neuron's
    top ``COUNT_DEPTH`` artists carry the tag (``count@50``)."""
    table = concept_profiles(measured.codes["item"], measured.item_labels, list(MUSIC_CONCEPTS))
    return table.assign(**{f"count@{COUNT_DEPTH}": (table[f"purity@{COUNT_DEPTH}"] * COUNT_DEPTH).round()})


def popularity_extremes(measured: Setting) -> pd.Series:
    """The live neurons whose top 50 artists are the most and the least popular on average
    (``popularity_percentile``: 0 = the head of the catalogue), and their percentiles."""
    percentile = pd.Series(neuron_percentiles(measured))[~silent_neurons(measured.codes["item"])]
    return pd.Series(
        {
            "head": float(percentile.min()),
            "head_neuron": int(percentile.idxmin()),
            "tail": float(percentile.max()),
            "tail_neuron": int(percentile.idxmax()),
        }
    )


def neuron_percentiles(measured: Setting) -> np.ndarray:
    """Every neuron's ``popularity_percentile``, for the spectrum beside the paper's."""
    return popularity_percentile(measured.codes["item"], measured.data.items["popularity_rank"])
