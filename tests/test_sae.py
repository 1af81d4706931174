"""Sparse autoencoders: losses against hand-computed values, gradient routing, architectures."""

import dataclasses
import math

import pytest
import torch
from torch import Tensor, nn

from recsae.presets import PAPER_CONFIGS
from recsae.sae import (
    SAEConfig,
    auxk_loss,
    build_sae,
    embedding_loss,
    kl_sparsity,
    l1_sparsity,
    prediction_loss,
    total_loss,
)
from recsae.training import sae_step
from recsae.training.compiled_step import STEPS_PER_CALL
from recsae.training.sae_step import AdamTrainer, blocks

N_USERS, N_ITEMS, DIM = 12, 15, 6


class TinyRecommender(nn.Module):
    """A frozen stand-in for the recommender protocol: per-id biases and a non-linear scorer."""

    def __init__(self) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.user_bias = nn.Parameter(torch.randn(N_USERS))
            self.item_bias = nn.Parameter(torch.randn(N_ITEMS))
            self.mlp = nn.Sequential(nn.Linear(2 * DIM, 8), nn.Tanh(), nn.Linear(8, 1))
        self.requires_grad_(False)

    def pair_logits(self, user_vectors: Tensor, item_vectors: Tensor, users: Tensor, items: Tensor) -> Tensor:
        mlp = self.mlp(torch.cat([user_vectors, item_vectors], dim=-1)).squeeze(-1)
        dot = (user_vectors * item_vectors).sum(-1)
        return mlp + dot + self.user_bias[users] + self.item_bias[items]

    def logit_matrix(
        self, user_vectors: Tensor, item_vectors: Tensor, users: Tensor, items: Tensor
    ) -> Tensor:
        n_users, n_items = len(users), len(items)
        return self.pair_logits(
            user_vectors[:, None].expand(-1, n_items, -1),
            item_vectors[None].expand(n_users, -1, -1),
            users[:, None].expand(-1, n_items),
            items[None].expand(n_users, -1),
        )


