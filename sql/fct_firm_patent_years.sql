-- Each firm's patents per application year, and how many of them no other firm shares: one row per
-- (firm, app_year). It does not depend on the snapshot year, so `firms ingest` stores it beside the
-- tables (fct_firm_patent_years.parquet) and the models below sum it up to any year instead of joining
-- a million applications to their applicants on every query.
--
-- A "solo" patent is an application with exactly one linked firm among its applicants. A group counts
-- a solo patent once per firm of the group that holds it, which is once, so only the shared ones need
-- the per-group distinct count of group_metrics (see fct_shared_patents.sql).
--
-- One row: a (firm, application year): `patents`, `invention_patents`, and of those the `solo_…` ones that no
--   other linked firm shares; stored by ingest.
-- Parameters: none.

with final as (
    select
        fa.firm_id,
        p.app_year,
        cast(count(*) as bigint) as patents,
        cast(sum(case when p.patent_type = 'invention' then 1 else 0 end) as bigint) as invention_patents,
        cast(sum(case when fa.linked_firms = 1 then 1 else 0 end) as bigint) as solo_patents,
        cast(sum(case when fa.linked_firms = 1 and p.patent_type = 'invention' then 1 else 0 end) as bigint)
            as solo_invention_patents
    from fct_firm_applications as fa
    inner join patents as p on p.patent_id = fa.patent_id
    group by fa.firm_id, p.app_year
)

select * from final
