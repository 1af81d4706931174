"""Steering: edits, decoding, the MF closed form, case-study measures and neuron choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy import stats

from recsae.book.results import flat, slug, write_results
from recsae.concepts.neurons import concept_neuron, concept_readings, fan_neuron, history_share, top_fans
from recsae.data.split import Split
from recsae.metrics.ranking import ranking_metrics
from recsae.models import MatrixFactorization, score_all
from recsae.sae import SAEConfig, SparseAutoencoder, build_sae
from recsae.setting import Setting
from recsae.steering import (
    ORIGINAL,
    RECONSTRUCTION,
    against_paper,
    closed_form_gap,
    control_neuron,
    dose_response,
    edit_codes,
    group_ndcg,
    item_ranks,
    label_shares,
    level_name,
    levels_of,
    neuron_scale,
    official_promotion_success,
    per_user_shares,
    promoted_scores,
    promotion_dose_response,
    promotion_success,
    promotion_table,
    steer_users,
    steered_vectors,
    top_titles,
    typical_user,
    unit_effect,
    user_dose_response,
)
from recsae.training.recommender import TrainedRecommender


def setting_of(model: torch.nn.Module, sae: SparseAutoencoder, held_out: Split | None = None) -> Setting:
    """A setting of a hand-built recommender and SAE; the steering of scores reads neither the
    data nor, unless it measures NDCG, the split."""
    return Setting(None, held_out, model, sae)  # type: ignore[arg-type]


def random_sae(form: str, dim: int, width: int = 12, seed: int = 0) -> SparseAutoencoder:
    sae = build_sae(SAEConfig(input_dim=dim, width=width, form=form, seed=seed))
    with torch.no_grad():  # non-zero biases, so the decoder's offsets are exercised too
        for parameter in sae.parameters():
            if parameter.dim() == 1:
                parameter.uniform_(-0.3, 0.3, generator=torch.Generator().manual_seed(seed))
    return sae.eval().requires_grad_(False)


def test_edit_modes_change_only_the_neuron() -> None:
    codes = torch.tensor([[0.0, 2.0, 1.0], [3.0, 0.5, 0.0]])
    edited = edit_codes(codes, 1, [-1.0, 4.0], "set")
    assert edited.shape == (2, 2, 3)
    assert torch.equal(edited[:, :, 1], torch.tensor([[-1.0, -1.0], [4.0, 4.0]]))
    assert torch.equal(edited[:, :, [0, 2]], codes[:, [0, 2]].expand(2, 2, 2))
    assert torch.equal(edit_codes(codes, 1, [1.0], "add")[0, :, 1], torch.tensor([3.0, 1.5]))
    assert torch.equal(edit_codes(codes, 1, [2.0], "scale")[0, :, 1], torch.tensor([4.0, 1.0]))
    assert torch.equal(edit_codes(codes[0], 2, [5.0])[:, 2], torch.tensor([5.0]))
    assert torch.equal(codes, torch.tensor([[0.0, 2.0, 1.0], [3.0, 0.5, 0.0]])), "the input must not change"


def test_several_neurons_take_one_level_or_one_each() -> None:
    codes = torch.tensor([[0.0, 2.0, 1.0, 4.0], [3.0, 0.5, 0.0, 1.0]])
    shared = edit_codes(codes, [0, 2], [5.0, -1.0])
    assert torch.equal(shared[:, :, [0, 2]], torch.tensor([[[5.0, 5.0]] * 2, [[-1.0, -1.0]] * 2]))
    assert torch.equal(shared[:, :, [1, 3]], codes[:, [1, 3]].expand(2, 2, 2))
    each = edit_codes(codes, [2, 0], [[1.0, 2.0]], "add")[0]
    assert torch.equal(each, torch.tensor([[2.0, 2.0, 2.0, 4.0], [5.0, 0.5, 1.0, 1.0]]))
    assert level_name([2.0, -1.0]) == "level=2,-1" and level_name(np.float64(0.5)) == "level=0.5"


def test_range_levels_are_points_of_each_codes_own_range() -> None:
    """The paper's Last.FM convention: z_j = min(z) + v (max(z) − min(z)), per vector."""
    codes = torch.tensor([[0.0, 2.0, 1.0, 4.0], [3.0, 0.5, 1.0, 1.0]])
    edited = edit_codes(codes, 1, [0.0, 0.5, 2.0], "range")
    # row 0 spans 0 … 4, row 1 spans 0.5 … 3
    assert torch.equal(edited[:, :, 1], torch.tensor([[0.0, 0.5], [2.0, 1.75], [8.0, 5.5]]))
    assert torch.equal(edited[:, :, [0, 2, 3]], codes[:, [0, 2, 3]].expand(3, 2, 3))
    assert torch.equal(edit_codes(codes[1], [0, 3], [1.0], "range")[0], torch.tensor([3.0, 0.5, 1.0, 3.0]))


