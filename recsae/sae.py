"""Sparse autoencoders that turn recommender embeddings into sparse concept codes.

One SAE instance encodes both user and item embeddings (as in the official code), so that a latent names the
same concept on both towers and an edited code can be decoded back into either tower. The SAE
is trained against a *frozen* recommender: besides reconstructing each embedding (L_emb) it
must keep the recommender's scores on the reconstructed user-item pairs (L_pred), plus a
sparsity term (the paper's Fig. 1).

Two architectures (official ``code/ML1M/models.ipynb``) share one interface, selected by ``SAEConfig.form``:

* ``"mf"``: the OpenAI-style SAE used for MF embeddings. Each vector is standardised on its own
  (per-vector LayerNorm without affine parameters) before encoding and put back on its own
  scale after decoding, so the code describes the *direction* of an embedding.
* ``"ncf"``: a plain linear encoder with bias and a tied, bias-free decoder, fed raw embeddings.

Sparsity schemes (ReLU + KL, ReLU + L1, TopK + AuxK, Matryoshka) live in a registry,
``SPARSITY_VARIANTS``, keyed by ``SAEConfig.sparsity``; each entry says how codes are activated,
which penalty is added and whether nested prefixes are reconstructed. The registries are plain
dicts because the compiled training step (``recsae.training.sae_step``) traces lookups in them.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from recsae.checks import check_int, check_number

LAYER_NORM_EPS = 1e-5
"""Added to the per-vector std before dividing (as the official ``code/ML1M/models.ipynb`` does)."""

KL_EPS = 1e-6
"""Clamp margin and smoothing constant of the KL sparsity term (official ``code/ML1M/utils.ipynb``)."""


class Recommender(Protocol):
    """The frozen two-tower recommender g_θ as the SAE losses see it (paper Fig. 1).

    The losses score *given* embedding vectors, so the same model can score the original and
    the reconstructed embeddings; the id tensors let the model add its own per-user and per-item
    biases. Scores are pre-sigmoid logits (the book's choice).
    """

    def logit_matrix(
        self, user_vectors: Tensor, item_vectors: Tensor, users: Tensor, items: Tensor
    ) -> Tensor:
        """Logits of every user × item pair: [U, d], [I, d], [U], [I] → [U, I]."""
        ...

    def pair_logits(self, user_vectors: Tensor, item_vectors: Tensor, users: Tensor, items: Tensor) -> Tensor:
        """Logits of matched pairs (row b of users with row b of items): [B, d] ×2, [B] ×2 → [B]."""
        ...


class NormStats(NamedTuple):
    """Per-vector mean and unbiased std removed by the MF-form SAE before encoding.

    Decoding an edited code with the statistics of the vector it came from puts the result back
    on that vector's scale; this is how steering decodes (the book's choice).
    """

    mean: Tensor
    std: Tensor


@dataclass(frozen=True)
class SAEOutput:
    """Everything one forward pass produces, kept together because the losses need all of it.

    ``reconstructions`` holds one reconstruction per nested prefix (the official Last.FM Matryoshka SAE), in
    increasing prefix order; a non-nested SAE has exactly one, from all latents.
    """

    codes: Tensor
    pre_activations: Tensor
    stats: NormStats | None
    reconstructions: tuple[Tensor, ...]

    @property
    def reconstruction(self) -> Tensor:
        """The reconstruction from all latents, the one the recommender is scored on."""
        return self.reconstructions[-1]


Side = tuple[Tensor, SAEOutput]
"""An input batch of one tower (users or items) with the SAE's output on it."""


# --- Loss terms (official code/ML1M/training.ipynb) -------------------------------------------


