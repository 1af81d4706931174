"""The paper's steering case studies as data, and how the steering chapter runs them.

A case study is an edit (suppress, nudge or promote), a backbone, the concept whose neuron is
edited, the audience it is applied to and reported on, the levels of its sweep and the level
the paper reports last. ``CASE_STUDIES`` lists the paper's ML-1M ones; every table and figure
of the chapter is built from that list, and a variant (another reading of the neuron, another
SAE, another item table) is the same case study run with one thing changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from torch import Tensor

from recsae.book.paper import reported_series
from recsae.book.results import Value, flat, result_key, scope, slug
from recsae.concepts.neurons import concept_readings, top_fans
from recsae.setting import Setting
from recsae.steering import (
    PROMOTION_THRESHOLD,
    against_paper,
    control_neuron,
    levels_of,
    neuron_scale,
    promotion_dose_response,
    user_dose_response,
)

SUPPRESSION_LEVELS = (1, 0.5, 0, -0.5, -1, -1.5)
NUDGING_LEVELS = (1, 1.5, 2, 2.5, 3, 3.5, 4)
PROMOTION_LEVELS = tuple(range(9))
"""The paper's levels 0 to 5, and on to 8 to show where the curve goes."""


@dataclass(frozen=True)
class Fans:
    """The ``size`` users with the highest share of ``genre`` in their history."""

    genre: str
    size: int

    def users(self, setting: Setting, among: NDArray[np.int64]) -> NDArray[np.int64]:
        return top_fans(setting.interaction_matrix, setting.item_labels, self.genre, among, self.size)


@dataclass(frozen=True)
class AgeGroup:
    """Every user of one MovieLens age group (``"Under 18"``)."""

    group: str

    def users(self, setting: Setting, among: NDArray[np.int64]) -> NDArray[np.int64]:
        return among[setting.data.users["age_group"].to_numpy()[among] == self.group]


Audience = Fans | AgeGroup


@dataclass(frozen=True)
class CaseStudy:
    """One steering case study on one backbone.

    ``reading`` is the column of ``neuron_readings`` that names the edited neuron: the
    user-side reading for an edit of users' codes, the item-side one for an edit of a film's
    code, or the control reading. The audience is drawn from the SAE test users.
    """

    title: str
    backbone: Literal["mf", "ncf"]
    edit: Literal["suppress", "nudge", "promote"]
    concept: str
    audience: Audience
    levels: tuple[float, ...]
    paper_level: float
    reading: Literal["user_neuron", "item_neuron", "control_neuron"] = "user_neuron"
    promoted: str | None = None
    mode: Literal["set", "range"] = "set"
    """How a level is read: the neuron's raw value (ML-1M) or a point of the edited vector's own
    code range (the paper's Last.FM convention, ``recsae.steering.EDITS``)."""
    threshold: int = PROMOTION_THRESHOLD
    """A promotion's ``th``: success takes the item from outside the top th into the top th + 10."""

    @property
    def key(self) -> str:
        """The case study's part of its result keys: ``suppress.horror``, ``promote``."""
        return "promote" if self.edit == "promote" else f"{self.edit}.{slug(self.concept)}"

    @property
    def measure(self) -> str:
        """The column of its table that the paper reports: the concept's share of the top 30, or
        for a promotion the success share by the official measure."""
        return "official_success" if self.edit == "promote" else "share"

    @property
    def paper_measure(self) -> str:
        """The name the paper's numbers go by (``recsae.book.paper``): the share, or for a
        promotion the success share."""
        return "success" if self.edit == "promote" else "share"

    @property
    def side(self) -> Literal["user", "item"]:
        """Whose codes are edited."""
        return "item" if self.edit == "promote" else "user"

    def audience_of(self, setting: Setting) -> NDArray[np.int64]:
        return self.audience.users(setting, setting.held_out.sae_test_users)

    def promoted_item(self, setting: Setting) -> int:
        """The promoted film (by title) or artist (by name)."""
        items = setting.data.items
        names = items["title" if "title" in items else "name"].to_numpy()
        matches = np.flatnonzero(names == self.promoted)
        if len(matches) == 0:
            raise ValueError(f"No item named {self.promoted!r} in {setting.data.name}.")
        return int(matches[0])