def test_bad_edits_are_refused() -> None:
    codes = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="neurons 0 to 2"):
        edit_codes(codes, 3, [1.0])
    with pytest.raises(ValueError, match="distinct existing neurons"):
        edit_codes(codes, [1, 1], [1.0])
    with pytest.raises(ValueError, match="one number per edited neuron \\(2\\)"):
        edit_codes(codes, [0, 1], [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="Unknown edit mode"):
        edit_codes(codes, 0, [1.0], "multiply")


@pytest.mark.parametrize("form", ["mf", "ncf"])
def test_an_edit_that_changes_nothing_is_the_reconstruction(form: str) -> None:
    sae = random_sae(form, dim=6)
    vectors = torch.randn(20, 6, generator=torch.Generator().manual_seed(1))
    reconstruction = sae(vectors).reconstruction
    for neuron in range(sae.config.width):
        assert torch.equal(steered_vectors(sae, vectors, neuron, [0.0], "add")[0], reconstruction)
        assert torch.equal(steered_vectors(sae, vectors, neuron, [1.0], "scale")[0], reconstruction)
    first = vectors[:1]  # encoded on its own: a batch of one may round apart from row 0 of twenty
    own = steered_vectors(sae, first, 4, [float(sae.encode(first)[0][0, 4])], "set")[0]
    assert torch.equal(own, sae(first).reconstruction)


@pytest.mark.parametrize("form", ["mf", "ncf"])
def test_the_mf_closed_form_equals_the_measured_change(form: str) -> None:
    dim, generator = 5, torch.Generator().manual_seed(2)
    model = MatrixFactorization(30, 40, dim, init_std=0.5, offset=0.3, generator=generator).requires_grad_(
        False
    )
    model.user_bias.uniform_(-1, 1, generator=generator)
    model.item_bias.uniform_(-1, 1, generator=generator)
    sae = random_sae(form, dim)
    users = np.arange(0, 30, 3)
    assert closed_form_gap(setting_of(model, sae), users).max() < 1e-5
    # A move of δ changes every score by δ times the unit effect, whatever the starting level.
    scores = steer_users(setting_of(model, sae), users, 7, [-1.5, 2.0], model.item_vectors)
    effect = unit_effect(sae, model.user_vectors[users], 7, model.item_vectors)
    assert torch.allclose(scores[level_name(2)] - scores[level_name(-1.5)], 3.5 * effect, atol=1e-5)
    # Edits of several neurons add up: +1 on neuron 7 and −2 on neuron 2.
    pair = steer_users(
        setting_of(model, sae), users, [7, 2], [[1.0, -2.0], [0.0, 0.0]], model.item_vectors, mode="add"
    )
    both = effect - 2 * unit_effect(sae, model.user_vectors[users], 2, model.item_vectors)
    assert torch.allclose(pair["level=1,-2"] - pair["level=0,0"], both, atol=1e-5)
    # By hand: σ_u (w_j · q_i) for the MF form, w_j · q_i for the NCF form.
    scale = model.user_vectors[users].std(dim=1, keepdim=True) if form == "mf" else 1.0
    assert torch.allclose(effect, scale * (model.item_vectors @ sae.weight[7])[None, :], atol=1e-6)


def test_a_setting_encodes_every_user_and_item() -> None:
    model = MatrixFactorization(7, 9, 4, init_std=0.5, offset=0.0, generator=torch.Generator().manual_seed(3))
    sae = random_sae("mf", 4)
    codes = setting_of(model, sae).codes
    assert codes["item"].shape == (9, 12) and codes["user"].shape == (7, 12)
    assert np.array_equal(codes["user"], sae.encode(model.user_vectors.detach())[0].numpy())
    assert np.array_equal(codes["item"], sae.encode(model.item_vectors.detach())[0].numpy())


def test_steer_users_scores_the_three_conditions(planted_recommender: TrainedRecommender) -> None:
    model = planted_recommender.model
    sae = random_sae(planted_recommender.config.model, model.user_vectors.shape[1])
    users = np.array([3, 1, 4, 15])
    items = sae(model.item_vectors.detach()).reconstruction
    scores = steer_users(setting_of(model, sae), users, 2, [0.5, -1.0], items)
    ids = torch.from_numpy(users)
    user_vectors = model.user_vectors[ids].detach()
    assert list(scores) == [ORIGINAL, RECONSTRUCTION, "level=0.5", "level=-1"]
    assert torch.allclose(scores[ORIGINAL], score_all(model, users=ids))
    assert torch.allclose(
        scores[RECONSTRUCTION], score_all(model, sae(user_vectors).reconstruction, items, ids), atol=1e-5
    )
    edited = steered_vectors(sae, user_vectors, 2, [-1.0])[0]
    assert torch.allclose(scores["level=-1"], score_all(model, edited, items, ids), atol=1e-5)


def test_an_ncf_setting_scores_edited_users_against_reconstructed_items(
    planted, planted_split: Split, planted_recommender: TrainedRecommender
) -> None:
    model = planted_recommender.model
    sae = random_sae(planted_recommender.config.model, model.user_vectors.shape[1])
    setting = Setting(planted.interactions, planted_split, model, sae)
    own = model.item_vectors.detach()
    expected = own if planted_recommender.config.model == "mf" else sae(own).reconstruction
    assert setting.backbone == planted_recommender.config.model
    assert torch.equal(setting.item_vectors, expected)
    users, target = planted_split.sae_test_users[:6], planted.interactions.item_labels.columns[0]
    table, scores = user_dose_response(setting, users, 3, [0.0, 2.0], target)
    by_hand = steer_users(setting, users, 3, [0.0, 2.0], expected)
    assert all(torch.equal(scores[name], by_hand[name]) for name in by_hand)
    assert table.equals(
        dose_response(by_hand, planted.interactions.item_labels, target, planted_split, users)
    )


def planted_genre_sae(model: torch.nn.Module, labels: pd.DataFrame) -> SparseAutoencoder:
    """An NCF-form SAE whose neuron g decodes to the mean embedding direction of genre g's items."""
    items = model.item_vectors.detach()
    carriers = torch.tensor(labels.to_numpy(dtype=np.float32))
    directions = (carriers.T @ items) / carriers.sum(dim=0)[:, None]
    directions = directions / directions.norm(dim=1, keepdim=True)
    sae = build_sae(SAEConfig(input_dim=items.shape[1], width=len(directions), form="ncf"))
    with torch.no_grad():
        sae.encoder.weight.copy_(directions)
        sae.encoder.bias.zero_()
    return sae.eval().requires_grad_(False)


@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_raising_a_genre_neuron_raises_that_genre(
    planted, planted_split: Split, planted_recommender: TrainedRecommender
) -> None:
    """On planted data, raising the neuron the concept reading names after a genre lifts that
    genre's scores above the others' and its share of the top 30 with every level (MF, where
    a genre is a direction of the item embeddings)."""
    model, labels = planted_recommender.model, planted.interactions.item_labels
    sae = planted_genre_sae(model, labels)
    item_codes = sae.encode(model.item_vectors.detach())[0].numpy()
    users = planted_split.sae_test_users[:60]
    for genre in labels.columns:
        neuron = int(concept_neuron(item_codes, labels, genre)["neuron"])
        assert neuron == list(labels.columns).index(genre)
        scores = steer_users(
            setting_of(model, sae), users, neuron, [0.0, 2.0, 4.0], model.item_vectors.detach(), mode="add"
        )
        lift = (scores[level_name(4)] - scores[level_name(0)]).mean(dim=0).numpy()
        lift_per_genre = {other: lift[labels[other].to_numpy()].mean() for other in labels.columns}
        assert max(lift_per_genre, key=lift_per_genre.get) == genre
        assert lift_per_genre[genre] > lift[~labels[genre].to_numpy()].mean()
        shares = label_shares(scores, labels)[genre]
        assert shares[level_name(0)] < shares[level_name(2)] < shares[level_name(4)]


@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_the_control_reading_finds_the_neuron_that_moves_the_genre(
    planted, planted_split: Split, planted_recommender: TrainedRecommender
) -> None:
    model, labels = planted_recommender.model, planted.interactions.item_labels
    sae = planted_genre_sae(model, labels)
    setting = Setting(planted.interactions, planted_split, model, sae)
    assert torch.equal(setting.item_vectors, model.item_vectors)  # an MF setting scores its own items
    probes = planted_split.sae_train_users[:80]
    for index, genre in enumerate(labels.columns[:4]):
        raised = control_neuron(setting, probes, genre, 3.0, mode="add")
        assert raised["neuron"] == index and raised["effect"] > 0
        scores = steer_users(setting, probes, index, [3.0], mode="add")
        shares = label_shares(scores, labels)[genre]
        assert raised["effects"][index] == pytest.approx(shares[level_name(3)] - shares[RECONSTRUCTION])
        fans = top_fans(planted.interactions.matrix(), labels, genre, planted_split.sae_train_users, 40)
        lowered = control_neuron(setting, fans, genre, -2.0, mode="add")
        assert lowered["neuron"] == index and lowered["effect"] < 0
    with pytest.raises(ValueError, match="non-zero level"):
        control_neuron(setting, probes, labels.columns[0], 0.0)
    with pytest.raises(ValueError, match="Unknown label 'Western'"):
        control_neuron(setting, probes, "Western", 1.0)


def test_promotion_changes_only_the_promoted_item(
    planted_recommender: TrainedRecommender, planted_split: Split
) -> None:
    model = planted_recommender.model
    sae = random_sae(planted_recommender.config.model, model.user_vectors.shape[1])
    base = sae(model.item_vectors.detach()).reconstruction
    users, item, levels = np.array([0, 5, 9, 11]), 17, [0.0, 3.0]
    setting = setting_of(model, sae, held_out=planted_split)
    scores = promoted_scores(setting, item, 4, levels, users, base)
    ranks = item_ranks(scores, item, users)
    ids = torch.from_numpy(users)
    others = torch.arange(base.shape[0]) != item
    for condition in (RECONSTRUCTION, *map(level_name, levels)):  # every other item's score is untouched
        assert torch.equal(scores[condition][:, others], score_all(model, None, base, ids)[:, others])
    edited = steered_vectors(sae, model.item_vectors[item : item + 1].detach(), 4, levels)[:, 0]
    replacements = {RECONSTRUCTION: base[item], **{level_name(v): edited[k] for k, v in enumerate(levels)}}
    for condition, vector in replacements.items():
        table = base.clone()
        table[item] = vector  # every other row stays as it was
        scores = score_all(model, None, table, ids)
        expected = (
            1
            + (scores > scores[:, item : item + 1]).sum(dim=1)
            + (scores[:, :item] == scores[:, item : item + 1]).sum(dim=1)
        )
        assert ranks[condition].tolist() == expected.tolist()
    table, same_ranks = promotion_dose_response(setting, item, 4, levels, users, base)
    assert same_ranks.equals(ranks)
    assert table.drop(columns="ndcg@10").equals(promotion_table(ranks))
    expected_ndcg = group_ndcg(promoted_scores(setting, item, 4, levels, users, base), planted_split, users)
    assert table["ndcg@10"].equals(expected_ndcg)
    full_order = torch.argsort(score_all(model, users=ids), dim=1, descending=True, stable=True)
    assert ranks[ORIGINAL].tolist() == ((full_order == item).float().argmax(dim=1) + 1).tolist()


def test_promotion_success_counts_users_who_start_outside() -> None:
    ranks = pd.DataFrame({ORIGINAL: [5, 25, 100, 40], "level=1": [3, 30, 31, 2]})
    success = promotion_success(ranks)
    # three users start outside the top 20 (25, 100, 40): one of them is already inside the top 30
    assert success[ORIGINAL] == pytest.approx(1 / 3)
    assert success["level=1"] == pytest.approx(2 / 3)  # ranks 30 and 2 are in, 31 is not
    with pytest.raises(ValueError, match="already ranks the item"):
        promotion_success(pd.DataFrame({ORIGINAL: [1, 2]}))


def test_the_official_promotion_measure_starts_at_level_zero_with_zero_based_ranks() -> None:
    ranks = pd.DataFrame(
        {ORIGINAL: [25, 25, 50, 22], "level=0": [21, 40, 60, 35], "level=1": [21, 31, 32, 1]}
    )
    # Official: out at level 0 means a 1-based rank above 21 (users 1, 2, 3); in means at most 31.
    official = official_promotion_success(ranks)
    assert official["level=1"] == pytest.approx(2 / 3) and official["level=0"] == 0.0
    # Ours: out under the original means above 20 (all four); in means at most 30.
    assert promotion_success(ranks)["level=1"] == pytest.approx(2 / 4)
    assert promotion_table(ranks).loc["level=1"].tolist() == pytest.approx([0.5, 2 / 3, 26.0])
    assert "official_success" not in promotion_table(ranks.drop(columns="level=0"))
    with pytest.raises(ValueError, match="No 'level=0' condition"):
        official_promotion_success(ranks.drop(columns="level=0"))


def test_the_lastfm_promotion_thresholds_by_hand() -> None:
    # Last.FM MF: th = 50, so out at level 0 is a 1-based rank above 51 and in is at most 61.
    ranks = pd.DataFrame(
        {ORIGINAL: [60, 70, 52, 300], "level=0": [51, 70, 52, 300], "level=3": [40, 61, 62, 150]}
    )
    official = official_promotion_success(ranks, 50)
    assert official["level=3"] == pytest.approx(1 / 3)  # of users 2–4, only rank 61 is in
    table = promotion_table(ranks, 50)
    # Ours: out means above 50 under the original (all four), in means at most 60 (40 and … none else).
    assert table.loc["level=3", "success"] == pytest.approx(1 / 4)
    assert table.loc["level=3", "official_success"] == pytest.approx(1 / 3)


def test_label_shares_and_ndcg_by_hand(planted_split: Split) -> None:
    labels = pd.DataFrame({"a": [True, False, True, False], "b": [False, True, True, False]})
    scores = {"x": torch.tensor([[4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0]])}
    assert per_user_shares(scores["x"], labels, 2).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert label_shares(scores, labels, 3).loc["x"].tolist() == pytest.approx([0.5, 2 / 3])
    users = planted_split.sae_test_users[:5]
    random_scores = {"x": torch.randn(5, planted_split.n_items, generator=torch.Generator().manual_seed(0))}
    table = dose_response(
        random_scores, _planted_like_labels(planted_split.n_items), "g0", planted_split, users
    )
    expected = ranking_metrics(
        random_scores["x"], planted_split.test_positives[users], planted_split.train_matrix()[users], (10,)
    )
    assert table.loc["x", "ndcg@10"] == expected["ndcg@10"]
    assert table.loc["x", "share"] == table.loc["x", "share.g0"]


def _planted_like_labels(n_items: int) -> pd.DataFrame:
    return pd.DataFrame({"g0": np.arange(n_items) % 2 == 0, "g1": np.arange(n_items) % 3 == 0})


def test_audiences_by_hand() -> None:
    history = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 1, 1]]))
    labels = pd.DataFrame({"a": [True, False, False, True], "b": [False, True, True, False]})
    assert history_share(history, labels, "a").tolist() == [0.5, 1.0, 0.0, 1 / 3]
    assert top_fans(history, labels, "a", [3, 2, 0, 1], 3).tolist() == [1, 0, 3]
    with pytest.raises(ValueError, match="Unknown label 'c'"):
        top_fans(history, labels, "c", [0], 1)


