-- The firm universe as of the snapshot year: one row per firm that holds at least $min_patents distinct
-- patents applied for in or before $as_of (data contract §2; $min_patents = 0 takes every firm), with
-- its place, R&D headcount, high-tech status in $as_of, and its patent and financing counts up to
-- $as_of (patents: all, inventions, and the solo ones that no other linked firm shares).
--
-- One row: a firm of the universe as of Y, with `region`, `province`, `city`, `primary_tech`, `rd_staff`
--   (blank as 0), `is_hightech`, its patent counts and its financing counts as of Y.
-- Parameters: $as_of (year), $min_patents (whole number >= 0).

with params as (
    select
        cast($as_of as integer) as as_of,
        cast($min_patents as integer) as min_patents
),

firm_patent_counts as (
    -- fct_firm_patent_years holds each (firm, application) once, so a firm named twice on one
    -- application (two spellings linked to it) still has one patent there.
    select
        fpy.firm_id,
        sum(fpy.patents) as patents,
        sum(fpy.invention_patents) as invention_patents,
        sum(fpy.solo_patents) as solo_patents,
        sum(fpy.solo_invention_patents) as solo_invention_patents
    from fct_firm_patent_years as fpy
    cross join params
    where fpy.app_year <= params.as_of
    group by fpy.firm_id
),

hightech_in_year as (
    -- A certificate is valid in its issue year and the two years after.
    select distinct h.firm_id
    from hightech as h
    cross join params
    where h.firm_id is not null
        and h.issue_year between params.as_of - 2 and params.as_of
),

financing_counts as (
    select
        ff.firm_id,
        count(*) as financing_events,
        sum(case when ff.is_c_plus then 1 else 0 end) as c_plus_events,
        sum(case when ff.is_top_vc_led then 1 else 0 end) as top_vc_leads
    from fct_firm_financing as ff
    group by ff.firm_id
),

final as (
    select
        firms.firm_id,
        firms.name,
        firms.region,
        firms.province,
        firms.city,
        firms.tech as primary_tech,
        cast(coalesce(firms.rd_staff, 0) as bigint) as rd_staff,
        hightech_in_year.firm_id is not null as is_hightech,
        cast(coalesce(firm_patent_counts.patents, 0) as bigint) as patents,
        cast(coalesce(firm_patent_counts.invention_patents, 0) as bigint) as invention_patents,
        cast(coalesce(firm_patent_counts.solo_patents, 0) as bigint) as solo_patents,
        cast(coalesce(firm_patent_counts.solo_invention_patents, 0) as bigint) as solo_invention_patents,
        cast(coalesce(financing_counts.financing_events, 0) as bigint) as financing_events,
        cast(coalesce(financing_counts.c_plus_events, 0) as bigint) as c_plus_events,
        cast(coalesce(financing_counts.top_vc_leads, 0) as bigint) as top_vc_leads
    from firms
    cross join params
    left join firm_patent_counts on firm_patent_counts.firm_id = firms.firm_id
    left join hightech_in_year on hightech_in_year.firm_id = firms.firm_id
    left join financing_counts on financing_counts.firm_id = firms.firm_id
    where coalesce(firm_patent_counts.patents, 0) >= params.min_patents
)

select * from final
