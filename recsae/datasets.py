"""Parsers that turn the verified raw files into :class:`Interactions`, and their cache.

``load(name)`` is the entry point. The first call parses the files (≈1 s for MovieLens-1M:
the ``::`` separator is rewritten to a tab so pandas' C parser can read it) and stores the
arrays in the cache folder under a key made of the files' digests and the parser version;
later calls read that ``.npz`` in a fraction of a second.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recsae.interactions import Interactions, from_pairs
from recsae.sources import DatasetFiles, cache_dir, locate

PARSER_VERSION = 1

ML1M_DROPPED_USER = 4169
"""PAPER §4.1/§10.5: the official code drops this user (the most active one, 2,314 ratings),
which gives the paper's 6,039 × 3,706 matrix. We drop it consistently from ratings and users."""

ML1M_RATINGS = 1_000_209

ML_GENRES = (
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)

ML1M_AGE_BUCKETS = {1: "Under 18", 18: "18-24", 25: "25-34", 35: "35-44", 45: "45-49", 50: "50-55", 56: "56+"}

LASTFM_MIN_LISTENERS = 5
LASTFM_MIN_ARTISTS_PER_USER = 10
LASTFM_TAGS_PER_ARTIST = 4
LASTFM_MIN_ARTISTS_PER_TAG = 20
LASTFM_STOP_TAGS = frozenset({
    # PAPER §4.2's exclusion list, written the way HetRec spells tags ...
    "beautiful", "indie", "alternative", "singer-songwriter", "oldies", "alternative rock", "indie pop",
    "pop rock", "ambient", "experimental", "electro", "grunge", "synthpop", "rnb", "seen live", "favorites",
    # ... plus the HetRec tags that describe the listener's taste, not the music.
    "favorite", "favourite", "favourites", "love", "awesome", "amazing", "cool", "best", "sexy", "good",
})
_DECADE_TAG = re.compile(r"^(19|20)?\d0s$")


class DataFormatError(ValueError):
    """A raw file has a line that does not have the documented format."""


def load(name: str) -> Interactions:
    """Load a dataset by name (``"ml-1m"``, ``"ml-100k"``, ``"lastfm"``), parsing at most once."""
    files = locate(name)  # an unknown name fails here with the list of known ones
    parse = PARSERS[name]
    cached = cache_dir() / "parsed" / f"{name}-v{PARSER_VERSION}-{files.fingerprint}.npz"
    if cached.is_file():
        return Interactions.load(cached)
    interactions = parse(files)
    interactions.save(cached)
    return interactions


def read_table(
    path: Path,
    columns: Sequence[str],
    dtypes: dict[str, str],
    separator: str,
    encoding: str = "latin-1",
    header: bool = False,
    optional_trailing: int = 0,
) -> pd.DataFrame:
    """Read a separated text file fast, or name the first malformed line.

    Multi-character separators (MovieLens ``::``) are rewritten to a tab so pandas' C parser
    reads the file (the python engine is >10× slower). Quote characters have no meaning in
    these files. ``optional_trailing`` columns may be absent on every line (the MovieLens
    ratings with or without the timestamp). Any line with the wrong field count or a
    non-numeric id raises :class:`DataFormatError` with the file name and line number.
    """
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    text = raw.decode(encoding)
    lines = text.splitlines()
    first_data = lines[1] if header and len(lines) > 1 else (lines[0] if lines else "")
    n_fields = len(first_data.split(separator))
    if not len(columns) - optional_trailing <= n_fields <= len(columns):
        _raise_bad_line(path, lines, separator, columns, dtypes, header, len(columns))
    used = list(columns[:n_fields])
    single = separator if len(separator) == 1 else "\t"
    try:
        frame = pd.read_csv(
            io.StringIO(text if single == separator else text.replace(separator, single)),
            sep=single,
            header=0 if header else None,
            names=used,
            dtype={c: d for c, d in dtypes.items() if c in used},
            quoting=csv.QUOTE_NONE,
            index_col=False,
            keep_default_na=False,
            na_values=[""],
        )
    except (ValueError, pd.errors.ParserError):
        _raise_bad_line(path, lines, separator, used, dtypes, header, n_fields)
    return frame


