-- The applications that two or more linked firms share: one row per (firm, application). Usually a
-- few percent of all patents; group_metrics counts these once per group with a distinct count, and
-- every other patent from the per-firm sums of fct_firm_patent_years. It does not depend on the
-- snapshot year, so `firms ingest` stores it beside the tables (fct_shared_patents.parquet).
-- `patent_key` numbers the shared applications 1, 2, ... in app_no order: the distinct count runs on
-- it rather than on the 13-character numbers, which is markedly faster.
--
-- Parameters: none.
-- Reads: patents, patent_applicants.

with firm_applications as (
    select distinct
        pa.firm_id,
        pa.app_no
    from patent_applicants as pa
    where pa.firm_id is not null
),

shared as (
    select fa.app_no
    from firm_applications as fa
    group by fa.app_no
    having count(*) > 1
),

final as (
    select
        fa.firm_id,
        fa.app_no,
        dense_rank() over (order by fa.app_no) as patent_key,
        p.app_year,
        coalesce(p.patent_type = 'invention', false) as is_invention
    from firm_applications as fa
    inner join shared as s on s.app_no = fa.app_no
    inner join patents as p on p.app_no = fa.app_no
)

select * from final
