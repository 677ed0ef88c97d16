-- The group metrics of data contract §3 for the firms of dim_firm_universe.
--
-- The four dimensions are switched on and off by boolean parameters; a dimension that is off is null
-- in every row, so that one GROUP BY serves every choice of dimensions (all off: one row over all
-- firms). The caller keeps only the dimensions it asked for.
-- A firm counts once per group. A patent counts once per group however many of the group's firms
-- share it, and in every group one of its applicants belongs to. A patent that only one linked firm
-- holds (solo) is counted from that firm's sums; only the shared ones need a distinct count per group.
--
-- One row: a group, with the 12 metrics.
-- ff_selection holds the firms to keep: rows (dimension, value); no row for a dimension keeps every
-- value of it, and a NULL value, which no firm's value equals, keeps none.
-- Parameters: $as_of (year), $by_region, $by_province, $by_city, $by_tech (booleans).

with params as (
    select
        cast($as_of as integer) as as_of,
        cast($by_region as boolean) as by_region,
        cast($by_province as boolean) as by_province,
        cast($by_city as boolean) as by_city,
        cast($by_tech as boolean) as by_tech
),

selected_firms as (
    select u.*
    from dim_firm_universe as u
    where (
            not exists (select 1 from ff_selection as s where s.dimension = 'region')
            or u.region in (select s.value from ff_selection as s where s.dimension = 'region')
        )
        and (
            not exists (select 1 from ff_selection as s where s.dimension = 'city')
            or u.city in (select s.value from ff_selection as s where s.dimension = 'city')
        )
),

firm_groups as (
    -- DISTINCT: with tech off, a firm of several classes (tech mode 'any') is one row.
    select distinct
        f.firm_id,
        case when params.by_region then f.region end as region,
        case when params.by_province then f.province end as province,
        case when params.by_city then f.city end as city,
        case when params.by_tech then t.tech end as tech,
        f.rd_staff,
        f.is_hightech,
        f.solo_patents,
        f.solo_invention_patents,
        f.financing_events,
        f.c_plus_events,
        f.top_vc_leads
    from selected_firms as f
    inner join dim_firm_tech as t on t.firm_id = f.firm_id
    cross join params
),

firm_totals as (
    select
        region,
        province,
        city,
        tech,
        count(*) as firms,
        sum(case when is_hightech then 1 else 0 end) as hightech_firms,
        sum(rd_staff) as rd_staff,
        sum(solo_patents) as solo_patents,
        sum(solo_invention_patents) as solo_invention_patents,
        sum(financing_events) as financing_events,
        sum(c_plus_events) as c_plus_events,
        sum(top_vc_leads) as top_vc_leads
    from firm_groups
    group by region, province, city, tech
),

shared_group_patents as (
    -- Each shared application once per group, however many of the group's firms share it. (Deduplicating
    -- first and counting rows after is count(distinct …), in a form that runs in parallel.)
    select distinct
        g.region,
        g.province,
        g.city,
        g.tech,
        sp.patent_id,
        sp.is_invention
    from firm_groups as g
    inner join fct_shared_patents as sp on sp.firm_id = g.firm_id
    cross join params
    where sp.app_year <= params.as_of
),

shared_totals as (
    select
        region,
        province,
        city,
        tech,
        count(*) as patents,
        sum(case when is_invention then 1 else 0 end) as invention_patents
    from shared_group_patents
    group by region, province, city, tech
),

final as (
    select
        f.region,
        f.province,
        f.city,
        f.tech,
        cast(f.firms as bigint) as firms,
        cast(f.hightech_firms as bigint) as hightech_firms,
        cast(f.hightech_firms as double) / nullif(f.firms, 0) as hightech_ratio,
        cast(f.solo_patents + coalesce(s.patents, 0) as bigint) as patents,
        cast(f.solo_invention_patents + coalesce(s.invention_patents, 0) as bigint) as invention_patents,
        cast(f.solo_invention_patents + coalesce(s.invention_patents, 0) as double)
            / nullif(f.solo_patents + coalesce(s.patents, 0), 0) as invention_share,
        cast(f.rd_staff as bigint) as rd_staff,
        cast(f.rd_staff as double) / nullif(f.firms, 0) as rd_per_firm,
        cast(f.financing_events as bigint) as financing_events,
        cast(f.c_plus_events as bigint) as c_plus_events,
        cast(f.top_vc_leads as bigint) as top_vc_leads,
        cast(f.top_vc_leads as double) / nullif(f.firms, 0) as top_vc_leads_per_firm
    from firm_totals as f
    left join shared_totals as s
        on f.region is not distinct from s.region
        and f.province is not distinct from s.province
        and f.city is not distinct from s.city
        and f.tech is not distinct from s.tech
)

select * from final