def kl_sparsity(codes: Tensor, rho: float | Tensor) -> Tensor:
    """KL sparsity of one side's codes [B, m], exactly as official ``code/ML1M/utils.ipynb`` computes it.

    ρ̂_j is the batch-mean activation of neuron j, clamped to [ε, 1−ε] because ReLU activations
    are not probabilities and can exceed 1; the Bernoulli KL is summed over neurons, not
    averaged, so its weight λ_KL is comparable with the paper's values.
    """
    rho_hat = codes.mean(dim=0).clamp(KL_EPS, 1.0 - KL_EPS)
    kl = rho * torch.log((rho + KL_EPS) / (rho_hat + KL_EPS)) + (1.0 - rho) * torch.log(
        (1.0 - rho + KL_EPS) / (1.0 - rho_hat + KL_EPS)
    )
    return kl.sum()


def l1_sparsity(codes: Tensor) -> Tensor:
    """Mean |z| over the batch and the neurons of one side (as in the official code)."""
    return codes.abs().mean()


def embedding_loss(
    user_vectors: Tensor,
    user_reconstructions: Sequence[Tensor],
    item_vectors: Tensor,
    item_reconstructions: Sequence[Tensor],
) -> Tensor:
    """L_emb: element-mean MSE per side, summed over the user and item sides (as in the official code).

    Each side takes a sequence of reconstructions so that a Matryoshka SAE sums the loss over
    its nested prefixes (official Last.FM Matryoshka); a plain SAE passes one reconstruction per side.
    """
    terms = [
        F.mse_loss(reconstruction, vectors)
        for vectors, reconstructions in (
            (user_vectors, user_reconstructions),
            (item_vectors, item_reconstructions),
        )
        for reconstruction in reconstructions
    ]
    return torch.stack(terms).sum()


def _soft_bce(reconstructed_logits: Tensor, original_logits: Tensor) -> Tensor:
    """BCE of the reconstructed prediction against the original prediction as a soft target."""
    return F.binary_cross_entropy_with_logits(reconstructed_logits, torch.sigmoid(original_logits))


@dataclass(frozen=True)
class PredictionForm:
    """One way to compare the recommender's scores on reconstructions with those on originals.

    ``scorer`` names the ``Recommender`` method that produces the scores; ``compare`` maps
    (reconstructed logits, original logits) to a scalar loss.
    """

    scorer: str
    compare: Callable[[Tensor, Tensor], Tensor]


PREDICTION_FORMS: Mapping[str, PredictionForm] = {
    # MSE of logits over the batch users × batch items cross product (the official ML-1M MF form, on logits).
    "cross": PredictionForm("logit_matrix", F.mse_loss),
    # MSE of logits on matched (user, item) pairs (the book's NCF choice).
    "pairs": PredictionForm("pair_logits", F.mse_loss),
    # BCE with the original sigmoid prediction as soft target (official ML-1M NCF, code/ML1M/training.ipynb).
    "bce": PredictionForm("pair_logits", _soft_bce),
}


def prediction_loss(
    model: Recommender,
    users: Tensor,
    items: Tensor,
    user_vectors: Tensor,
    item_vectors: Tensor,
    user_reconstructions: Tensor,
    item_reconstructions: Tensor,
    form: str = "cross",
) -> Tensor:
    """L_pred: how much the frozen recommender's scores move when it sees reconstructions (paper Fig. 1).

    The original scores are a fixed target, computed without a graph. The reconstructed scores
    keep their graph so the gradient flows *through* the recommender into the SAE; the
    recommender's own parameters must be frozen by the caller (``requires_grad=False``).
    For ``"cross"``, ``users`` [U] and ``items`` [I] may differ in length; for the pair forms
    they are matched rows of equal length.
    """
    spec = PREDICTION_FORMS[form]
    score = getattr(model, spec.scorer)
    with torch.no_grad():
        target = score(user_vectors, item_vectors, users, items)
    return spec.compare(score(user_reconstructions, item_reconstructions, users, items), target)


