"""A plain-polars reference for `fintech_firms.aggregate`, written from the data contract alone.

No SQL, no DuckDB, nothing shared with the analytics layer: it reads the Parquet tables of contract §4
and applies the rules of §2 (snapshot year, universe, region, technology) and the metrics of §3 step by
step, so that `tests/test_crosscheck.py` can compare the two implementations on generated data.

The semantics, made precise:
- Y = as_of, default the largest `patents.app_year`.
- Patent facts: `patent_applicants` rows with a firm_id, joined to `patents` on app_no, app_year <= Y;
  a firm's patents are its distinct app_no.
- Universe: the firms of `firms` with at least `min_patents` such patents (0: every firm).
- Dimensions: region/province/city are the firm's columns (null is a group of its own); tech is
  `firms.tech` in mode "primary", and in mode "any" every distinct non-null `firm_tracks.tech` of the
  firm, or "unclassified" when it has none.
- In a group each firm counts once; patents are distinct app_no over the group's firms; financing
  events are the `financing` rows of the group's firms with year <= Y; a firm is high-tech when one of
  its certificates has issue_year <= Y <= issue_year + 2; rd_staff sums with null as 0.
- Ratios divide the integer metrics, null when the denominator is 0.
- The total row ("ALL" in every dimension column) counts each universe firm and each patent once.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

DIMENSIONS = ("region", "province", "city", "tech")
COUNTS = ("firms", "hightech_firms", "patents", "invention_patents", "rd_staff",
          "financing_events", "c_plus_events", "top_vc_leads")
METRICS = ("firms", "hightech_firms", "hightech_ratio", "patents", "invention_patents",
           "invention_share", "rd_staff", "rd_per_firm", "financing_events", "c_plus_events",
           "top_vc_leads", "top_vc_leads_per_firm")
RATIOS = {  # ratio: (numerator, denominator)
    "hightech_ratio": ("hightech_firms", "firms"),
    "invention_share": ("invention_patents", "patents"),
    "rd_per_firm": ("rd_staff", "firms"),
    "top_vc_leads_per_firm": ("top_vc_leads", "firms"),
}
TABLES = ("firms", "firm_tracks", "patents", "patent_applicants", "financing", "hightech")


def load_tables(data_dir: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(Path(data_dir) / f"{name}.parquet") for name in TABLES}


def reference_aggregate(data_dir, by, as_of=None, tech_mode="primary", min_patents=1,
                        with_total=False) -> pl.DataFrame:
    by = list(by)
    if len(set(by)) != len(by) or not set(by) <= set(DIMENSIONS):
        raise ValueError(f"by must be distinct dimensions out of {DIMENSIONS}: {by}")
    if tech_mode not in ("primary", "any"):
        raise ValueError(f"tech_mode must be primary or any: {tech_mode}")
    t = load_tables(data_dir)

    year = as_of if as_of is not None else t["patents"]["app_year"].max()

    # Patent facts as of Y: one row per (firm, distinct patent).
    patents = t["patents"].filter(pl.col("app_year") <= year).select("app_no", "patent_type")
    facts = (t["patent_applicants"].filter(pl.col("firm_id").is_not_null())
             .select("firm_id", "app_no").unique()
             .join(patents, on="app_no", how="inner"))

    # The universe, one row per firm, with its firm-level facts.
    per_firm = facts.group_by("firm_id").agg(pl.col("app_no").n_unique().alias("n_patents"))
    hightech_ids = (t["hightech"]
                    .filter(pl.col("firm_id").is_not_null()
                            & (pl.col("issue_year") <= year) & (pl.col("issue_year") + 2 >= year))
                    .select("firm_id").unique().with_columns(pl.lit(True).alias("is_hightech")))
    universe = (t["firms"].select("firm_id", "region", "province", "city", "tech", "rd_staff")
                .join(per_firm, on="firm_id", how="left")
                .join(hightech_ids, on="firm_id", how="left")
                .with_columns(pl.col("n_patents").fill_null(0),
                              pl.col("is_hightech").fill_null(False),
                              pl.col("rd_staff").fill_null(0))
                .filter(pl.col("n_patents") >= min_patents))
    assert universe["firm_id"].is_unique().all()

    events = (t["financing"].filter(pl.col("firm_id").is_not_null() & (pl.col("year") <= year))
              .select("firm_id", "is_c_plus", "is_top_vc_led"))

    # Membership: one row per (group, firm).
    geo = universe.select("firm_id", "region", "province", "city")
    if tech_mode == "primary":
        member_tech = universe.select("firm_id", "tech")
    else:
        tracks = (t["firm_tracks"].filter(pl.col("tech").is_not_null())
                  .select("firm_id", "tech").unique())
        classified = universe.select("firm_id").join(tracks, on="firm_id", how="inner")
        unclassified = (universe.select("firm_id")
                        .join(tracks, on="firm_id", how="anti")
                        .with_columns(pl.lit("unclassified").alias("tech")))
        member_tech = pl.concat([classified, unclassified])
    membership = geo.join(member_tech, on="firm_id", how="inner").select(["firm_id", *by]).unique()

    result = _metrics(membership, by, universe, facts, events)
    if with_total:
        everyone = universe.select("firm_id").with_columns([pl.lit("ALL").alias(d) for d in by])
        result = pl.concat([result, _metrics(everyone, by, universe, facts, events)])
    return result


def _metrics(membership: pl.DataFrame, by: list[str], universe: pl.DataFrame, facts: pl.DataFrame,
             events: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct `by` value in membership (firm_id + the `by` columns, unique rows)."""
    # Number the groups (matching the dimensions null to null, once) so that every join below is on a
    # plain integer key: a null province or city is a group of its own.
    if by:
        groups = membership.select(by).unique().with_row_index("gid")
        membership = membership.join(groups, on=by, how="left", nulls_equal=True)
    else:  # one group over all firms, even when there are none
        groups = pl.DataFrame({"gid": [0]}, schema={"gid": pl.UInt32})
        membership = membership.with_columns(pl.lit(0, dtype=pl.UInt32).alias("gid"))
    members = membership.select("gid", "firm_id")
    assert members.is_unique().all()

    firm_part = (members.join(universe, on="firm_id", how="inner")
                 .group_by("gid")
                 .agg(pl.len().alias("firms"),
                      pl.col("is_hightech").sum().alias("hightech_firms"),
                      pl.col("rd_staff").sum().alias("rd_staff")))
    patent_part = (members.join(facts, on="firm_id", how="inner")
                   .select("gid", "app_no", "patent_type").unique()
                   .group_by("gid")
                   .agg(pl.col("app_no").n_unique().alias("patents"),
                        pl.col("app_no").filter(pl.col("patent_type") == "invention").n_unique()
                        .alias("invention_patents")))
    event_part = (members.join(events, on="firm_id", how="inner")
                  .group_by("gid")
                  .agg(pl.len().alias("financing_events"),
                       pl.col("is_c_plus").fill_null(False).sum().alias("c_plus_events"),
                       pl.col("is_top_vc_led").fill_null(False).sum().alias("top_vc_leads")))

    out = (groups.join(firm_part, on="gid", how="left")
           .join(patent_part, on="gid", how="left")
           .join(event_part, on="gid", how="left")
           .with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNTS]))
    out = out.with_columns([
        pl.when(pl.col(den) == 0).then(None)
        .otherwise(pl.col(num).cast(pl.Float64) / pl.col(den).cast(pl.Float64))
        .cast(pl.Float64).alias(ratio)
        for ratio, (num, den) in RATIOS.items()
    ])
    out = out.select([pl.col(d).cast(pl.String) for d in by] + list(METRICS))
    return out.sort(by, nulls_last=True) if by else out
