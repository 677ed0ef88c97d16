-- The applications that two or more linked firms share: one row per (firm, application). Usually a
-- few percent of all patents; group_metrics counts these once per group with a distinct count (on
-- patent_id, an integer), and every other patent from the per-firm sums of fct_firm_patent_years. It
-- does not depend on the snapshot year, so `firms ingest` stores it beside the tables
-- (fct_shared_patents.parquet).
--
-- One row: a (firm, application) pair for the applications two or more linked firms share, with `patent_id`,
--   `app_no`, `app_year` and `is_invention`; stored by ingest.
-- Parameters: none.

with final as (
    select
        fa.firm_id,
        fa.patent_id,
        p.app_no,
        p.app_year,
        coalesce(p.patent_type = 'invention', false) as is_invention
    from fct_firm_applications as fa
    inner join patents as p on p.patent_id = fa.patent_id
    where fa.linked_firms > 1
)

select * from final