def test_fan_neuron_is_the_spearman_argmax() -> None:
    rng = np.random.default_rng(0)
    codes = rng.random((50, 5))
    codes[:, 4] = 0.0  # silent: can never be chosen
    fandom = codes[:, 2] ** 3 + 0.05 * rng.random(50)
    choice = fan_neuron(codes, fandom)
    expected = [stats.spearmanr(codes[:, j], fandom)[0] for j in range(4)]
    assert choice["neuron"] == int(np.argmax(expected))
    assert choice["spearman"] == pytest.approx(max(expected))
    with pytest.raises(ValueError, match="No neuron varies"):
        fan_neuron(np.zeros((5, 3)), np.arange(5))


def test_concept_neuron_reads_each_neuron_as_the_concept() -> None:
    labels = pd.DataFrame({"a": np.arange(30) < 10, "b": np.arange(30) >= 25})
    codes = np.zeros((30, 3))
    codes[:10, 1] = np.arange(10, 0, -1)  # neuron 1: the ten "a" items first
    codes[25:, 2] = 1.0  # neuron 2: the five "b" items, then "a" items by index
    reading = concept_neuron(codes, labels, "a")
    assert (reading["neuron"], reading["purity@10"], reading["qualifies"]) == (1, 1.0, True)
    weak = concept_neuron(codes, labels, "b")
    assert (weak["neuron"], weak["purity@10"], weak["qualifies"]) == (2, 0.5, True)
    table = concept_readings(codes, codes, sp.identity(30, format="csr"), labels, ["a", "b"], np.arange(30))
    assert table.loc["a", "item_neuron"] == 1 and table.loc["b", "user_neuron"] == 2