@pytest.fixture
def batch() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Matched user and item ids with embedding-like vectors of equal batch size."""
    gen = torch.Generator().manual_seed(1)
    users = torch.randint(0, N_USERS, (9,), generator=gen)
    items = torch.randint(0, N_ITEMS, (9,), generator=gen)
    return users, items, torch.randn(9, DIM, generator=gen), torch.randn(9, DIM, generator=gen)


def small_config(**changes: object) -> SAEConfig:
    return dataclasses.replace(SAEConfig(input_dim=DIM, width=10), **changes)


def test_kl_sparsity_hand_computed() -> None:
    codes = torch.tensor([[0.0, 0.2, 0.0, 3.0], [0.1, 0.0, 0.0, 1.0]], dtype=torch.float64)
    # Batch means (0.05, 0.1, 0, 2) are clamped to (0.05, 0.1, 1e-6, 1 − 1e-6); ρ = 0.05, ε = 1e-6.
    expected = (
        0.05 * math.log(0.050001 / 0.050001)
        + 0.95 * math.log(0.950001 / 0.950001)  # ρ̂ = ρ: 0
        + 0.05 * math.log(0.050001 / 0.100001)
        + 0.95 * math.log(0.950001 / 0.900001)
        + 0.05 * math.log(0.050001 / 0.000002)
        + 0.95 * math.log(0.950001 / 1.0)
        + 0.05 * math.log(0.050001 / 1.0)
        + 0.95 * math.log(0.950001 / 0.000002)
    )
    assert kl_sparsity(codes, rho=0.05).item() == pytest.approx(expected, rel=1e-9)


def test_l1_and_embedding_losses() -> None:
    codes = torch.tensor([[0.0, -2.0], [1.0, 3.0]])
    assert l1_sparsity(codes).item() == pytest.approx(1.5)
    x = torch.zeros(2, 2)
    # Users: one reconstruction off by 1 everywhere (MSE 1); items: two prefixes, MSE 4 and 0.
    loss = embedding_loss(x, [x + 1], x, [x + 2, x])
    assert loss.item() == pytest.approx(5.0)


@pytest.mark.parametrize("form", ["cross", "pairs"])
def test_prediction_loss_vanishes_on_exact_reconstructions(form: str, batch) -> None:
    users, items, user_vectors, item_vectors = batch
    loss = prediction_loss(
        TinyRecommender(), users, items, user_vectors, item_vectors, user_vectors, item_vectors, form
    )
    assert loss.item() == 0.0


def test_soft_bce_prediction_loss_is_stationary_on_exact_reconstructions(batch) -> None:
    users, items, user_vectors, item_vectors = batch
    user_copy = user_vectors.clone().requires_grad_()
    item_copy = item_vectors.clone().requires_grad_()
    loss = prediction_loss(
        TinyRecommender(), users, items, user_vectors, item_vectors, user_copy, item_copy, "bce"
    )
    loss.backward()
    assert user_copy.grad.abs().max().item() < 1e-7
    assert item_copy.grad.abs().max().item() < 1e-7


@pytest.mark.parametrize("sae_form", ["mf", "ncf"])
@pytest.mark.parametrize("prediction", ["cross", "pairs", "bce"])
def test_prediction_gradient_reaches_the_sae_and_not_the_recommender(
    sae_form: str, prediction: str, batch
) -> None:
    users, items, user_vectors, item_vectors = batch
    model = TinyRecommender()
    sae = build_sae(small_config(form=sae_form))
    loss = prediction_loss(
        model,
        users,
        items,
        user_vectors,
        item_vectors,
        sae(user_vectors).reconstruction,
        sae(item_vectors).reconstruction,
        prediction,
    )
    loss.backward()
    assert all(p.grad is None for p in model.parameters())
    for name, parameter in sae.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_total_loss_is_the_weighted_sum_of_its_parts(batch) -> None:
    users, items, user_vectors, item_vectors = batch
    config = small_config(alpha=0.5, beta=3.0, lambda_kl=0.2, lambda_l1=0.7, prediction="pairs")
    sae = build_sae(config)
    terms = total_loss(sae, TinyRecommender(), users, items, user_vectors, item_vectors)
    user_codes, _ = sae.encode(user_vectors)
    item_codes, _ = sae.encode(item_vectors)
    sparsity = 0.2 * (kl_sparsity(user_codes, 0.05) + kl_sparsity(item_codes, 0.05)) + 0.7 * (
        l1_sparsity(user_codes) + l1_sparsity(item_codes)
    )
    assert terms.sparsity.item() == pytest.approx(sparsity.item(), rel=1e-6)
    expected = 0.5 * terms.embedding + 3.0 * terms.prediction + terms.sparsity
    assert terms.total.item() == pytest.approx(expected.item(), rel=1e-6)


def test_l1_variant_ignores_kl(batch) -> None:
    users, items, user_vectors, item_vectors = batch
    sae = build_sae(small_config(sparsity="l1", lambda_kl=5.0, lambda_l1=0.3))
    terms = total_loss(sae, TinyRecommender(), users, items, user_vectors, item_vectors)
    codes = [sae.encode(v)[0] for v in (user_vectors, item_vectors)]
    assert terms.sparsity.item() == pytest.approx(0.3 * sum(l1_sparsity(c) for c in codes).item(), rel=1e-6)


def test_mf_form_normalises_and_denormalises_with_the_given_stats() -> None:
    sae = build_sae(SAEConfig(input_dim=3, width=6)).double()
    with torch.no_grad():
        sae.encoder.weight.copy_(torch.cat([torch.eye(3), -torch.eye(3)]))
        sae.pre_bias.copy_(torch.tensor([0.5, -1.0, 0.25]))
    x = torch.tensor([[1.0, 2.0, 6.0]], dtype=torch.float64)
    codes, stats = sae.encode(x)
    # μ = 3; deviations (−2, −1, 3); unbiased variance (4 + 1 + 9) / 2 = 7.
    assert stats.mean.item() == pytest.approx(3.0)
    assert stats.std.item() == pytest.approx(math.sqrt(7.0))
    # W = [I; −I] makes W^T ReLU(W v) = v, so decode(encode(x)) = x̄·σ + μ with x̄ = (x − μ)/(σ + 1e-5).
    x_bar = torch.tensor([-2.0, -1.0, 3.0], dtype=torch.float64) / (math.sqrt(7.0) + 1e-5)
    assert torch.allclose(sae.decode(codes, stats), x_bar * math.sqrt(7.0) + 3.0)
    assert torch.allclose(sae.decode(codes, stats), x, atol=1e-4)
    # An edited code: W^T z = (1 − 0, 0 − 0.5, 2 − 0); plus b_pre gives (1.5, −1.5, 2.25).
    edited = torch.tensor([[1.0, 0.0, 2.0, 0.0, 0.5, 0.0]], dtype=torch.float64)
    direction = torch.tensor([[1.5, -1.5, 2.25]], dtype=torch.float64)
    assert torch.allclose(sae.decode(edited, stats), direction * math.sqrt(7.0) + 3.0)
    # Another vector's stats put the same code on that vector's scale: y = (0, 0, 3) has
    # μ = 1 and unbiased variance (1 + 1 + 4) / 2 = 3.
    _, other_stats = sae.encode(torch.tensor([[0.0, 0.0, 3.0]], dtype=torch.float64))
    assert torch.allclose(sae.decode(edited, other_stats), direction * math.sqrt(3.0) + 1.0)


def test_mf_form_refuses_to_decode_without_stats() -> None:
    sae = build_sae(small_config())
    with pytest.raises(ValueError, match="stats"):
        sae.decode(torch.zeros(1, 10), None)


def test_ncf_form_is_linear_with_a_bias_free_tied_decoder() -> None:
    sae = build_sae(small_config(form="ncf"))
    x = torch.randn(4, DIM, generator=torch.Generator().manual_seed(2))
    codes, stats = sae.encode(x)
    assert stats is None
    assert torch.allclose(codes, torch.relu(x @ sae.weight.T + sae.encoder.bias))
    assert torch.allclose(sae.decode(codes, None), codes @ sae.weight)


def test_initialisation_is_seeded_and_leaves_global_rng_alone() -> None:
    state = torch.random.get_rng_state()
    first, second = build_sae(small_config(seed=3)), build_sae(small_config(seed=3))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(first.weight, second.weight)
    assert not torch.equal(first.weight, build_sae(small_config(seed=4)).weight)
    assert first.weight.shape == (10, DIM)
    assert first.weight.abs().max() <= 1 / math.sqrt(DIM)  # Kaiming-uniform bound of nn.Linear
    assert not first.pre_bias.any() and not first.latent_bias.any()


def test_topk_keeps_exactly_k_latents() -> None:
    sae = build_sae(small_config(sparsity="topk", k=3))
    x = torch.randn(20, DIM, generator=torch.Generator().manual_seed(5))
    assert ((sae.encode(x)[0] != 0).sum(dim=-1) <= 3).all()
    with torch.no_grad():
        sae.latent_bias.fill_(100.0)  # every pre-activation positive, so ReLU removes none
    codes, _ = sae.encode(x)
    pre, _ = sae.pre_activations(x)
    assert ((codes != 0).sum(dim=-1) == 3).all()
    assert torch.equal(
        (codes != 0), torch.zeros_like(codes, dtype=torch.bool).scatter(-1, pre.topk(3).indices, True)
    )


def test_record_activity_counts_steps_without_firing() -> None:
    sae = build_sae(small_config(width=4, dead_steps=2))
    sae.record_activity(torch.tensor([[1.0, 0, 0, 0]]), torch.tensor([[0, 0, 2.0, 0]]))
    assert sae.steps_since_active.tolist() == [0, 1, 0, 1]
    sae.record_activity(torch.zeros(1, 4), torch.zeros(1, 4))
    assert sae.steps_since_active.tolist() == [1, 2, 1, 2]
    assert sae.dead_latents().tolist() == [False, True, False, True]


def test_auxk_trains_only_dead_latents() -> None:
    sae = build_sae(small_config(sparsity="topk", k=2, aux_k=3, dead_steps=1))
    x = torch.randn(16, DIM, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        sae.steps_since_active[7:] = 1
        sae.latent_bias[:7] = 10.0  # the live code uses latents 0-6 only
        sae.latent_bias[7:] = 5.0  # the dead latents' pre-activations are positive
    dead = sae.dead_latents()
    assert auxk_loss(sae, x, sae(x), torch.zeros_like(dead)).item() == 0.0
    loss = auxk_loss(sae, x, sae(x), dead)
    loss.backward()
    assert loss.item() > 0
    assert not sae.weight.grad[:7].any() and not sae.latent_bias.grad[:7].any()
    assert (sae.weight.grad[7:].abs().sum(dim=1) > 0).all()


def test_total_loss_has_no_side_effects_and_returns_the_codes(batch) -> None:
    users, items, user_vectors, item_vectors = batch
    sae = build_sae(small_config(sparsity="topk"))
    terms = total_loss(sae, TinyRecommender(), users, items, user_vectors, item_vectors)
    assert not sae.steps_since_active.any()  # the trainer, not the loss, advances the clock
    assert torch.equal(terms.user_codes, sae.encode(user_vectors)[0])
    assert torch.equal(terms.item_codes, sae.encode(item_vectors)[0])


# --- The training step ------------------------------------------------------------------------


def _tables() -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(7)
    return torch.randn(N_USERS, DIM, generator=gen), torch.randn(N_ITEMS, DIM, generator=gen)


def _block(rows: int, size: int, seed: int) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, N_USERS, (rows, size), generator=gen), torch.randint(
        0, N_ITEMS, (rows, size), generator=gen
    )


def _trainer(config: SAEConfig, compiled: bool, batch_size: int = 9) -> AdamTrainer:
    return AdamTrainer(
        build_sae(config), TinyRecommender(), _tables(), lambda x: x, 0.01, batch_size, compiled
    )


@pytest.mark.parametrize(
    "changes",
    [
        dict(form="mf", prediction="cross"),
        dict(form="ncf", prediction="pairs", sparsity="topk", k=2, aux_k=3, dead_steps=1),
    ],
)
def test_eager_step_equals_autograd_with_torch_adam(changes: dict) -> None:
    config = small_config(lambda_l1=0.1, **changes)
    trainer = _trainer(config, compiled=False)
    reference, model = build_sae(config), TinyRecommender()
    if config.sparsity == "topk":
        for autoencoder in (trainer.autoencoder, reference):
            with torch.no_grad():  # latents 0-7 win every top-k, so 8 and 9 die after one step
                autoencoder.encoder.bias[:8] = 10.0
                autoencoder.encoder.bias[8:] = 5.0
    users, items = _block(3, 9, seed=8)
    sums = trainer(users, items)

    optimizer = torch.optim.Adam(reference.parameters(), lr=0.01)
    user_table, item_table = _tables()
    expected_sums = torch.zeros(4)
    for batch_users, batch_items in zip(users, items):
        terms = total_loss(
            reference, model, batch_users, batch_items, user_table[batch_users], item_table[batch_items]
        )
        optimizer.zero_grad()
        terms.total.backward()
        optimizer.step()
        reference.record_activity(terms.user_codes, terms.item_codes)
        expected_sums += torch.stack(
            [terms.total, terms.embedding, terms.prediction, terms.sparsity]
        ).detach()
    torch.testing.assert_close(sums, expected_sums)
    for (name, value), expected in zip(
        trainer.autoencoder.state_dict().items(), reference.state_dict().values()
    ):
        torch.testing.assert_close(value, expected, msg=name)
    if config.sparsity == "topk":
        assert reference.dead_latents()[8:].all()  # so AuxK took part in the later steps


def test_compiled_step_equals_the_eager_step() -> None:
    config = small_config(form="mf", prediction="cross")
    compiled, eager = _trainer(config, compiled=True), _trainer(config, compiled=False)
    for seed in (1, 2):
        block = _block(STEPS_PER_CALL, 9, seed)
        torch.testing.assert_close(compiled(*block), eager(*block))
    for value, expected in zip(
        compiled.autoencoder.state_dict().values(), eager.autoencoder.state_dict().values()
    ):
        torch.testing.assert_close(value, expected)


@pytest.mark.parametrize(
    ("raised", "expected", "message"),
    [
        (OSError("no C++ compiler"), RuntimeError, "set RECSAE_COMPILE=0"),
        (ValueError("a bug in the step"), ValueError, "a bug in the step"),
    ],
)
def test_only_compiler_failures_suggest_training_eagerly(
    monkeypatch: pytest.MonkeyPatch, raised: Exception, expected: type[Exception], message: str
) -> None:
    def failing_compile(function, **options):
        def fail(*args):
            raise raised

        return fail

    monkeypatch.setattr(sae_step.torch, "compile", failing_compile)
    trainer = _trainer(small_config(), compiled=True)
    with pytest.raises(expected, match=message):
        trainer(*_block(STEPS_PER_CALL, 9, seed=3))


def test_blocks_keep_every_batch_in_order() -> None:
    users, items = torch.arange(1000), torch.arange(1000) + 5000
    pieces = list(blocks(users, items, 64))
    shapes = [tuple(u.shape) for u, _ in pieces]
    assert shapes == [(STEPS_PER_CALL, 64)] * (1000 // (64 * STEPS_PER_CALL)) + [(1, 64)] * 3 + [(1, 40)]
    assert torch.equal(torch.cat([u.reshape(-1) for u, _ in pieces]), users)
    assert torch.equal(torch.cat([i.reshape(-1) for _, i in pieces]), items)


def test_matryoshka_prefixes_depend_only_on_their_own_latents() -> None:
    config = small_config(width=8, sparsity="matryoshka", prefixes=(2, 4, 8))
    assert config.reconstruction_prefixes == (2, 4, 8)
    assert small_config(width=8).reconstruction_prefixes == (8,)
    sae = build_sae(config)
    x = torch.randn(5, DIM, generator=torch.Generator().manual_seed(7))
    out = sae(x)
    assert len(out.reconstructions) == 3
    assert torch.allclose(out.reconstruction, sae.decode(out.codes, out.stats))
    truncated = out.codes.clone()
    truncated[:, 2:] = 0
    assert torch.allclose(out.reconstructions[0], sae.decode(truncated, out.stats))
    perturbed = out.codes.clone()
    perturbed[:, 5] += 3.0
    assert torch.equal(sae.decode_prefix(perturbed, out.stats, 2), out.reconstructions[0])
    assert torch.equal(sae.decode_prefix(perturbed, out.stats, 4), out.reconstructions[1])
    assert not torch.allclose(sae.decode(perturbed, out.stats), out.reconstruction)
    # Training the first prefix moves only the first two latents' weights.
    nn.functional.mse_loss(out.reconstructions[0], x).backward()
    assert not sae.weight.grad[2:].any() and sae.weight.grad[:2].any()


def test_paper_configs_carry_the_official_weights() -> None:
    mf, ncf = PAPER_CONFIGS["ml1m-mf"], PAPER_CONFIGS["ml1m-ncf"]
    assert (mf.form, mf.alpha, mf.beta, mf.lambda_kl, mf.rho) == ("mf", 0.1, 1.0, 0.01, 0.05)
    assert (ncf.form, ncf.alpha, ncf.beta, ncf.lambda_kl, ncf.rho) == ("ncf", 2.0, 10.0, 0.07, 0.05)
    assert (mf.epochs, mf.lr, mf.batch_size) == (18, 1e-3, 256)
    for config in PAPER_CONFIGS.values():
        assert build_sae(config).weight.shape == (config.width, config.input_dim)


def test_lastfm_configs_carry_the_official_lastfm_weights() -> None:
    # PAPER §2.4, the Last.FM rows of the weights table, typed from it.
    expected = {
        "lastfm-mf": ("mf", "kl", 100, 70, 8.0, 1.0, 0.003, 0.1, 0.3, 30, 42),
        "lastfm-ncf": ("ncf", "kl", 100, 70, 2.6, 1.0, 0.7, 0.05, 1.2674255898937214e-5, 30, 42),
        "lastfm-matryoshka": ("mf", "matryoshka", 100, 80, 8.0, 5.0, 0.003, 0.1, 0.3, 30, 42),
    }
    fields = (
        "form",
        "sparsity",
        "input_dim",
        "width",
        "alpha",
        "beta",
        "lambda_kl",
        "rho",
        "lambda_l1",
        "epochs",
        "seed",
    )
    for name, values in expected.items():
        assert tuple(getattr(PAPER_CONFIGS[name], field) for field in fields) == values, name
    assert PAPER_CONFIGS["lastfm-matryoshka"].prefixes == (20, 40, 80)
    assert PAPER_CONFIGS["lastfm-ncf"].prediction == "pairs"
    for config in PAPER_CONFIGS.values():
        assert (config.lr, config.batch_size) == (1e-3, 256)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"sparsity": "gated"}, "Unknown sparsity 'gated'"),
        ({"form": "vae"}, "Unknown SAE form 'vae'"),
        ({"prediction": "hinge"}, "Unknown prediction form 'hinge'"),
        ({"sparsity": "topk", "k": 11}, "k <= width"),
        ({"sparsity": "topk", "aux_k": 0}, "aux_k <= width"),
        ({"sparsity": "matryoshka", "prefixes": (4, 2, 10)}, "increase strictly"),
        ({"sparsity": "matryoshka", "prefixes": (2, 4)}, "end at the width 10"),
        ({"rho": 1.0}, "rho"),
        ({"width": 0}, "width"),
    ],
)
def test_bad_configs_raise_one_clear_sentence(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        small_config(**changes)
    text = str(error.value)
    assert text.endswith(".") and "\n" not in text and ". " not in text
