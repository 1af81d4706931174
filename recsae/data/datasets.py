"""Parsers that turn the verified raw files into :class:`Interactions`, and their cache.

``load(name)`` is the entry point. The first call parses the files (≈1 s for MovieLens-1M:
the ``::`` separator is rewritten to a tab so pandas' C parser can read it) and stores the
arrays in the cache folder, sealed with their digest, under a key made of the raw files'
digests and the digest of the parser's own source (so a parser fix re-parses); later calls
read that ``.npz`` in a fraction of a second.

Every row is checked before it is used: field counts and numbers, ranges (ratings 1–5,
positive ids, play counts), duplicate pairs, and references to the item and tag tables. Each
failure names the file and line and says how to get a good copy.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recsae.cache.provenance import code_digest
from recsae.cache.storage import DamagedFile, load_or_make
from recsae.data.interactions import Interactions, from_pairs
from recsae.data.sources import DatasetFiles, cache_dir, locate

ML1M_DROPPED_USER = 4169
"""The official `code/ML1M/data_processing.ipynb` drops this user (the most active one, 2,314 ratings),
which gives the paper's 6,039 × 3,706 matrix. We drop it consistently from ratings and users."""

ML1M_RATINGS = 1_000_209

ML_GENRES = (
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)

ML1M_AGE_BUCKETS = {1: "Under 18", 18: "18-24", 25: "25-34", 35: "35-44", 45: "45-49", 50: "50-55", 56: "56+"}

LASTFM_MIN_LISTENERS = 5
LASTFM_MIN_ARTISTS_PER_USER = 10
LASTFM_TAGS_PER_ARTIST = 4
LASTFM_MIN_ARTISTS_PER_TAG = 20
LASTFM_STOP_TAGS = frozenset(
    {
        # The official Last.FM exclusion list (code/lastFM), written the way HetRec spells tags ...
        "beautiful",
        "indie",
        "alternative",
        "singer-songwriter",
        "oldies",
        "alternative rock",
        "indie pop",
        "pop rock",
        "ambient",
        "experimental",
        "electro",
        "grunge",
        "synthpop",
        "rnb",
        "seen live",
        "favorites",
        # ... plus the HetRec tags that describe the listener's taste, not the music.
        "favorite",
        "favourite",
        "favourites",
        "love",
        "awesome",
        "amazing",
        "cool",
        "best",
        "sexy",
        "good",
        "<3",
        "4m4zinq",  # one listener's private tag
        "cover",
        "covers",
        # ... and moods and song forms, which cut across genres.
        "mellow",
        "epic",
        "ballad",
        "catchy",
    }
)
LASTFM_TAG_SPELLINGS = {
    "hip hop": "hip-hop",
    "brasil": "brazilian",
    "brazil": "brazilian",
    "female vocalist": "female vocalists",
    "synth pop": "synthpop",
}
"""Spellings of one tag merged before anything is counted (HetRec's listeners typed tags
freely); a spelling of a stop-listed tag is then dropped with it (``synth pop``)."""
LASTFM_TAG_FAMILIES = {
    "metal": frozenset(
        {
            "metal",
            "heavy metal",
            "death metal",
            "melodic death metal",
            "thrash metal",
            "black metal",
            "power metal",
            "progressive metal",
            "symphonic metal",
            "gothic metal",
            "doom metal",
            "nu metal",
            "alternative metal",
        }
    ),
    "electronic": frozenset(
        {"electronic", "electronica", "idm", "ebm", "techno", "trance", "downtempo", "electropop"}
    ),
    "hip-hop": frozenset({"hip-hop", "rap"}),
}
"""Multi-tag concepts (the official Last.FM code reads its metal neuron against a set of metal
tags): an artist carries the family's name when it carries any of its tags among its top tags.
The narrower tags stay concepts of their own."""
_DECADE_TAG = re.compile(r"^(19|20)?\d0s$")


class DataFormatError(ValueError):
    """A raw file has a line that does not have the documented format."""