def test_a_case_study_against_the_paper() -> None:
    table = pd.DataFrame(
        {"share": [0.8, 0.7, 0.1, 0.3, 0.5], "ndcg@10": [0.2, 0.19, 0.05, 0.1, 0.15]},
        index=[ORIGINAL, RECONSTRUCTION, "level=-1", "level=0", "level=1"],
    )
    paper = pd.Series({"level=-1": 0.09, "level=1": 0.64})
    row = against_paper(table, "share", paper, -1)
    assert row.to_dict() == {
        "original": 0.8,
        "reconstruction": 0.7,
        "edited": 0.1,
        "paper": 0.09,
        "monotone": True,
        "ndcg@10 original": 0.2,
        "ndcg@10 edited": 0.05,
    }
    table.loc["level=0", "share"] = 0.05  # the share now dips between −1 and 1
    assert against_paper(table, "share", paper, 1)["monotone"] is False
    assert np.isnan(against_paper(table, "share", paper, 0)["paper"])


def test_neuron_scale_by_hand() -> None:
    codes = np.zeros((101, 3))
    codes[:, 1] = np.arange(101) / 10  # 0.0 … 10.0: the 99th percentile is 9.9
    scale = neuron_scale(codes, 1, [4, 10, 30])
    assert scale.to_dict() == pytest.approx({"audience median": 1.0, "99th percentile": 9.9, "max": 10.0})


