"""Apply a scalar rule to a text column once per distinct value, as new typed columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from ..frames import DType


def map_distinct(
    frame: pl.DataFrame,
    column: str,
    rule: Callable[[str | None], tuple],
    fields: dict[str, DType],
) -> pl.DataFrame:
    """`frame` with one new column per field of `rule(value)` (a tuple, in `fields` order).

    Exports repeat values a lot (cities, rounds, applicants), so each distinct value is parsed once.
    """
    values = frame.get_column(column).unique(maintain_order=True).to_list()
    results = [rule(v) for v in values]
    lookup = {column: pl.Series(column, values, dtype=pl.Utf8)}
    for i, (name, dtype) in enumerate(fields.items()):
        lookup[name] = pl.Series(name, [r[i] for r in results], dtype=dtype)
    return beside(frame, column, pl.DataFrame(lookup))


def first_of_pairs(a: str, b: str, span: int | pl.Expr) -> pl.Expr:
    """Whether each row is the first with its (a, b): the pair packed as one Int64, a * span + b (b
    below span, the product within Int64), found by hashing one integer column, several times faster
    than a unique over two columns or an integer and a text."""
    return (pl.col(a).cast(pl.Int64) * span + pl.col(b).cast(pl.Int64)).is_first_distinct()


def beside(frame: pl.DataFrame, on: str | Sequence[str], lookup: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the other columns of `lookup`: each row gets those of the lookup row whose `on`
    columns equal its own (nulls equal to nulls; nulls where none does). Only the `on` columns are
    joined and the results put beside the frame: joining the whole frame would copy every column of it,
    gigabytes at ten million patent rows."""
    keys = [on] if isinstance(on, str) else list(on)
    found = frame.select(keys).join(lookup, on=keys, how="left", nulls_equal=True, maintain_order="left")
    return frame.with_columns(found.drop(keys))


def column_or_null(frame: pl.DataFrame, column: str) -> pl.Expr:
    """The column when the file has it, else nulls (optional columns of contract §1)."""
    return pl.col(column) if column in frame.columns else pl.lit(None, dtype=pl.Utf8).alias(column)


def split_distinct(
    frame: pl.DataFrame, column: str, split_many: Callable[[pl.Series], pl.DataFrame], item: str
) -> tuple[pl.DataFrame, pl.Series]:
    """Rows of `frame` repeated once per item of their cell (with `item` and its 1-based
    `{item}_pos`, without the cell itself), and a boolean mask of the rows whose cell has no item.

    `split_many(distinct cells)` returns (value, position, item) rows, as rules.names.split_lists.
    """
    values = frame.get_column(column).unique(maintain_order=True)
    lookup = split_many(values).rename(
        {"value": column, "position": f"{item}_pos", "item": item})
    exploded = frame.join(lookup, on=column, how="inner", maintain_order="left_right").drop(column)
    has_items = lookup.select(column).unique().with_columns(pl.lit(True).alias("_has"))
    no_items = frame.select(column).join(has_items, on=column, how="left", maintain_order="left")
    return exploded, no_items.get_column("_has").is_null()