def auxk_loss(sae: SparseAutoencoder, inputs: Tensor, output: SAEOutput, dead: Tensor) -> Tensor:
    """AuxK loss of Gao et al. (2024), "Scaling and evaluating sparse autoencoders".

    Dead latents get no gradient under TopK. AuxK lets the top ``aux_k`` dead latents (by
    pre-activation) try to reconstruct what the live code missed, ``inputs − reconstruction``,
    so they drift back towards useful directions. The residual is a fixed target (detached),
    so only the dead latents learn from this term. Unlike Gao et al., the error is a plain MSE
    in embedding space rather than normalised by the residual's energy, which would blow up
    once the reconstruction is nearly exact.
    """
    dead_only = output.pre_activations.masked_fill(~dead, -math.inf)
    aux_codes = _relu_of_top(dead_only, sae.config.aux_k)
    residual = (inputs - output.reconstruction).detach()
    loss = F.mse_loss(sae.decode_delta(aux_codes, output.stats), residual)
    # A select rather than an early return keeps the step free of data-dependent branches,
    # which the compiled training step cannot contain.
    return torch.where(dead.any(), loss, torch.zeros_like(loss))


# --- Sparsity variants -----------------------------------------------------------------------


def _relu_of_top(pre_activations: Tensor, k: int) -> Tensor:
    """ReLU of the k largest pre-activations of each row, zeros elsewhere."""
    values, indices = pre_activations.topk(k, dim=-1)
    return torch.zeros_like(pre_activations).scatter(-1, indices, F.relu(values))


def relu_codes(pre_activations: Tensor, config: SAEConfig) -> Tensor:
    """The activation of every reported model in the paper (official ``models.ipynb``)."""
    return F.relu(pre_activations)


def topk_codes(pre_activations: Tensor, config: SAEConfig) -> Tensor:
    """ReLU on the top-k pre-activations, zeros elsewhere: at most k active latents (an official option)."""
    return _relu_of_top(pre_activations, config.k)


def _summed(terms: Sequence[Tensor]) -> Tensor:
    return torch.stack(list(terms)).sum()


def l1_penalty(sae: SparseAutoencoder, sides: Sequence[Side], weights: LossWeights) -> Tensor:
    """λ_L1 · L1, summed over the user and item sides (as in the official code)."""
    return weights.lambda_l1 * _summed([l1_sparsity(out.codes) for _, out in sides])


def kl_penalty(sae: SparseAutoencoder, sides: Sequence[Side], weights: LossWeights) -> Tensor:
    """λ_KL · KL + λ_L1 · L1, each summed over the sides: the paper's L_sparse (its Fig. 1).

    KL is the main term; L1 is optional (λ_L1 = 0 in the ML-1M runs, > 0 on Last.FM).
    """
    kl = _summed([kl_sparsity(out.codes, weights.rho) for _, out in sides])
    return weights.lambda_kl * kl + l1_penalty(sae, sides, weights)


def auxk_penalty(sae: SparseAutoencoder, sides: Sequence[Side], weights: LossWeights) -> Tensor:
    """λ_aux · AuxK, summed over the sides; TopK itself needs no sparsity penalty."""
    dead = sae.dead_latents()
    return weights.lambda_aux * _summed([auxk_loss(sae, x, out, dead) for x, out in sides])


def _no_extra_checks(config: SAEConfig) -> None:
    """A variant whose fields are all checked by ``SAEConfig`` itself."""


def _check_topk(config: SAEConfig) -> None:
    for name in ("k", "aux_k"):
        value = getattr(config, name)
        if not 1 <= value <= config.width:
            raise ValueError(
                f"TopK needs 1 <= {name} <= width, got {name}={value} with width={config.width}."
            )
    if config.dead_steps < 1:
        raise ValueError(f"dead_steps must be at least 1, got {config.dead_steps}.")


def _check_prefixes(config: SAEConfig) -> None:
    prefixes = config.prefixes
    increasing = all(a < b for a, b in zip((0, *prefixes), prefixes))
    if not prefixes or not increasing or prefixes[-1] != config.width:
        raise ValueError(
            f"Matryoshka prefixes must increase strictly and end at the width {config.width}, got {prefixes}."
        )


