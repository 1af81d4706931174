"""A neuron explorer that works from a file: every neuron of the main SAEs, its card and an
edit of a typical user, precomputed here and shown with Bokeh widgets whose JavaScript is
embedded in the page (no server, no CDN).

A reader picks a neuron and sees its card: its label and purity@10/20/50 and AUC, the decade and
popularity of its top items, its top films with their genres, and the films whose score rises
most for the typical user when the neuron is switched on. A slider sets the neuron in that user's
code to a level and shows the user's new top 10. Everything the widgets show is computed in
Python (``neuron_pages``); the page's only script swaps precomputed HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from bokeh.embed import components
from bokeh.layouts import column, row
from bokeh.models import CustomJS, Div, Select, Slider
from bokeh.resources import Resources
from IPython.display import HTML

from recsae.concepts.neurons import PURITY_DEPTHS, neuron_table, top_items
from recsae.setting import Setting
from recsae.steering import ORIGINAL, RECONSTRUCTION, level_name, steer_users

LEVELS = (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)
"""The slider's levels: the value the neuron is set to in the typical user's code."""
TOP_FILMS = 10
"""Top items listed on a card, and the length of the edited user's list."""
LIFTED = 5
"""Films listed as the ones the neuron lifts most."""
BOKEH = Resources(mode="inline", components=["bokeh", "bokeh-widgets"])
"""BokehJS and its widgets, inlined into the page: the explorer works from a file."""


def typical_user(setting: Setting) -> int:
    """The SAE test user with the median number of training interactions (the first such user):
    an ordinary history, neither a newcomer nor a heavy rater."""
    users = np.asarray(setting.held_out.sae_test_users)
    counts = np.asarray(setting.held_out.train_matrix()[users].sum(axis=1)).ravel()
    return int(users[np.argsort(counts, kind="stable")[(len(users) - 1) // 2]])


def _genres(labels: pd.DataFrame, item: int) -> str:
    carried = labels.iloc[item]
    return ", ".join(carried.index[carried.to_numpy(dtype=bool)])


def _film_list(setting: Setting, items: Sequence[int]) -> str:
    titles, labels = setting.data.items["title"], setting.item_labels
    entries = "".join(
        f"<li>{html.escape(str(titles.iloc[item]))} <small>({html.escape(_genres(labels, item))})</small>"
        "</li>"
        for item in items
    )
    return f"<ol>{entries}</ol>"


def _unseen_top(setting: Setting, scores: np.ndarray, user: int) -> np.ndarray:
    """The top ``TOP_FILMS`` items of one user's scores, the items the user trained on left out."""
    masked = scores.astype(np.float64).copy()
    masked[setting.held_out.train_matrix()[user].indices] = -np.inf
    return np.argsort(-masked, kind="stable")[:TOP_FILMS]


def _card(
    setting: Setting, name: str, neuron: int, reading: pd.Series, top: np.ndarray, lift: np.ndarray
) -> str:
    purities = " · ".join(f"purity@{k} {reading[f'purity@{k}']:.2f}" for k in PURITY_DEPTHS)
    return (
        f"<h4>{html.escape(name)} neuron #{neuron}: {html.escape(str(reading['label']))}</h4>"
        f"<p>{purities} · AUC {reading['auc']:.2f}</p>"
        f"<p>{reading['decade_share']:.0%} of its top 50 from the {html.escape(str(reading['decade']))};"
        f" mean popularity rank of its top 50: {reading['popularity_rank@50']:.0f}"
        f" of {setting.data.n_items} (0 is the most watched)</p>"
        f"<p><b>Top films</b></p>{_film_list(setting, top)}"
        f"<p><b>Lifted most for the typical user</b> (set from {LEVELS[0]:g} to {LEVELS[-1]:g})</p>"
        f"{_film_list(setting, np.argsort(-lift, kind='stable')[:LIFTED])}"
    )


def neuron_pages(setting: Setting, name: str, user: int) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Per neuron of ``setting``'s SAE, keyed by its menu entry (``<name> #<j> <label>``): its HTML
    card, and the typical ``user``'s top 10 at each of ``LEVELS`` (with the original recommender's
    and the unedited reconstruction's lists below), the films the user trained on left out."""
    codes = setting.codes["item"]
    table = neuron_table(codes, setting.item_labels, setting.data.items)
    tops = top_items(codes, TOP_FILMS)
    cards, lists = {}, {}
    for neuron, reading in table.iterrows():
        edits = steer_users(setting, np.array([user]), int(neuron), list(LEVELS))
        scores = {condition: score[0].detach().numpy() for condition, score in edits.items()}
        key = f"{name} #{neuron} {reading['label']}"
        lift = scores[level_name(LEVELS[-1])] - scores[level_name(LEVELS[0])]
        cards[key] = _card(setting, name, int(neuron), reading, tops[int(neuron)], lift)
        unedited = "".join(
            f"<p><b>{title}</b></p>{_film_list(setting, _unseen_top(setting, scores[condition], user))}"
            for title, condition in (
                ("Original recommender", ORIGINAL),
                ("Unedited reconstruction", RECONSTRUCTION),
            )
        )
        lists[key] = [
            f"<p><b>Neuron set to {level:g}</b></p>"
            f"{_film_list(setting, _unseen_top(setting, scores[level_name(level)], user))}{unedited}"
            for level in LEVELS
        ]
    return cards, lists


def explorer(settings: Mapping[str, Setting]) -> HTML:
    """The explorer for the SAEs of ``settings`` (name → setting), as one self-contained HTML output."""
    cards: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for name, setting in settings.items():
        setting_cards, setting_lists = neuron_pages(setting, name, typical_user(setting))
        cards.update(setting_cards)
        lists.update(setting_lists)
    first = next(iter(cards))
    menu = Select(title="Neuron", options=list(cards), value=first, width=320)
    level = Slider(
        title="Level in the typical user's code", start=0, end=len(LEVELS) - 1, step=1, value=0, width=320
    )
    card = Div(text=cards[first], width=460)
    edited = Div(text=lists[first][0], width=460)
    swap = CustomJS(
        args={"menu": menu, "level": level, "card": card, "edited": edited, "cards": cards, "lists": lists},
        code="card.text = cards[menu.value]; edited.text = lists[menu.value][level.value];",
    )
    menu.js_on_change("value", swap)
    level.js_on_change("value", swap)
    script, division = components(column(row(menu, level), row(card, edited)))
    return HTML(BOKEH.render_js() + script + division)