PROMOTED_TITLE = "Alice in Wonderland (1951)"

CASE_STUDIES = (
    CaseStudy("suppress Horror", "mf", "suppress", "Horror", Fans("Horror", 20), SUPPRESSION_LEVELS, -1.5),
    CaseStudy("suppress Action", "ncf", "suppress", "Action", Fans("Action", 20), SUPPRESSION_LEVELS, -1.5),
    CaseStudy("nudge Children's", "mf", "nudge", "Children's", AgeGroup("Under 18"), NUDGING_LEVELS, 4),
    CaseStudy("nudge Children's", "ncf", "nudge", "Children's", AgeGroup("Under 18"), NUDGING_LEVELS, 4),
    *(
        CaseStudy(
            "promote Alice",
            backbone,
            "promote",
            "Romance",
            Fans("Romance", 20),
            PROMOTION_LEVELS,
            5,
            reading="item_neuron",
            promoted=PROMOTED_TITLE,
        )
        for backbone in ("mf", "ncf")
    ),
)
"""The paper's three ML-1M case studies on both backbones: MF suppresses Horror and NCF Action
for the genre's 20 heaviest fans, both nudge the users under 18 towards children's films, and
both promote Alice in Wonderland to the 20 heaviest Romance fans through its Romance neuron."""


MUSIC_SUPPRESSION_LEVELS = {"mf": (0, -0.5, -1, -1.5, -2), "ncf": (0, -0.5, -1, -1.5, -2, -2.5, -3)}
MUSIC_NUDGING_LEVELS = {"mf": (1, 1.5, 2, 2.5, 3), "ncf": NUDGING_LEVELS}
"""The paper's Last.FM levels, in each edited vector's own code range."""

MUSIC_CASE_STUDIES = (
    CaseStudy(
        "promote Bob Marley",
        "mf",
        "promote",
        "pop",
        Fans("pop", 20),
        PROMOTION_LEVELS,
        8,
        reading="item_neuron",
        promoted="Bob Marley & The Wailers",
        threshold=50,
    ),
    CaseStudy(
        "nudge metal fans towards country",
        "mf",
        "nudge",
        "country",
        Fans("metal", 20),
        MUSIC_NUDGING_LEVELS["mf"],
        3,
        mode="range",
    ),
    CaseStudy(
        "suppress hip-hop",
        "mf",
        "suppress",
        "hip-hop",
        Fans("hip-hop", 20),
        MUSIC_SUPPRESSION_LEVELS["mf"],
        -2,
        mode="range",
    ),
    CaseStudy(
        "suppress electronic",
        "ncf",
        "suppress",
        "electronic",
        Fans("electronic", 40),
        MUSIC_SUPPRESSION_LEVELS["ncf"],
        -3,
        mode="range",
    ),
    CaseStudy(
        "nudge folk fans towards rock",
        "ncf",
        "nudge",
        "rock",
        Fans("folk", 40),
        MUSIC_NUDGING_LEVELS["ncf"],
        4,
        mode="range",
    ),
    CaseStudy(
        "promote The Whitest Boy Alive",
        "ncf",
        "promote",
        "folk",
        Fans("electronic", 40),
        tuple(range(5)),
        4,
        reading="item_neuron",
        promoted="The Whitest Boy Alive",
        mode="range",
        threshold=200,
    ),
)
"""The paper's six Last.FM case studies (official ``code/lastFM``): MF promotes Bob Marley & The
Wailers to the 20 heaviest pop fans through its pop neuron (raw levels), nudges metal fans
towards country and suppresses hip-hop; NCF suppresses electronic music for its 40 heaviest
fans, nudges folk fans towards rock, and promotes The Whitest Boy Alive to electronic fans
through its folk neuron. Every edit but the MF promotion is in the vector's own code range."""