def load(name: str) -> Interactions:
    """Load a dataset by name (``"ml-1m"``, ``"ml-100k"``, ``"lastfm"``), parsing at most once."""
    files = locate(name)  # an unknown name fails here with the list of known ones
    cached = cache_dir() / "parsed" / f"{name}-{code_digest(__name__)}-{files.fingerprint}.npz"

    # The freshly parsed data goes through its stored form too, so a first run and a later one
    # see exactly the same values (a missing value reads back the same way either way).
    def fresh() -> Interactions:
        return Interactions.from_bytes(parse(files).to_bytes())

    return load_or_make(cached, f"parsed {name} dataset", _decode, fresh, Interactions.to_bytes)


def parse(files: DatasetFiles) -> Interactions:
    """Run the dataset's parser; a format error gets the fix (where a good copy comes from)."""
    try:
        return PARSERS[files.source.name](files)
    except DataFormatError as error:
        raise DataFormatError(
            f"{str(error).rstrip('.')}; replace the file with the copy from {files.source.url}."
        ) from None


def _decode(payload: bytes) -> Interactions:
    try:
        return Interactions.from_bytes(payload)
    except Exception as error:  # an intact seal around a file numpy cannot read is damaged all the same
        raise DamagedFile(f"it cannot be read as parsed data ({type(error).__name__})") from error


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
    text = _read_text(path, encoding)
    lines = text.splitlines()
    if not any(line.strip() for line in lines[int(header) :]):
        raise DataFormatError(f"{path.name} is empty: it has no data lines.")
    first_data = lines[int(header)]
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


def _read_text(path: Path, encoding: str) -> str:
    """The file's text, gunzipped when it ends in ``.gz``; unreadable bytes are a format error."""
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        return raw.decode(encoding)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DataFormatError(f"{path.name} is not a readable gzip file ({error}).") from error
    except UnicodeDecodeError as error:
        raise DataFormatError(
            f"{path.name} is not {encoding} text (byte {error.start} cannot be read)."
        ) from error


def _raise_bad_line(
    path: Path,
    lines: list[str],
    separator: str,
    columns: Sequence[str],
    dtypes: dict[str, str],
    header: bool,
    n_fields: int,
) -> None:
    kinds = {c: d for c, d in dtypes.items() if d.startswith(("int", "float"))}
    expected = f"expected {n_fields} fields ({', '.join(columns[:n_fields])}) separated by {separator!r}"
    for number, line in enumerate(lines, start=1):
        if header and number == 1:
            continue
        fields = line.split(separator)
        wrong = [c for c, f in zip(columns, fields) if c in kinds and not _is_value(f, kinds[c])]
        if len(fields) != n_fields or wrong:
            shown = line if len(line) <= 80 else line[:77] + "..."
            numeric = (
                f" with {wrong[0]} {_kind_name(kinds[wrong[0]])}" if wrong and len(fields) == n_fields else ""
            )
            raise DataFormatError(f"{path.name}, line {number}: {expected}{numeric}, got {shown!r}.")
    raise DataFormatError(f"{path.name}: the file could not be parsed as {', '.join(columns)}.")


def _kind_name(dtype: str) -> str:
    return "an integer" if dtype.startswith("int") else "a number"


def _is_value(field: str, dtype: str) -> bool:
    """Whether pandas can read ``field`` as ``dtype`` (an int64 column takes no decimals)."""
    if dtype.startswith("int"):
        return re.fullmatch(r"\s*[+-]?\d+\s*", field) is not None
    return _is_number(field)


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def check_range(
    frame: pd.DataFrame, path: Path, column: str, low: int, high: int | None = None, header: bool = False
) -> None:
    """Every ``column`` value lies in [low, high]; else the first line that does not."""
    outside = (frame[column] < low) | (frame[column] > high if high is not None else False)
    if outside.any():
        row = int(np.argmax(outside.to_numpy()))
        allowed = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise DataFormatError(
            f"{path.name}, line {_line(row, header)}: {column} must be {allowed}, "
            f"got {frame[column].iat[row]}."
        )