def _raise_bad_line(
    path: Path,
    lines: list[str],
    separator: str,
    columns: Sequence[str],
    dtypes: dict[str, str],
    header: bool,
    n_fields: int,
) -> None:
    numeric = [i for i, c in enumerate(columns) if dtypes.get(c, "str").startswith(("int", "float"))]
    for number, line in enumerate(lines, start=1):
        if header and number == 1:
            continue
        fields = line.split(separator)
        if len(fields) != n_fields or not all(_is_number(fields[i]) for i in numeric if i < len(fields)):
            shown = line if len(line) <= 80 else line[:77] + "..."
            raise DataFormatError(
                f"{path.name}, line {number}: expected {n_fields} fields "
                f"({', '.join(columns[:n_fields])}) separated by {separator!r}, got {shown!r}."
            )
    raise DataFormatError(f"{path.name}: the file could not be parsed as {', '.join(columns)}.")


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def parse_ml1m(files: DatasetFiles) -> Interactions:
    """MovieLens-1M: ratings (3- or 4-field form), genres, release year, demographics."""
    ratings_file = "ratings.dat" if files.has("ratings.dat") else "ratings_no_timestamps.dat.gz"
    ratings = read_table(
        files.path(ratings_file),
        ["user", "item", "rating", "timestamp"],
        {"user": "int64", "item": "int64", "rating": "int64", "timestamp": "int64"},
        "::",
        optional_trailing=1,
    )
    if len(ratings) != ML1M_RATINGS:
        raise DataFormatError(
            f"{ratings_file} has {len(ratings):,} ratings but the official file has {ML1M_RATINGS:,}; "
            f"replace it with the copy from {files.source.url}."
        )
    rated_movies = ratings.item.unique()
    ratings = ratings[ratings.user != ML1M_DROPPED_USER]
    movies = read_table(files.path("movies.dat"), ["item", "title", "genres"], {"item": "int64"}, "::")
    users = read_table(
        files.path("users.dat"),
        ["user", "gender", "age", "occupation", "zip"],
        {"user": "int64", "age": "int64", "occupation": "int64", "zip": "str"},
        "::",
    )
    items, labels = _movie_tables(movies.set_index("item"), movies.set_index("item").genres.str.split("|"))
    user_table = pd.DataFrame(
        {
            "gender": users.gender.to_numpy(),
            "age": users.age.to_numpy(),
            "age_group": users.age.map(ML1M_AGE_BUCKETS).to_numpy(),
        },
        index=users.user.to_numpy(),
    ).drop(index=ML1M_DROPPED_USER)
    return from_pairs(
        "ml-1m", ratings.user.to_numpy(), ratings.item.to_numpy(), items, labels, user_table, rated_movies
    )


def parse_ml100k(files: DatasetFiles) -> Interactions:
    """MovieLens-100K, the small dataset of the quick profile: same schema as ML-1M."""
    ratings = read_table(
        files.path("u.data"),
        ["user", "item", "rating", "timestamp"],
        {"user": "int64", "item": "int64", "rating": "int64", "timestamp": "int64"},
        "\t",
    )
    flag_columns = ["unknown", *ML_GENRES]
    movies = read_table(
        files.path("u.item"),
        ["item", "title", "release", "video", "url", *flag_columns],
        {"item": "int64", **{g: "int64" for g in flag_columns}},
        "|",
    ).set_index("item")
    genres = movies[list(ML_GENRES)].astype(bool).apply(lambda row: list(row.index[row]), axis=1)
    users = read_table(
        files.path("u.user"),
        ["user", "age", "gender", "occupation", "zip"],
        {"user": "int64", "age": "int64"},
        "|",
    )
    items, labels = _movie_tables(movies, genres)
    user_table = pd.DataFrame(
        {
            "gender": users.gender.to_numpy(),
            "age": users.age.to_numpy(),
            "age_group": np.where(users.age.to_numpy() < 18, "Under 18", "18+"),
        },
        index=users.user.to_numpy(),
    )
    return from_pairs("ml-100k", ratings.user.to_numpy(), ratings.item.to_numpy(), items, labels, user_table)