@dataclass(frozen=True)
class SparsityVariant:
    """How one sparsity scheme activates codes, what it adds to the loss, and what it requires.

    ``nested`` makes the SAE reconstruct from every prefix in ``SAEConfig.prefixes``
    (Matryoshka) instead of from all latents only. ``check`` raises ``ValueError`` on config
    fields that this variant uses and that are out of range.
    """

    activation: Callable[[Tensor, SAEConfig], Tensor]
    penalty: Callable[[SparseAutoencoder, Sequence[Side], LossWeights], Tensor]
    nested: bool = False
    check: Callable[[SAEConfig], None] = _no_extra_checks


SPARSITY_VARIANTS: Mapping[str, SparsityVariant] = {
    "kl": SparsityVariant(relu_codes, kl_penalty),
    "l1": SparsityVariant(relu_codes, l1_penalty),
    "topk": SparsityVariant(topk_codes, auxk_penalty, check=_check_topk),
    "matryoshka": SparsityVariant(relu_codes, kl_penalty, nested=True, check=_check_prefixes),
}


# --- Configuration ---------------------------------------------------------------------------


class LossWeights(NamedTuple):
    """The weights of the training objective and the KL target ρ (official values: ``SAEConfig``).

    Python floats from ``SAEConfig.loss_weights``; the compiled training step passes them as
    0-d tensors instead, so that one compiled graph serves every weight setting of a sweep.
    """

    alpha: float | Tensor
    beta: float | Tensor
    lambda_kl: float | Tensor
    lambda_l1: float | Tensor
    lambda_aux: float | Tensor
    rho: float | Tensor


def _require_known(field: str, value: str, known: Mapping[str, object]) -> None:
    if value not in known:
        raise ValueError(f"Unknown {field} {value!r}; expected one of {', '.join(sorted(known))}.")