def check_unique(frame: pd.DataFrame, path: Path, columns: Sequence[str], header: bool = False) -> None:
    """No two lines carry the same ``columns`` values (a rating or play counted twice)."""
    repeated = frame.duplicated(list(columns), keep="first").to_numpy()
    if repeated.any():
        row = int(np.argmax(repeated))
        values = tuple(frame[c].iat[row].item() for c in columns)
        same = np.logical_and.reduce([frame[c].to_numpy() == v for c, v in zip(columns, values)])
        first = int(np.argmax(same))
        shown = ", ".join(f"{c} {v}" for c, v in zip(columns, values))
        raise DataFormatError(
            f"{path.name}, line {_line(row, header)}: {shown} already appears on line {_line(first, header)}."
        )


def check_known(
    frame: pd.DataFrame,
    path: Path,
    column: str,
    known: pd.Index | np.ndarray,
    table: str,
    header: bool = False,
) -> None:
    """Every ``column`` value is an id of ``table`` (a rating of a movie that does not exist)."""
    unknown = ~frame[column].isin(known).to_numpy()
    if unknown.any():
        row = int(np.argmax(unknown))
        raise DataFormatError(
            f"{path.name}, line {_line(row, header)}: {column} {frame[column].iat[row]} is not in {table}."
        )


def _line(row: int, header: bool) -> int:
    """The 1-based file line of a frame's row ``row``."""
    return row + 1 + int(header)


def _check_ratings(
    ratings: pd.DataFrame,
    path: Path,
    items: pd.DataFrame,
    item_file: str,
    users: pd.DataFrame,
    user_file: str,
) -> None:
    """The MovieLens ratings checks: ids, 1–5 stars, one rating per pair, known movies and users."""
    for column in ("user", "item"):
        check_range(ratings, path, column, 1)
    check_range(ratings, path, "rating", 1, 5)
    check_unique(ratings, path, ["user", "item"])
    check_known(ratings, path, "item", items.index, item_file)
    check_known(ratings, path, "user", users.user, user_file)


