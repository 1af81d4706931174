"""``recsae.book.paper`` against a second transcription of the paper's numbers.

The transcript below was typed from the paper's tables and the official notebooks' printed
outputs, row by row as they are printed there, independently of the module: a line is a key
pattern and the row's values in print order (``{}`` is filled with the row's levels, neurons or
names, ``-`` marks a cell the source leaves empty). Every entry of the module must appear here
with the same value, and nothing here may be missing from the module.
"""

from __future__ import annotations

import pytest

from recsae.book.paper import CLAIMS, REPORTED, reported, reported_series

TRANSCRIPT = """
ml1m.n_users | 6,039
ml1m.n_items | 3,706
ml1m.sae_test_users | 1,207
lastfm.n_users | 22,546
lastfm.n_items | 2,277
lastfm.sae_test_users | 4,509
lastfm.listening_rows | 9,711,301
lastfm.listening_rows_deduplicated | 9,672,054
lastfm.n_interactions | 1,700,422
ml1m.mf.sae.l0_item | 5.38
ml1m.ncf.sae.l0_item | 8.09
ml1m.ncf.sae.l0_user | 8.20
ml1m.ncf.sae.rbo | 0.759165
ml1m.ncf.sae.kendall_tau | 0.608558
ml1m.{}.beta=0.{} [ncf.kendall_tau mf.kendall_tau ncf.rbo mf.rbo ncf.ms_score mf.ms_score] | 0.090 -0.190 0.448 0.224 0.658 0.464
ml1m.{}.beta=1.{} [ncf.kendall_tau mf.kendall_tau ncf.rbo mf.rbo ncf.ms_score mf.ms_score] | 0.240 0.092 0.550 0.403 0.671 0.580
ml1m.{}.beta=2.{} [ncf.kendall_tau mf.kendall_tau ncf.rbo mf.rbo ncf.ms_score mf.ms_score] | 0.320 0.141 0.579 0.436 0.681 0.578
ml1m.{}.beta=5.{} [ncf.kendall_tau mf.kendall_tau ncf.rbo mf.rbo ncf.ms_score mf.ms_score] | 0.448 0.226 0.664 0.4859 0.676133 0.567
ml1m.{}.beta=10.{} [ncf.kendall_tau mf.kendall_tau ncf.rbo mf.rbo ncf.ms_score mf.ms_score] | 0.597 0.315 0.748 0.543 0.6735 0.553
ml1m.ncf.draft.beta={}.kendall_tau [1 2 5 10] | 0.24 0.30 0.448 0.60
ml1m.ncf.draft.beta={}.rbo [1 2 5 10] | 0.54 0.579 0.668 0.759
ml1m.mf.official_neuron={}.popularity_rank@500 [0 1 2 3 4 17 18 19 20 21] | 1059.67 1151.27 595.01 1632.27 1613.79 2269.10 1336.08 1939.60 1354.54 2282.08
ml1m.mf.official_neuron=3.decade_share@200.1990s | 0.97
ml1m.mf.official_neuron=4.decade_share@200.{} [1960s_and_before 1970s 1980s 1990s] | 0.72 0.12 0.04 0.12
ml1m.mf.official_neuron=20.decade_share@200.1990s | 0.98
ml1m.genre_count.{} [drama comedy action thriller romance horror adventure scifi childrens crime war musical documentary animation mystery fantasy western filmnoir] | 1493 1163 495 485 459 339 281 274 250 201 141 113 110 105 104 68 67 44
ml1m.ncf.official_neuron=5.genre_count@200.{} [drama romance thriller comedy action] | 154 36 31 19 18
ml1m.ncf.official_neuron={}.popularity_rank@500 [0-21] | 1146.9 2826.1 1507.3 733.0 1540.0 864.9 2229.4 2096.2 2542.2 1377.6 1902.1 1795.9 2805.3 2251.7 3036.0 1129.2 2329.5 643.6 935.9 1347.6 2525.6 1937.1
ml1m.ncf.official_neuron=0.decade_share@200.{} [DECADES] | .160 .035 .025 .490 .290
ml1m.ncf.official_neuron=1.decade_share@200.{} [DECADES] | .265 .020 .085 .630 .000
ml1m.ncf.official_neuron=2.decade_share@200.{} [DECADES] | .000 .035 .025 .940 .000
ml1m.ncf.official_neuron=3.decade_share@200.{} [DECADES] | .370 .065 .125 .425 .015
ml1m.ncf.official_neuron=4.decade_share@200.{} [DECADES] | .000 .000 .020 .975 .005
ml1m.ncf.official_neuron=5.decade_share@200.{} [DECADES] | .010 .000 .030 .795 .165
ml1m.ncf.official_neuron=6.decade_share@200.{} [DECADES] | .035 .075 .535 .355 .000
ml1m.ncf.official_neuron=7.decade_share@200.{} [DECADES] | .345 .015 .265 .375 .000
ml1m.ncf.official_neuron=8.decade_share@200.{} [DECADES] | .045 .025 .250 .660 .020
ml1m.ncf.official_neuron=9.decade_share@200.{} [DECADES] | .040 .075 .230 .590 .065
ml1m.ncf.official_neuron=10.decade_share@200.{} [DECADES] | .200 .100 .325 .375 .000
ml1m.ncf.official_neuron=11.decade_share@200.{} [DECADES] | .060 .060 .370 .500 .010
ml1m.ncf.official_neuron=12.decade_share@200.{} [DECADES] | .010 .030 .245 .715 .000
ml1m.ncf.official_neuron=13.decade_share@200.{} [DECADES] | .000 .085 .895 .010 .010
ml1m.ncf.official_neuron=14.decade_share@200.{} [DECADES] | .035 .000 .065 .895 .005
ml1m.ncf.official_neuron=15.decade_share@200.{} [DECADES] | .165 .040 .045 .705 .045
ml1m.ncf.official_neuron=16.decade_share@200.{} [DECADES] | .050 .060 .140 .735 .015
ml1m.ncf.official_neuron=17.decade_share@200.{} [DECADES] | .045 .050 .140 .715 .050
ml1m.ncf.official_neuron=18.decade_share@200.{} [DECADES] | .220 .155 .260 .365 .000
ml1m.ncf.official_neuron=19.decade_share@200.{} [DECADES] | .185 .070 .275 .470 .000
ml1m.ncf.official_neuron=20.decade_share@200.{} [DECADES] | .740 .180 .080 .000 .000
ml1m.ncf.official_neuron=21.decade_share@200.{} [DECADES] | .260 .105 .140 .470 .025
ml1m.decade_count.{} [DECADES] | 570 240 592 2152 152
ml1m.decade_count.comedy.{} [1960s 1970s 1980s 1990s_and_2000] | 41 62 199 782
lastfm.ncf.official_neuron=57.tag_count@50.{} [folk acoustic country mellow rock] | 38 27 15 14 10
lastfm.ncf.official_neuron={}.popularity_percentile@50 [0-69] | 27.66 42.45 33.50 3.83 49.41 1.15 12.33 53.77 6.07 33.79 21.89 38.05 4.74 3.95 30.83 19.15 19.22 34.90 21.29 39.69 18.41 15.92 26.46 22.32 3.74 36.25 52.98 16.28 25.27 1.21 26.31 33.18 1.73 30.59 12.40 0.46 46.79 24.01 15.10 4.85 46.86 33.83 57.81 1.03 37.90 12.52 17.40 68.04 32.69 15.96 34.44 7.92 22.24 24.44 14.70 77.14 11.26 26.34 25.70 30.77 11.37 3.68 38.24 60.49 22.76 25.80 56.57 63.25 41.88 49.81
lastfm_songs.official_neuron=3.mean_activation.{} [metal hard_rock] | 0.61 0.44
lastfm_songs.official_neuron=3.mean_activation | 0.17
lastfm_songs.official_neuron=20.popularity_percentile.{} [min max] | 0.0 11.4
lastfm_songs.{} [n_songs joined_users joined_tracks n_interactions n_users n_items] | 50,683 962,037 30,459 862,288 11,666 4,318
lastfm_songs.tag_count.{} [rock alternative indie_rock alternative_rock folk female_vocalists indie_pop chillout] | 1,248 1,035 878 688 592 529 500 473
ml1m.mf.promote.level={}.success [0-5] | 0.12 0.12 0.53 0.88 0.94 0.94
ml1m.ncf.promote.childrens_audience.{}.success [original level=1 level=2 level=3 level=4] | 0.05 0.30 0.90 1.00 1.00
ml1m.ncf.promote.romance_audience.{}.success [original level=1 level=2 level=3 level=4] | 0.10 0.35 0.60 0.80 0.85
ml1m.ncf.promote.drama_audience.{}.success [original level=1 level=2 level=3 level=4] | 0.00 0.10 0.30 0.70 0.95
lastfm.mf.promote.level={}.success [0-8] | 0 0.05 0.20 0.78 0.85 0.90 1 1 1
lastfm.mf.promote.metal_audience.level={}.success [0-8] | 0 0.05 0.08 0.23 0.38 0.53 0.63 0.75 0.80
lastfm.mf.promote.electronic_audience.level={}.success [0-8] | 0 0 0 0 0.13 0.38 0.63 0.75 0.85
lastfm.mf.promote.stale.level={}.count [0-9] | 0 0 2 3 9 15 21 25 30 32
ml1m.mf.nudge.childrens.{}.share [original reconstruction level=1 level=1.5 level=2 level=2.5 level=3 level=3.5 level=4] | 0.05 0.04 0.09 0.15 0.22 0.32 0.43 0.57 0.66
ml1m.ncf.nudge.childrens.{}.share [original reconstruction level=1 level=1.5 level=2 level=2.5 level=3 level=3.5 level=4] | 0.06 0.06 0.14 0.28 0.44 0.59 0.70 0.75 0.79
lastfm.mf.nudge.country.{}.share [original reconstruction level=1 level=1.5 level=2 level=2.5 level=3] | 0.00 0.00 0 0.12 0.38 0.55 0.63
lastfm.ncf.nudge.rock.{}.share [original reconstruction level=1 level=1.5 level=2 level=2.5 level=3 level=3.5 level=4] | 0.14 0.17 0.24 0.29 0.35 0.40 0.44 0.46 0.48
ml1m.mf.suppress.horror.{}.share [original reconstruction level=1 level=0.5 level=0 level=-0.5 level=-1 level=-1.5] | 0.86 0.86 0.64 0.52 0.34 0.19 0.09 0.02
ml1m.ncf.suppress.action.{}.share [original reconstruction level=1 level=0.5 level=0 level=-0.5 level=-1 level=-1.5] | 0.935 0.88 0.91 0.71 0.61 0.46 0.27 0.17
lastfm.mf.suppress.hiphop.{}.share [original reconstruction level=0 level=-0.5 level=-1 level=-1.5 level=-2] | 0.42 0.45 0.25 0.15 0.09 0.06 0.05
lastfm.ncf.suppress.electronic.{}.share [original reconstruction level=0 level=-0.5 level=-1 level=-1.5 level=-2 level=-2.5 level=-3] | 0.845 0.84 0.84 0.81 0.76 0.67 0.52 0.32 0.18
ml1m.mf.audience.childrens.share.{} [first last] | 0.963 0.371
ml1m.mf.audience.horror.share.{} [first last] | 0.979 0.524
lastfm.ncf.audience.electronic.share.{} [first last] | 0.962 0.821
lastfm.ncf.audience.folk.share.{} [first last] | 0.913 0.694
"""