class DistinctValues:
    """Integer codes for a text column read in chunks: a value has one code in every chunk (0, 1, ...
    in the order values are first seen), so that work per distinct value is done once for the whole
    column and the rows carry four bytes instead of their text."""

    def __init__(self, *, keep: bool = False) -> None:
        """`keep`: hold the distinct values, for `decode`."""
        # A mapping of our own rather than polars' global one, which would keep every value until exit.
        # polars keeps a mapping only while a column of its type exists: this one-value column holds it
        # (and its value, which no cell holds, takes code 0 and tells that the mapping is still ours).
        self._dtype = pl.Categorical(pl.Categories.random())
        self._held = pl.Series([_HELD], dtype=pl.Utf8).cast(self._dtype)
        self.count = 0  # codes handed out so far; the held value's 0 is handed out with the first chunk
        self._kept: list[pl.Series] | None = [] if keep else None

    def codes(self, values: pl.Series) -> tuple[pl.Series, pl.DataFrame]:
        """Each value's code (UInt32, null for null) and the (code, value) rows first seen here, by code."""
        codes = values.cast(self._dtype).to_physical().alias("code")
        first = self.count
        # The rows with a code not handed out before (a few, after the first chunks), then the first
        # row of each code: integers until then, so that only the new values' text is gathered. Codes
        # are handed out in the order values are first seen, so those rows are in code order.
        fresh = (codes >= max(first, 1)).arg_true()
        fresh_codes = codes.gather(fresh)
        firsts = fresh_codes.is_first_distinct()
        new = pl.DataFrame([fresh_codes.filter(firsts), values.gather(fresh.filter(firsts)).alias("value")])
        if first == 0:
            new = pl.concat([pl.DataFrame({"code": [0], "value": [_HELD]}, schema=new.schema), new])
        if (pl.Series([_HELD]).cast(self._dtype).to_physical().item() != 0
                or not new["code"].equals(pl.int_range(first, first + new.height, dtype=pl.UInt32, eager=True),
                                          check_names=False)):
            raise RuntimeError("internal error: polars gave the values codes out of sequence")
        self.count = first + new.height
        if self._kept is not None:
            self._kept.append(new["value"])
        return codes, new

    def decode(self, codes: pl.Series) -> pl.Series:
        """The value of each code (null stays null); needs `keep`."""
        return self.values().gather(codes).alias(codes.name)

    def values(self) -> pl.Series:
        """Every value by its code (needs `keep`), in one chunk, made once."""
        if self._kept is None:
            raise RuntimeError("internal error: DistinctValues(keep=False) cannot decode")
        if len(self._kept) != 1 or self._kept[0].n_chunks() > 1:  # (the first values come in two chunks)
            self._kept = [pl.concat(self._kept, rechunk=True) if self._kept else pl.Series(dtype=pl.Utf8)]
        return self._kept[0]


_HELD = "\x00fintech_firms.DistinctValues"


class DistinctRule:
    """map_distinct for a column read in chunks: `rule(value)` once per distinct value of all the
    chunks, its fields gathered by the value's code rather than joined on the text."""

    def __init__(self, rule: Callable[[str | None], tuple], fields: dict[str, DType],
                 many: Callable[[pl.Series], pl.DataFrame] | None = None) -> None:
        """`many`: the rule over a Series of values (one row per value, the fields in order), used
        instead of calling `rule` once per value."""
        self.rule, self.fields, self.many = rule, fields, many
        self.values = DistinctValues()
        self.results = pl.DataFrame(schema=fields)
        self.blank = rule(None)

    def apply(self, values: pl.Series) -> pl.DataFrame:
        """One row per value: the fields of rule(value), in order."""
        codes, new = self.values.codes(values)
        if new.height and self.many is not None:
            found_many = self.many(new["value"])
            self.results = pl.concat([self.results, found_many.select(
                found_many.to_series(i).cast(dtype).alias(name)
                for i, (name, dtype) in enumerate(self.fields.items()))], rechunk=True)
        elif new.height:
            found = [self.rule(v) for v in new["value"].to_list()]
            self.results = pl.concat([self.results, pl.DataFrame(
                {name: [r[i] for r in found] for i, name in enumerate(self.fields)}, schema=self.fields)],
                rechunk=True)
        # The results are kept in one chunk (a few thousand distinct values, copied when new ones come):
        # a gather from one chunk per batch of new values costs two to three times more.
        out = self.results.select(pl.all().gather(codes))
        if any(v is not None for v in self.blank) and codes.null_count():
            blank = codes.is_null()
            out = out.with_columns(
                pl.when(blank).then(pl.lit(v, dtype=dtype)).otherwise(pl.col(name)).alias(name)
                for (name, dtype), v in zip(self.fields.items(), self.blank))
        return out
