"""The claims ledger: its rule on hand-computed cases, its measured claims on small hand-built
results, and the committed scorecard against the committed results files."""

from __future__ import annotations

import json

import pytest

from recsae.book import ledger
from recsae.book.paper import CLAIMS, REPORTED
from recsae.book.results import results_path


def test_the_tolerance_is_the_larger_floor_plus_two_seed_deviations() -> None:
    assert ledger.tolerance(0.5, 0.0) == pytest.approx(0.05)  # 10 % of 0.5 beats the 0.03 floor
    assert ledger.tolerance(0.1, 0.0) == pytest.approx(0.03)  # the floor beats 10 % of 0.1
    assert ledger.tolerance(0.1, 0.01) == pytest.approx(0.05)  # plus 2 × 0.01
    assert ledger.tolerance(-0.2, 0.0) == pytest.approx(0.03)


@pytest.mark.parametrize(
    ("paper", "ours", "std", "better", "expected"),
    [
        (0.5, 0.54, 0.0, "higher", "reproduced"),
        (0.5, 0.46, 0.0, None, "reproduced"),
        (0.5, 0.56, 0.0, "higher", "reproduced with a better value"),
        (0.5, 0.44, 0.0, "higher", "not reproduced"),
        (0.5, 0.44, 0.0, "lower", "reproduced with a better value"),
        (0.5, 0.56, 0.0, None, "not reproduced"),
        (0.5, 0.44, 0.01, "higher", "reproduced"),  # within 0.05 + 0.02
        (5.38, 9.15, 0.0, None, "not reproduced"),
    ],
)
def test_verdicts_follow_the_rule(paper: float, ours: float, std: float, better, expected: str) -> None:
    assert ledger.verdict(paper, ours, std, better) == expected


def test_our_value_is_the_seed_mean_where_there_are_seeds() -> None:
    results = {"a": 0.5, "a.mean": 0.6, "a.std": 0.1, "b": 2, "c": "Horror", "d": True}
    assert ledger.ours_mean(results, "a") == (0.6, 0.1)
    assert ledger.ours_mean(results, "b") == (2.0, 0.0)
    assert ledger.ours_mean(results, "c") is None
    assert ledger.ours_mean(results, "d") is None
    assert ledger.ours_mean(results, "e") is None


def test_every_paper_number_and_claim_has_exactly_one_record() -> None:
    table = ledger.ledger({})
    assert sorted(table.index) == sorted([*REPORTED, *CLAIMS])
    assert table.index.is_unique
    assert set(table["verdict"]) <= set(ledger.VERDICTS)
    assert (table.loc[list(REPORTED), "verdict"].isin(["missing", "not comparable"])).all()


def test_a_number_outside_every_group_is_an_error() -> None:
    with pytest.raises(KeyError, match="No ledger group"):
        ledger.group_of("ml2m.xyz")


def _neuron(n: int, label: str, purities: tuple[float, float, float]) -> dict:
    p10, p20, p50 = purities
    return {
        f"ml1m.mf.neuron={n}.label": label,
        f"ml1m.mf.neuron={n}.purity@10": p10,
        f"ml1m.mf.neuron={n}.purity@20": p20,
        f"ml1m.mf.neuron={n}.purity@50": p50,
    }


def test_the_comedy_and_horror_claim_takes_the_weaker_of_the_two_best_neurons() -> None:
    results = {
        **_neuron(0, "Comedy", (1.0, 1.0, 1.0)),
        **_neuron(1, "Comedy", (1.0, 0.9, 0.7)),
        **_neuron(2, "Horror", (1.0, 0.95, 0.9)),
    }
    assert ledger.pure_comedy_and_horror(results) == pytest.approx(0.9)


def test_the_era_and_popularity_claims_read_the_concept_chapters_landmark_neurons() -> None:
    results = {
        "ml1m.mf.era.decade": "1980s",
        "ml1m.mf.era.decade_share": 0.62,
        "ml1m.n_items": 2000,
        "ml1m.mf.popular.popularity_rank@50": 150.0,
    }
    assert ledger.era_neuron_share(results) == pytest.approx(0.62)
    assert ledger.era_neuron_share({**results, "ml1m.mf.era.decade": "1990s"}) == 0.0
    assert ledger.most_popular_neuron(results) == pytest.approx(150 / 2000)
    assert ledger.era_neuron_share({}) is None and ledger.most_popular_neuron({}) is None