MUSIC_READ_CONCEPTS = ("pop", "country", "hip-hop", "electronic", "rock", "folk")
"""The concepts the Last.FM case studies edit, read on both sides."""


@dataclass(frozen=True)
class ControlProbe:
    """The probe users and level of a concept's control reading, drawn from the SAE training
    users so that the case studies are never reported on the users their neuron was picked on."""

    concept: str
    probes: Audience
    level: float


CONTROL_PROBES = (
    ControlProbe("Horror", Fans("Horror", 100), -1.0),
    ControlProbe("Action", Fans("Action", 100), -1.0),
    ControlProbe("Children's", AgeGroup("Under 18"), 3.0),
)

READ_CONCEPTS = ("Horror", "Action", "Children's", "Romance")
"""The concepts the case studies edit, read on both sides."""


def descriptive_readings(setting: Setting, concepts: tuple[str, ...] = READ_CONCEPTS) -> pd.DataFrame:
    """The item-side and user-side readings of each concept (``concept_readings``), the user side
    read on the SAE training users."""
    return concept_readings(
        setting.codes["item"],
        setting.codes["user"],
        setting.interaction_matrix,
        setting.item_labels,
        list(concepts),
        setting.held_out.sae_train_users,
    )


def control_readings(
    setting: Setting, probes: tuple[ControlProbe, ...] = CONTROL_PROBES
) -> dict[str, pd.Series]:
    """The control reading (``control_neuron``) of each probe's concept."""
    return {
        probe.concept: control_neuron(
            setting, probe.probes.users(setting, setting.held_out.sae_train_users), probe.concept, probe.level
        )
        for probe in probes
    }


def runner_up(reading: pd.Series, level: float) -> tuple[int, float]:
    """The neuron whose edit moves the concept second furthest in the intended direction, and
    its effect: how clearly the control neuron stands out from the rest."""
    order = np.argsort(-np.sign(level) * np.asarray(reading["effects"]), kind="stable")
    second = int(order[1])
    return second, float(reading["effects"][second])


def with_control(descriptive: pd.DataFrame, controls: dict[str, pd.Series]) -> pd.DataFrame:
    """The descriptive readings with the control neuron, its effect and the runner-up neuron
    and its effect beside them, where the concept has a control probe."""
    levels = {probe.concept: probe.level for probe in CONTROL_PROBES}
    columns = {}
    for concept, reading in controls.items():
        second, effect = runner_up(reading, levels[concept])
        columns[concept] = {
            "control_neuron": reading["neuron"],
            "control_effect": reading["effect"],
            "runner_up_neuron": second,
            "runner_up_effect": effect,
        }
    control_columns = pd.DataFrame.from_dict(columns, orient="index")
    return descriptive.join(control_columns).astype({"control_neuron": "Int64", "runner_up_neuron": "Int64"})


def setting_scope(setting: Setting) -> str:
    """The first two parts of a setting's result keys (``ml1m.mf``)."""
    return scope(setting.data.name, setting.backbone)


VARIANT_COLUMNS = ("share", "success", "official_success", "median_rank", "ndcg@10")
"""The columns a variant reports: its measures, not the side effects on every other genre."""