def _movie_tables(movies: pd.DataFrame, genres: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Title, release year and decade (PAPER §4.1 buckets) and the genre multi-hot, by movie id."""
    year = pd.to_numeric(movies.title.str.extract(r"\((\d{4})\)\s*$")[0], errors="coerce").astype("Int64")
    items = pd.DataFrame({"title": movies.title.astype(str), "year": year}, index=movies.index)
    items["decade"] = decade_of(year)
    labels = pd.DataFrame(
        {genre: genres.map(lambda names, g=genre: g in names).astype(bool) for genre in ML_GENRES},
        index=movies.index,
    )
    return items, labels


DECADES = ("≤1960s", "1970s", "1980s", "1990s", "2000s")


def decade_of(year: pd.Series) -> pd.Series:
    """PAPER §4.1's decade buckets: ≤1969 together, then one bucket per decade."""
    bucket = pd.Series(pd.NA, index=year.index, dtype="string")
    known = year.notna()
    decade = (year[known].astype(int) // 10) * 10
    bucket[known] = np.where(decade <= 1960, "≤1960s", decade.astype(str) + "s")
    return bucket.astype(str).replace("<NA>", "unknown")


def parse_lastfm(files: DatasetFiles) -> Interactions:
    """HetRec 2011 Last.FM 2k, filtered and tagged as PAPER §12 chooses."""
    plays = read_table(
        files.path("user_artists.dat"),
        ["user", "item", "weight"],
        {"user": "int64", "item": "int64", "weight": "int64"},
        "\t",
        header=True,
    )
    artists = read_table(
        files.path("artists.dat"), ["item", "name", "url", "picture"], {"item": "int64"}, "\t", "utf-8", True
    ).set_index("item")
    tags = read_table(files.path("tags.dat"), ["tag", "value"], {"tag": "int64"}, "\t", header=True)
    tagged = read_table(
        files.path("user_taggedartists.dat"),
        ["user", "item", "tag", "day", "month", "year"],
        {c: "int64" for c in ("user", "item", "tag", "day", "month", "year")},
        "\t",
        header=True,
    )
    plays = _filter_lastfm(plays)
    items = pd.DataFrame({"name": artists.name.astype(str)}, index=artists.index)
    labels = _artist_tags(tagged, tags, plays.item.unique())
    users = pd.DataFrame(index=np.unique(plays.user.to_numpy()))
    return from_pairs("lastfm", plays.user.to_numpy(), plays.item.to_numpy(), items, labels, users)


def _filter_lastfm(plays: pd.DataFrame) -> pd.DataFrame:
    """Artists with ≥5 listeners, then users with ≥10 such artists (PAPER §12)."""
    listeners = plays.groupby("item").user.transform("size")
    plays = plays[listeners >= LASTFM_MIN_LISTENERS]
    artists_per_user = plays.groupby("user").item.transform("size")
    return plays[artists_per_user >= LASTFM_MIN_ARTISTS_PER_USER]


def _artist_tags(tagged: pd.DataFrame, tags: pd.DataFrame, artists: np.ndarray) -> pd.DataFrame:
    """Multi-hot of each artist's top-4 descriptive tags (PAPER §4.2, §12).

    Tag names are lower-cased and stripped; stop-listed and decade tags are dropped; ties
    in the per-artist count are broken by tag name so the result is deterministic. Only tags
    that are a top tag of at least ``LASTFM_MIN_ARTISTS_PER_TAG`` artists become columns.
    """
    names = tags.set_index("tag").value.str.strip().str.lower()
    named = tagged.assign(name=tagged.tag.map(names))
    named = named[named.item.isin(artists) & named.name.notna()]
    descriptive = ~named.name.isin(LASTFM_STOP_TAGS) & ~named.name.str.match(_DECADE_TAG)
    counts = named[descriptive].groupby(["item", "name"]).size().rename("count").reset_index()
    counts = counts.sort_values(["item", "count", "name"], ascending=[True, False, True])
    top = counts.groupby("item").head(LASTFM_TAGS_PER_ARTIST)
    frequent = top.name.value_counts()
    top = top[top.name.isin(frequent[frequent >= LASTFM_MIN_ARTISTS_PER_TAG].index)]
    multi_hot = pd.crosstab(top.item, top.name).astype(bool)
    return multi_hot.reindex(columns=sorted(multi_hot.columns))


PARSERS: dict[str, Callable[[DatasetFiles], Interactions]] = {
    "ml-1m": parse_ml1m,
    "ml-100k": parse_ml100k,
    "lastfm": parse_lastfm,
}
