"""The one container every later stage reads: a binary user × item matrix plus metadata.

Ratings are binarised (every observed rating is a positive, as in the official code), so the container
stores only the positive pairs as two index arrays. Users and items are renumbered to
``0..n-1``; ``user_ids``/``item_ids`` map positions back to the dataset's own ids and
``user_positions``/``item_positions`` map the other way.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsae.cache.storage import digest_bytes


@dataclass(frozen=True, eq=False)
class Interactions:
    """Positive (user, item) pairs with id maps and item / user metadata.

    Attributes:
        name: dataset name, e.g. ``"ml-1m"``.
        user_ids, item_ids: the dataset's own ids, sorted; position = matrix index.
        pair_users, pair_items: one entry per positive pair (matrix indices).
        items: per-item metadata, row ``i`` = item ``i`` (title, year, decade, popularity ...).
        item_labels: boolean multi-hot concept labels per item (ML genres, Last.FM tags).
        users: per-user metadata, row ``u`` = user ``u`` (may have no columns).
    """

    name: str
    user_ids: np.ndarray
    item_ids: np.ndarray
    pair_users: np.ndarray
    pair_items: np.ndarray
    items: pd.DataFrame
    item_labels: pd.DataFrame
    users: pd.DataFrame

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_interactions(self) -> int:
        return len(self.pair_users)

    @property
    def density(self) -> float:
        return self.n_interactions / (self.n_users * self.n_items)

    def matrix(self) -> sp.csr_matrix:
        """The binary user × item matrix (1 = interacted)."""
        ones = np.ones(self.n_interactions, dtype=np.float32)
        return sp.csr_matrix((ones, (self.pair_users, self.pair_items)), shape=(self.n_users, self.n_items))

    def summary(self) -> dict[str, float]:
        """Shape, density and activity figures of the matrix, for the data chapter."""
        per_user = np.bincount(self.pair_users, minlength=self.n_users)
        per_item = np.bincount(self.pair_items, minlength=self.n_items)
        return {
            "n_users": self.n_users,
            "n_items": self.n_items,
            "n_interactions": self.n_interactions,
            "density": round(self.density, 4),
            "user_interactions.min": int(per_user.min()),
            "user_interactions.median": float(np.median(per_user)),
            "user_interactions.max": int(per_user.max()),
            "item_interactions.median": float(np.median(per_item)),
            "items_without_interactions": int((per_item == 0).sum()),
            "n_labels": self.item_labels.shape[1],
            "items_without_label": int((~self.item_labels.any(axis=1)).sum()),
        }

    def user_positions(self, raw_ids: np.ndarray | list[int]) -> np.ndarray:
        return _positions(self.user_ids, np.asarray(raw_ids), "user")

    def item_positions(self, raw_ids: np.ndarray | list[int]) -> np.ndarray:
        return _positions(self.item_ids, np.asarray(raw_ids), "item")

    def to_bytes(self) -> bytes:
        """All arrays as one ``.npz`` (no pickle): what the parsed-data cache stores."""
        arrays: dict[str, np.ndarray] = {
            "name": np.array(self.name),
            "user_ids": self.user_ids,
            "item_ids": self.item_ids,
            "pair_users": self.pair_users,
            "pair_items": self.pair_items,
        }
        for prefix, frame in (
            ("items", self.items),
            ("item_labels", self.item_labels),
            ("users", self.users),
        ):
            arrays[f"{prefix}/__columns__"] = np.array(list(frame.columns), dtype=str)
            arrays[f"{prefix}/__dtypes__"] = np.array([str(dtype) for dtype in frame.dtypes], dtype=str)
            for position, column in enumerate(frame.columns):
                arrays[f"{prefix}/{position}"] = _column_to_array(frame[column])
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> Interactions:
        with np.load(io.BytesIO(payload), allow_pickle=False) as stored:
            frames = {}
            for prefix in ("items", "item_labels", "users"):
                columns = [str(c) for c in stored[f"{prefix}/__columns__"]]
                dtypes = [str(d) for d in stored[f"{prefix}/__dtypes__"]]
                length = len(stored["user_ids"] if prefix == "users" else stored["item_ids"])
                frames[prefix] = pd.DataFrame(
                    {
                        column: pd.Series(stored[f"{prefix}/{position}"]).astype(dtype)
                        for position, (column, dtype) in enumerate(zip(columns, dtypes))
                    },
                    index=pd.RangeIndex(length),
                    columns=columns,
                )
            return cls(
                name=str(stored["name"]),
                user_ids=stored["user_ids"],
                item_ids=stored["item_ids"],
                pair_users=stored["pair_users"],
                pair_items=stored["pair_items"],
                **frames,
            )

    def digest(self) -> str:
        """A digest of the content (pairs, ids and every metadata value), independent of how it
        was stored: what a trained model's cache key holds, so that changed data retrains."""
        parts = [self.name.encode()]
        for array in (self.user_ids, self.item_ids, self.pair_users, self.pair_items):
            parts.append(np.ascontiguousarray(array).tobytes())
        for frame in (self.items, self.item_labels, self.users):
            parts.append(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
            parts.append(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        return digest_bytes(*parts)[:16]


def from_pairs(
    name: str,
    raw_users: np.ndarray,
    raw_items: np.ndarray,
    items: pd.DataFrame,
    item_labels: pd.DataFrame,
    users: pd.DataFrame,
    item_universe: np.ndarray | None = None,
) -> Interactions:
    """Build the container from raw id pairs and metadata indexed by raw ids.

    Users that occur in a pair get a position; so do items, or every id of
    ``item_universe`` when given (the paper's ML-1M matrix keeps the columns of movies rated
    only by the user it drops). Metadata rows are aligned by id (never by file position, unlike
    the official steering code), and a ``popularity`` column (number of users, as officially)
    and its rank (0 = most popular) are added to the item table.
    """
    pairs = np.unique(np.stack([raw_users, raw_items], axis=1), axis=0)
    user_ids, pair_users = np.unique(pairs[:, 0], return_inverse=True)
    item_ids = np.unique(pairs[:, 1] if item_universe is None else item_universe)
    pair_items = np.searchsorted(item_ids, pairs[:, 1])
    item_table = items.reindex(item_ids).reset_index(drop=True)
    popularity = np.bincount(pair_items, minlength=len(item_ids))
    item_table["popularity"] = popularity
    item_table["popularity_rank"] = np.argsort(np.argsort(-popularity, kind="stable"), kind="stable")
    return Interactions(
        name=name,
        user_ids=user_ids.astype(np.int64),
        item_ids=item_ids.astype(np.int64),
        pair_users=pair_users.astype(np.int32),
        pair_items=pair_items.astype(np.int32),
        items=item_table,
        item_labels=item_labels.reindex(item_ids, fill_value=False).reset_index(drop=True).astype(bool),
        users=users.reindex(user_ids).reset_index(drop=True),
    )


def _positions(ids: np.ndarray, raw: np.ndarray, kind: str) -> np.ndarray:
    positions = np.searchsorted(ids, raw)
    clipped = np.minimum(positions, len(ids) - 1)
    unknown = ids[clipped] != raw
    if unknown.any():
        raise KeyError(f"Unknown {kind} id {raw[unknown][0].item()}: it has no interactions in this dataset.")
    return positions


def _column_to_array(column: pd.Series) -> np.ndarray:
    """A plain numpy array for ``np.savez``: strings as unicode, nullable integers as float."""
    if pd.api.types.is_string_dtype(column) or column.dtype == object:
        return np.asarray(column.astype(str), dtype=str)
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return column.to_numpy()