def _check_id_table(frame: pd.DataFrame, path: Path, column: str, header: bool = False) -> None:
    check_range(frame, path, column, 1, header=header)
    check_unique(frame, path, [column], header=header)


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
    movies = read_table(files.path("movies.dat"), ["item", "title", "genres"], {"item": "int64"}, "::")
    users = read_table(
        files.path("users.dat"),
        ["user", "gender", "age", "occupation", "zip"],
        {"user": "int64", "age": "int64", "occupation": "int64", "zip": "str"},
        "::",
    )
    _check_id_table(movies, files.path("movies.dat"), "item")
    _check_id_table(users, files.path("users.dat"), "user")
    _check_ratings(
        ratings, files.path(ratings_file), movies.set_index("item"), "movies.dat", users, "users.dat"
    )
    if len(ratings) != ML1M_RATINGS:
        raise DataFormatError(
            f"{ratings_file} has {len(ratings):,} ratings but the official file has {ML1M_RATINGS:,}."
        )
    rated_movies = ratings.item.unique()
    ratings = ratings[ratings.user != ML1M_DROPPED_USER]
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
    _check_id_table(movies.reset_index(), files.path("u.item"), "item")
    _check_id_table(users, files.path("u.user"), "user")
    _check_ratings(ratings, files.path("u.data"), movies, "u.item", users, "u.user")
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
    """Title, release year and decade (official buckets) and the genre multi-hot, by movie id."""
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
    """The official code's decade buckets: ≤1969 together, then one bucket per decade."""
    bucket = pd.Series(pd.NA, index=year.index, dtype="string")
    known = year.notna()
    decade = (year[known].astype(int) // 10) * 10
    bucket[known] = np.where(decade <= 1960, "≤1960s", decade.astype(str) + "s")
    return bucket.fillna("unknown").astype(str)


def parse_lastfm(files: DatasetFiles) -> Interactions:
    """HetRec 2011 Last.FM 2k, filtered and tagged as the book's appendix on the official code describes."""
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
    _check_id_table(artists.reset_index(), files.path("artists.dat"), "item", header=True)
    _check_id_table(tags, files.path("tags.dat"), "tag", header=True)
    path = files.path("user_artists.dat")
    for column in ("user", "item", "weight"):
        check_range(plays, path, column, 1, header=True)
    check_unique(plays, path, ["user", "item"], header=True)
    check_known(plays, path, "item", artists.index, "artists.dat", header=True)
    path = files.path("user_taggedartists.dat")
    check_unique(tagged, path, ["user", "item", "tag"], header=True)
    check_known(tagged, path, "tag", tags.tag, "tags.dat", header=True)
    # Tagged artists may be missing from artists.dat (1,538 rows of the official file are): they
    # have no plays, so the filter below drops them.
    plays = _filter_lastfm(plays)
    items = pd.DataFrame({"name": artists.name.astype(str)}, index=artists.index)
    labels = _artist_tags(tagged, tags, plays.item.unique())
    users = pd.DataFrame(index=np.unique(plays.user.to_numpy()))
    return from_pairs("lastfm", plays.user.to_numpy(), plays.item.to_numpy(), items, labels, users)


def _filter_lastfm(plays: pd.DataFrame) -> pd.DataFrame:
    """Artists with ≥5 listeners, then users with ≥10 such artists (the book's Last.FM substitute)."""
    listeners = plays.groupby("item").user.transform("size")
    plays = plays[listeners >= LASTFM_MIN_LISTENERS]
    artists_per_user = plays.groupby("user").item.transform("size")
    return plays[artists_per_user >= LASTFM_MIN_ARTISTS_PER_USER]


def _artist_tags(tagged: pd.DataFrame, tags: pd.DataFrame, artists: np.ndarray) -> pd.DataFrame:
    """Multi-hot of each artist's top-4 descriptive tags (as in ``code/lastFM``).

    Tag names are lower-cased and stripped; stop-listed and decade tags are dropped; ties
    in the per-artist count are broken by tag name so the result is deterministic. Only tags
    that are a top tag of at least ``LASTFM_MIN_ARTISTS_PER_TAG`` artists become columns.
    """
    names = tags.set_index("tag").value.str.strip().str.lower().replace(LASTFM_TAG_SPELLINGS)
    named = tagged.assign(name=tagged.tag.map(names))
    named = named[named.item.isin(artists) & named.name.notna()]
    descriptive = ~named.name.isin(LASTFM_STOP_TAGS) & ~named.name.str.match(_DECADE_TAG)
    counts = named[descriptive].groupby(["item", "name"]).size().rename("count").reset_index()
    counts = counts.sort_values(["item", "count", "name"], ascending=[True, False, True])
    top = counts.groupby("item").head(LASTFM_TAGS_PER_ARTIST)
    multi_hot = with_tag_families(pd.crosstab(top.item, top.name).astype(bool), LASTFM_TAG_FAMILIES)
    frequent = multi_hot.columns[multi_hot.sum() >= LASTFM_MIN_ARTISTS_PER_TAG]
    return multi_hot[sorted(frequent)]


def with_tag_families(multi_hot: pd.DataFrame, families: Mapping[str, frozenset[str]]) -> pd.DataFrame:
    """``multi_hot`` (items × tags) with one column per family: true where an item carries any
    of the family's tags. A family named after one of its tags replaces that tag's column."""
    merged = {
        name: multi_hot.reindex(columns=sorted(tags), fill_value=False).any(axis=1)
        for name, tags in families.items()
    }
    return multi_hot.drop(columns=list(merged), errors="ignore").join(pd.DataFrame(merged))


PARSERS: dict[str, Callable[[DatasetFiles], Interactions]] = {
    "ml-1m": parse_ml1m,
    "ml-100k": parse_ml100k,
    "lastfm": parse_lastfm,
}