@dataclass(frozen=True)
class SAEConfig:
    """All choices that define one SAE and its training objective.

    Defaults are the ML-1M MF-SAE of the official code (``code/ML1M/training.ipynb``); ``PAPER_CONFIGS``
    holds the other runs of the paper. Invalid combinations raise ``ValueError`` on creation.
    """

    input_dim: int = 20
    """d, the recommender's embedding size (official code: 20 on ML-1M, 100 on Last.FM)."""
    width: int = 22
    """m, the number of latents (official code: 22 on ML-1M, 70 on Last.FM, 80 for Matryoshka)."""
    form: str = "mf"
    """Architecture, a key of ``SAE_FORMS``: "mf" (OpenAI-style) or "ncf" (both as in the
    official ``code/ML1M/models.ipynb``)."""
    sparsity: str = "kl"
    """Sparsity scheme, a key of ``SPARSITY_VARIANTS``: "kl" (the paper's; adds λ_L1·L1 when
    λ_L1 > 0), "l1", "topk" (the book's appendix on the official code, TopK) or "matryoshka"
    (ReLU + KL + L1 on nested prefixes, official ``code/lastFM``)."""
    rho: float = 0.05
    """KL target activation ρ (official code: 0.05; 0.1 for Last.FM MF and Matryoshka)."""
    lambda_kl: float = 0.01
    """Weight of KL (official code: ML-1M MF 0.01, NCF 0.07; Last.FM MF 0.003, NCF 0.7)."""
    lambda_l1: float = 0.0
    """Weight of L1 (official code: 0 on ML-1M; Last.FM MF 0.3, NCF 1.27e-5, Matryoshka 0.3)."""
    k: int = 8
    """Active latents per vector under TopK (the official code tried k = 8 for MF)."""
    aux_k: int = 10
    """Dead latents used by AuxK; Gao et al. (2024) take about d/2, which is 10 for d = 20."""
    lambda_aux: float = 1 / 32
    """Weight of AuxK (Gao et al. 2024 use 1/32)."""
    dead_steps: int = 100
    """A latent is dead after this many training steps without firing on any user or item."""
    prefixes: tuple[int, ...] = (20, 40, 80)
    """Matryoshka prefix sizes, the last equal to the width (official ``code/lastFM``: [20, 40, 80])."""
    alpha: float = 0.1
    """Weight α of L_emb (official code: ML-1M MF 0.1, NCF 2; Last.FM MF 8, NCF 2.6)."""
    beta: float = 1.0
    """Weight β of L_pred (official code: ML-1M MF 1, NCF 10; the paper's Fig. 4 ablation
    varies it over {0, 1, 2, 5, 10})."""
    prediction: str = "cross"
    """L_pred form, a key of ``PREDICTION_FORMS``: "cross" for MF, "pairs" for NCF (the book's
    choice), "bce" for the official ML-1M NCF ablation (``code/ML1M/training.ipynb``)."""
    epochs: int = 18
    """Training epochs (official code: 18 on ML-1M, 30 on Last.FM)."""
    batch_size: int = 256
    """Interactions (ML-1M) or users and items (Last.FM) per step (official code)."""
    lr: float = 1e-3
    """Adam learning rate (official code)."""
    seed: int = 0
    """Seeds the SAE's initialisation (and the trainer's shuffling); the paper's Last.FM runs use 42."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefixes", tuple(self.prefixes))
        _require_known("SAE form", self.form, SAE_FORMS)
        _require_known("sparsity", self.sparsity, SPARSITY_VARIANTS)
        _require_known("prediction form", self.prediction, PREDICTION_FORMS)
        check_int(self, "input_dim", 2)
        check_int(self, "width", 1)
        check_number(self, "rho", above=0, below=1)
        for name in ("epochs", "batch_size"):  # k, aux_k and dead_steps: checked by TopK, which uses them
            check_int(self, name, 1)
        check_int(self, "seed", 0)
        check_number(self, "lr", above=0)
        for name in ("alpha", "beta", "lambda_kl", "lambda_l1", "lambda_aux"):
            check_number(self, name, at_least=0)
        if self.alpha == 0 and self.beta == 0:
            raise ValueError(
                "SAEConfig needs alpha > 0 or beta > 0: with both at 0 nothing is reconstructed."
            )
        SPARSITY_VARIANTS[self.sparsity].check(self)

    @property
    def loss_weights(self) -> LossWeights:
        """α, β, λ_KL, λ_L1, λ_aux and ρ, the fields the training objective reads."""
        return LossWeights(self.alpha, self.beta, self.lambda_kl, self.lambda_l1, self.lambda_aux, self.rho)

    @property
    def reconstruction_prefixes(self) -> tuple[int, ...]:
        """The latent prefixes the SAE reconstructs from: all nested prefixes, or the full width."""
        return self.prefixes if SPARSITY_VARIANTS[self.sparsity].nested else (self.width,)


# --- Architectures ---------------------------------------------------------------------------


class SparseAutoencoder(nn.Module, ABC):
    """A tied-weight SAE: one matrix W [m, d] encodes and (transposed) decodes (as in the official code).

    Subclasses say how an input becomes pre-activations and how W^T z is placed back into
    embedding space; activation, nested decoding and dead-latent bookkeeping are shared.
    """

    encoder_bias: ClassVar[bool]
    steps_since_active: Tensor

    def __init__(self, config: SAEConfig) -> None:
        super().__init__()
        self.config = config
        self.variant = SPARSITY_VARIANTS[config.sparsity]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.encoder = nn.Linear(config.input_dim, config.width, bias=self.encoder_bias)
        self.register_buffer("steps_since_active", torch.zeros(config.width, dtype=torch.long))

    @property
    def weight(self) -> Tensor:
        """W [m, d]; row j is latent j's encoder filter and its decoder direction."""
        return self.encoder.weight

    @abstractmethod
    def pre_activations(self, x: Tensor) -> tuple[Tensor, NormStats | None]:
        """Pre-activations [..., m] and the statistics needed to decode back to x's scale."""

    @abstractmethod
    def _to_embedding(self, direction: Tensor, stats: NormStats | None, offset: bool) -> Tensor:
        """Map W^T z into embedding space, with (``offset``) or without the decoder's biases."""

    def encode(self, x: Tensor) -> tuple[Tensor, NormStats | None]:
        """Sparse codes [..., m] of x [..., d], with the statistics ``decode`` needs for x."""
        pre, stats = self.pre_activations(x)
        return self.variant.activation(pre, self.config), stats

    def decode(self, codes: Tensor, stats: NormStats | None) -> Tensor:
        """Embedding [..., d] from (possibly edited) codes, on the scale given by ``stats``."""
        return self.decode_prefix(codes, stats, self.config.width)

    def decode_prefix(self, codes: Tensor, stats: NormStats | None, size: int) -> Tensor:
        """Decode from the first ``size`` latents only, as if the others were zero (Matryoshka)."""
        return self._to_embedding(codes[..., :size] @ self.weight[:size], stats, offset=True)

    def decode_delta(self, codes: Tensor, stats: NormStats | None) -> Tensor:
        """Change of the decoded embedding when ``codes`` are added to any code.

        The decoder is affine in the code, so this is W^T z without biases (and, for the MF
        form, scaled by the vector's std); AuxK reconstructs residuals with it.
        """
        return self._to_embedding(codes @ self.weight, stats, offset=False)

    def forward(self, x: Tensor) -> SAEOutput:
        pre, stats = self.pre_activations(x)
        codes = self.variant.activation(pre, self.config)
        reconstructions = tuple(
            self.decode_prefix(codes, stats, size) for size in self.config.reconstruction_prefixes
        )
        return SAEOutput(codes, pre, stats, reconstructions)

    @torch.no_grad()
    def record_activity(self, *codes: Tensor) -> None:
        """Count one training step: latents that fired in any of ``codes`` become fresh.

        Called by the trainer once per step with the user and item codes together, so "dead" means silent on
        both towers (the SAE is shared, as in paper Fig. 1).
        """
        advance_activity_clock(self.steps_since_active, *codes)

    def dead_latents(self) -> Tensor:
        """Boolean mask [m] of latents silent for at least ``config.dead_steps`` steps."""
        return self.steps_since_active >= self.config.dead_steps