DECADES = "1960s_and_before 1970s 1980s 1990s 2000s"


def _names(spec: str) -> list[str]:
    spec = spec.replace("DECADES", DECADES)
    if "-" in spec and " " not in spec and spec[0].isdigit():
        first, last = spec.split("-")
        return [str(n) for n in range(int(first), int(last) + 1)]
    return spec.split()


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def transcribed() -> dict[str, float]:
    values: dict[str, float] = {}
    for line in TRANSCRIPT.strip().splitlines():
        left, right = (part.strip() for part in line.split("|"))
        numbers = [_number(cell) for cell in right.split()]
        if "[" not in left:
            assert len(numbers) == 1, line
            values[left] = numbers[0]
            continue
        pattern, spec = left.rstrip("]").split(" [")
        names = _names(spec)
        assert len(names) == len(numbers), line
        for name, number in zip(names, numbers):
            key = pattern.format(*name.split(".")) if pattern.count("{}") == 2 else pattern.format(name)
            assert key not in values, key
            values[key] = number
    return values


def test_every_reported_number_matches_the_second_transcription() -> None:
    expected = transcribed()
    assert sorted(set(REPORTED) - set(expected)) == []
    assert sorted(set(expected) - set(REPORTED)) == []
    mismatched = {
        key: (REPORTED[key][0], value) for key, value in expected.items() if REPORTED[key][0] != value
    }
    assert mismatched == {}


def test_every_number_and_claim_names_its_source() -> None:
    assert all(source.strip() for _, source in REPORTED.values())
    assert all(statement.strip() and source.strip() for statement, source in CLAIMS.values())


def test_reported_looks_keys_up_and_says_none_for_what_the_paper_does_not_report() -> None:
    assert reported("ml1m.mf.beta=10.rbo") == pytest.approx(0.543)
    assert reported("ml1m.mf.hr@10") is None
    series = reported_series(
        "ml1m.ncf.promote.romance_audience", ["original", "level=0", "level=4"], "success"
    )
    assert series.isna().tolist() == [False, True, False]
    assert series["level=4"] == pytest.approx(0.85)
