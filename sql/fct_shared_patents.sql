-- The applications that two or more linked firms share: one row per (firm, application). Usually a
-- few percent of all patents; group_metrics counts these once per group with a distinct count (on
-- patent_id, an integer), and every other patent from the per-firm sums of fct_firm_patent_years. It
-- does not depend on the snapshot year, so `firms ingest` stores it beside the tables
-- (fct_shared_patents.parquet).
--
-- Parameters: none.
-- Reads: patents, patent_applicants.

with firm_applications as (
    select distinct
        pa.firm_id,
        pa.patent_id
    from patent_applicants as pa
    where pa.firm_id is not null
),

shared as (
    select fa.patent_id
    from firm_applications as fa
    group by fa.patent_id
    having count(*) > 1
),

final as (
    select
        fa.firm_id,
        fa.patent_id,
        p.app_no,
        p.app_year,
        coalesce(p.patent_type = 'invention', false) as is_invention
    from firm_applications as fa
    inner join shared as s on s.patent_id = fa.patent_id
    inner join patents as p on p.patent_id = fa.patent_id
)

select * from final