class MFSparseAutoencoder(SparseAutoencoder):
    """OpenAI-style SAE for MF embeddings (official ``Autoencoder``, ``code/ML1M/models.ipynb``).

    z = act(W(x̄ − b_pre) + b_lat) with x̄ = (x − μ_x)/(σ_x + 1e-5), σ_x the unbiased std over
    the d coordinates; x̂ = (W^T z + b_pre)·σ_x + μ_x. Standardising per vector makes the code
    depend on the embedding's direction and not its norm, which MF ranks by.
    """

    encoder_bias = False

    def __init__(self, config: SAEConfig) -> None:
        super().__init__(config)
        self.pre_bias = nn.Parameter(torch.zeros(config.input_dim))
        self.latent_bias = nn.Parameter(torch.zeros(config.width))

    def pre_activations(self, x: Tensor) -> tuple[Tensor, NormStats]:
        stats = NormStats(x.mean(dim=-1, keepdim=True), x.std(dim=-1, keepdim=True))
        normalised = (x - stats.mean) / (stats.std + LAYER_NORM_EPS)
        return self.encoder(normalised - self.pre_bias) + self.latent_bias, stats

    def _to_embedding(self, direction: Tensor, stats: NormStats | None, offset: bool) -> Tensor:
        if stats is None:
            raise ValueError(
                "The MF-form SAE decodes on the scale of a vector, so pass the stats that "
                "encode returned for it."
            )
        if not offset:
            return direction * stats.std
        return (direction + self.pre_bias) * stats.std + stats.mean