def test_the_fidelity_claim_needs_every_seed_at_beta_10_above_every_seed_at_beta_0() -> None:
    results = {}
    for model in ("mf_official", "ncf"):
        for metric in ("rbo", "kendall_tau"):
            results[f"ml1m.{model}.beta=10.{metric}.seeds"] = [0.5, 0.6]
            results[f"ml1m.{model}.beta=0.{metric}.seeds"] = [0.2, 0.3]
    assert ledger.fidelity_gain_over_beta0(results) == pytest.approx(0.2)
    results["ml1m.ncf.beta=0.rbo.seeds"] = [0.2, 0.55]
    assert ledger.fidelity_gain_over_beta0(results) == pytest.approx(-0.05)


def test_the_ms_claim_ranks_beta_0_by_its_mean() -> None:
    means = {0: 0.7, 1: 0.6, 2: 0.65, 5: 0.5, 10: 0.55}
    results = {f"ml1m.mf_official.beta={b}.ms_score.mean": m for b, m in means.items()}
    results.update({f"ml1m.mf_official.beta={b}.ms_score.std": 0.0 for b in means})
    assert ledger.ms_rank_of_beta0(results) == 5.0


def test_a_case_study_counts_when_it_moves_its_target_far_enough_the_intended_way() -> None:
    results = {}
    for prefix, measure, level, sign in ledger.STEERING_ENDS:
        results[f"{prefix}.reconstruction.{measure}"] = 0.5
        results[f"{prefix}.{level}.{measure}"] = 0.5 + sign * 0.2
    assert ledger.steering_case_studies_that_move(results) == len(ledger.STEERING_ENDS)
    prefix, measure, level, sign = ledger.STEERING_ENDS[0]
    results[f"{prefix}.{level}.{measure}"] = 0.5 - sign * 0.2  # the wrong way
    assert ledger.steering_case_studies_that_move(results) == len(ledger.STEERING_ENDS) - 1


def test_the_lastfm_concept_claims_on_hand_built_results() -> None:
    results = {
        f"lastfm.{m}.concept.{c}.purity@20": p
        for (m, c), p in {
            ("mf", "metal"): 1.0,
            ("mf", "electronic"): 0.95,
            ("ncf", "metal"): 0.9,
            ("ncf", "electronic"): 0.65,
        }.items()
    }
    assert ledger.pure_metal_and_electronic(results) == pytest.approx(0.65)
    assert ledger.pure_metal_and_electronic({}) is None
    assert ledger.folk_artists_in_top_50({"lastfm.ncf.concept.folk.count@50": 35.0}) == 35.0
    folk = next(claim for claim in ledger.QUALITATIVE if claim.claim == "lastfm.folk_neuron")
    # 38 ± max(0.03, 10 % of 38) = 38 ± 3.8: 35 is within, 34 is not, 45 is better.
    assert [folk.holds(count) for count in (35.0, 34.0, 45.0)] == [True, False, True]
    span = {"lastfm.ncf.popularity.head": 1.5, "lastfm.ncf.popularity.tail": 80.0}
    assert ledger.head_tail_span(span) == pytest.approx(78.5)


def test_the_matryoshka_claims_read_the_seed_mean_of_the_breadth_gap() -> None:
    results = {
        "lastfm.matryoshka.breadth_gap.mean": 8.0, "lastfm.matryoshka.breadth_gap.std": 1.0,
        "ml1m.matryoshka.breadth_gap.mean": 2.0, "ml1m.matryoshka.breadth_gap.std": 0.5,
    }  # fmt: skip
    table = ledger.ledger(results)
    assert table.loc["matryoshka_broad_to_niche", "ours"] == 8.0
    assert table.loc["matryoshka_broad_to_niche", "verdict"] == "reproduced"
    assert table.loc["matryoshka_movielens", "verdict"] == "reproduced"
    results["ml1m.matryoshka.breadth_gap.mean"] = 6.0
    assert ledger.ledger(results).loc["matryoshka_movielens", "verdict"] == "not reproduced"


def test_the_committed_scorecard_follows_from_the_committed_results() -> None:
    """Recompute every verdict from ``results/*.json``: a verdict that no longer follows from
    the numbers (a result changed and the scorecard was not re-executed) fails here."""
    committed = json.loads(results_path(ledger.SCORECARD).read_text())
    results = ledger.book_results()
    recomputed = ledger.scorecard_results(ledger.ledger(results), results)
    verdicts = {key: value for key, value in committed.items() if key.endswith(".verdict")}
    assert verdicts == {key: value for key, value in recomputed.items() if key.endswith(".verdict")}
    for key, value in recomputed.items():
        assert committed[key] == pytest.approx(value, abs=1e-6), key