def test_result_keys_and_helpers() -> None:
    table = pd.DataFrame(
        {"share": [0.5, 0.25], "ndcg@10": [0.1, 0.2], "share.Children's": [0.5, 0.25]},
        index=["original", "level=-1.5"],
    )
    values = flat("ml1m.mf.nudge.childrens", table)
    assert values["ml1m.mf.nudge.childrens.level=-1.5.share"] == 0.25
    assert values["ml1m.mf.nudge.childrens.original.share.childrens"] == 0.5
    assert slug("Sci-Fi") == "scifi" and level_name(4.0) == "level=4" and level_name(-0.5) == "level=-0.5"
    assert levels_of(table.index).to_dict() == {"level=-1.5": -1.5}


def test_typical_user_and_titles() -> None:
    labels = pd.DataFrame({"kids": [True, True, False, False]})
    before = torch.tensor([[0.0, 0.0, 2.0, 1.0]] * 3)
    after = torch.tensor([[2.0, 0.0, 1.0, 0.0], [2.0, 3.0, 0.0, 0.0], [0.0, 0.0, 2.0, 1.0]])
    # changes in the kids' share of the top 2 (of 4 items): +0.5, +1.0, 0 → median +0.5, row 0
    assert typical_user(before, after, labels, "kids", top_n=2) == 0
    titles = pd.Series(["A", "B", "C", "D"])
    shown = top_titles({"before": before, "after": after}, 1, titles, labels["kids"], n=2)
    assert shown["before"].tolist() == ["C", "D"] and shown["after"].tolist() == ["● B", "● A"]


def test_numpy_values_are_written_as_plain_json(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RECSAE_RESULTS_DIR", str(tmp_path))
    path = write_results("x", {"a": np.int64(3), "b": np.bool_(True), "c": np.float64(0.5)})
    assert path.read_text() == '{\n "a": 3,\n "b": true,\n "c": 0.5\n}\n'