class NCFSparseAutoencoder(SparseAutoencoder):
    """SAE for NCF embeddings (``models.ipynb``): z = act(Wx + b), x̂ = W^T z, raw inputs, no stats."""

    encoder_bias = True

    def pre_activations(self, x: Tensor) -> tuple[Tensor, None]:
        return self.encoder(x), None

    def _to_embedding(self, direction: Tensor, stats: NormStats | None, offset: bool) -> Tensor:
        return direction


SAE_FORMS: Mapping[str, type[SparseAutoencoder]] = {"mf": MFSparseAutoencoder, "ncf": NCFSparseAutoencoder}


@torch.no_grad()
def advance_activity_clock(steps_since_active: Tensor, *codes: Tensor) -> None:
    """``record_activity`` on a clock [..., m] whose leading axes are SAEs trained side by side.

    Each code tensor is [..., n, m] (or [n, m] for one SAE): a latent is fresh again where it
    fired on any of its own SAE's rows, so an ensemble keeps one correct clock per member.
    """
    *members, width = steps_since_active.shape
    fired = torch.stack([(c > 0).reshape(*members, -1, width).any(dim=-2) for c in codes])
    steps_since_active.add_(1).masked_fill_(fired.any(dim=0), 0)


def build_sae(config: SAEConfig) -> SparseAutoencoder:
    """The SAE of ``config.form``, initialised from ``config.seed`` without touching global RNG state.

    W has PyTorch's default ``nn.Linear`` initialisation (Kaiming-uniform); the MF form's
    b_pre and b_lat start at zero (as in the official code).
    """
    return SAE_FORMS[config.form](config)


def mean_l0(codes: Tensor) -> float:
    """Mean number of active (non-zero) latents per code vector, the L0 the official notebooks print."""
    return float((codes != 0).sum(dim=-1).float().mean())


# --- Training objective ----------------------------------------------------------------------


@dataclass(frozen=True)
class LossTerms:
    """The training objective, its parts kept apart for logging, and the step's codes.

    The codes let the trainer advance the dead-latent clock (``record_activity``) after the
    step, outside the differentiated function.
    """

    total: Tensor
    embedding: Tensor
    prediction: Tensor
    sparsity: Tensor
    user_codes: Tensor
    item_codes: Tensor


def total_loss(
    sae: SparseAutoencoder,
    model: Recommender,
    users: Tensor,
    items: Tensor,
    user_vectors: Tensor,
    item_vectors: Tensor,
    weights: LossWeights | None = None,
    prediction_term: Callable[..., Tensor] = prediction_loss,
) -> LossTerms:
    """α·L_emb + β·L_pred + L_sparse for one step on a user batch and an item batch (official weights).

    ``user_vectors``/``item_vectors`` are the frozen recommender's embeddings of ``users`` and
    ``items``; both go through the same SAE. ``sparsity`` is already weighted by its λs, since
    each variant combines its own terms; ``weights`` defaults to ``sae.config.loss_weights``.
    ``prediction_term`` computes L_pred with the arguments of ``prediction_loss``; the SAE
    ensemble passes an equal but cheaper form of the MF cross product (``recsae.training.sae_ensemble``).
    The loss has no side effects: the trainer advances the dead-latent clock, which AuxK
    reads, from the returned codes.
    """
    config = sae.config
    weights = config.loss_weights if weights is None else weights
    user_out, item_out = sae(user_vectors), sae(item_vectors)
    embedding = embedding_loss(user_vectors, user_out.reconstructions, item_vectors, item_out.reconstructions)
    prediction = prediction_term(
        model,
        users,
        items,
        user_vectors,
        item_vectors,
        user_out.reconstruction,
        item_out.reconstruction,
        config.prediction,
    )
    sparsity = sae.variant.penalty(sae, ((user_vectors, user_out), (item_vectors, item_out)), weights)
    total = weights.alpha * embedding + weights.beta * prediction + sparsity
    return LossTerms(total, embedding, prediction, sparsity, user_out.codes, item_out.codes)