@dataclass(frozen=True, eq=False)
class CaseRun:
    """A case study run in one setting, its neuron chosen from ``readings`` of that setting.

    ``variant`` names a run that changes one thing about the paper's case study (another
    reading of the neuron, another SAE, the recommender's own item table as ``item_vectors``);
    it goes into the result keys and reports only the ``VARIANT_COLUMNS``.
    """

    setting: Setting
    case: CaseStudy
    readings: pd.DataFrame
    variant: str | None = None
    item_vectors: Tensor | None = None

    @property
    def neuron(self) -> int:
        return int(self.readings.loc[self.case.concept, self.case.reading])

    @cached_property
    def audience(self) -> NDArray[np.int64]:
        return self.case.audience_of(self.setting)

    @cached_property
    def outcome(self) -> tuple[pd.DataFrame, dict[str, Tensor] | pd.DataFrame]:
        """The dose–response table (``user_dose_response`` or ``promotion_dose_response``) and
        its detail: the scores of every condition for an edit of users, the promoted film's
        ranks for a promotion."""
        case, setting = self.case, self.setting
        if case.edit == "promote":
            item = case.promoted_item(setting)
            return promotion_dose_response(
                setting,
                item,
                self.neuron,
                case.levels,
                self.audience,
                self.item_vectors,
                case.mode,
                case.threshold,
            )
        return user_dose_response(
            setting, self.audience, self.neuron, case.levels, case.concept, self.item_vectors, case.mode
        )

    @property
    def table(self) -> pd.DataFrame:
        return self.outcome[0]

    @property
    def key(self) -> str:
        """The key prefix of the run's results: ``ml1m.mf.suppress.horror``, with the variant
        appended (``ml1m.ncf.nudge.childrens.control_neuron``)."""
        parts = (self.case.key,) if self.variant is None else (self.case.key, self.variant)
        return result_key(setting_scope(self.setting), *parts)

    def paper(self, conditions: pd.Index | None = None) -> pd.Series:
        """The paper's values of the case study's measure per condition of the table (NaN where
        the paper reports none)."""
        prefix = result_key(setting_scope(self.setting), self.case.key)
        index = self.table.index if conditions is None else conditions
        return reported_series(prefix, index, self.case.paper_measure)

    def beside_paper(self) -> pd.Series:
        """The run at the paper's last level, beside the paper (``against_paper``)."""
        return against_paper(self.table, self.case.measure, self.paper(), self.case.paper_level)

    def level_scale(self) -> dict[str, float]:
        """Where the levels stand on the edited neuron's own scale (``neuron_scale``): over the
        audience's codes for an edit of users, over the film's own code for a promotion."""
        side = self.case.side
        rows = [self.case.promoted_item(self.setting)] if side == "item" else self.audience
        return {"neuron": self.neuron, **neuron_scale(self.setting.codes[side], self.neuron, rows)}

    def results(self) -> dict[str, Value]:
        """The run's result keys (``flat``), with its ``level_scale`` under ``<key>.scale`` and
        its ``beside_paper`` end point under ``<key>.end``."""
        columns = (
            self.table
            if self.variant is None
            else self.table[[c for c in VARIANT_COLUMNS if c in self.table]]
        )
        values = flat(self.key, columns)
        scale = self.level_scale()
        values.update(
            {
                f"{self.key}.scale.{name.replace(' ', '_')}": value
                for name, value in scale.items()
                if name != "neuron"
            }
        )
        end = self.beside_paper().rename(lambda name: name.replace(" ", "_"))
        values.update(flat(f"{self.key}.end", end, skip_missing=True))
        gap = self.paper_gap()
        if gap is not None:
            values[f"{self.key}.paper_gap.max"] = gap
        return values

    def paper_gap(self) -> float | None:
        """The largest distance between our curve and the paper's over the levels the paper
        reports, or None where it reports none."""
        levels = levels_of(self.table.index).index
        gaps = (self.table.loc[levels, self.case.measure] - self.paper(levels)).abs().dropna()
        return float(gaps.max()) if len(gaps) else None


def reading_results(setting: Setting, readings: pd.DataFrame) -> dict[str, Value]:
    """Result keys of a setting's concept readings: ``ml1m.mf.neuron.<concept>.<reading>``, for
    the readings each concept has."""
    prefix = setting_scope(setting)
    values: dict[str, Value] = {}
    for concept, reading in readings.iterrows():
        values.update(flat(result_key(prefix, "neuron", slug(str(concept))), reading, skip_missing=True))
    return values
