-- The group metrics of group_metrics.sql for every combination of the four dimensions at once (the 16
-- groupings, from the total to region x province x city x tech), in one pass: what `firms tables`
-- needs, several groupings of one universe. Every count is the one group_metrics gives for that
-- grouping (a test compares them).
--
-- Counting a shared patent once per group is the costly part: a distinct (group, patent) pair per
-- grouping. Most shared patents have all their holders in one finest group (same region, province,
-- city and class); such a patent counts once in that group's line of every grouping, so it is summed
-- like a firm's solo patents. Only the others, whose holders sit in different groups, are counted
-- pair by pair.
--
-- One row: a group of one of the 16 groupings, with `dimensions` (its dimensions, comma-separated in the
--   order region, province, city, tech; '' for the total) and the 12 metrics; a dimension not in the
--   grouping is null.
-- ff_selection filters the firms as in group_metrics.
-- Parameters: $as_of (year).

with params as (
    select cast($as_of as integer) as as_of
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

firm_classes as (
    -- A firm once per class: once in mode 'primary', once per class of its tracks in mode 'any'.
    select
        f.firm_id,
        f.region,
        f.province,
        f.city,
        t.tech,
        f.rd_staff,
        f.is_hightech,
        f.solo_patents,
        f.solo_invention_patents,
        f.financing_events,
        f.c_plus_events,
        f.top_vc_leads
    from selected_firms as f
    inner join dim_firm_tech as t on t.firm_id = f.firm_id
),

class_totals as (
    -- The groupings with tech add up from the finest groups: a firm is in one per class it counts in.
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
    from firm_classes
    group by region, province, city, tech
),

class_keys as (
    -- The finest groups, numbered, so that the patents below compare their holders' groups by one integer.
    select
        region,
        province,
        city,
        tech,
        row_number() over (order by region, province, city, tech) as key_id
    from class_totals
),

firm_keys as (
    select
        fc.firm_id,
        k.key_id
    from firm_classes as fc
    inner join class_keys as k
        on fc.region is not distinct from k.region
        and fc.province is not distinct from k.province
        and fc.city is not distinct from k.city
        and fc.tech is not distinct from k.tech
),

place_totals as (
    -- The groupings without tech count a firm once, however many classes it has (mode 'any'); every
    -- firm has a class in dim_firm_tech ('unclassified' at least), so these are the firms above.
    select
        region,
        province,
        city,
        count(*) as firms,
        sum(case when is_hightech then 1 else 0 end) as hightech_firms,
        sum(rd_staff) as rd_staff,
        sum(solo_patents) as solo_patents,
        sum(solo_invention_patents) as solo_invention_patents,
        sum(financing_events) as financing_events,
        sum(c_plus_events) as c_plus_events,
        sum(top_vc_leads) as top_vc_leads
    from selected_firms
    group by region, province, city
),

firm_groups as (
    select
        region,
        province,
        city,
        tech,
        grouping(region) as no_region,
        grouping(province) as no_province,
        grouping(city) as no_city,
        0 as no_tech,
        sum(firms) as firms,
        sum(hightech_firms) as hightech_firms,
        sum(rd_staff) as rd_staff,
        sum(solo_patents) as solo_patents,
        sum(solo_invention_patents) as solo_invention_patents,
        sum(financing_events) as financing_events,
        sum(c_plus_events) as c_plus_events,
        sum(top_vc_leads) as top_vc_leads
    from class_totals
    group by tech, cube(region, province, city)
    having count(*) > 0  -- as in group_metrics, no row over no firms, not even the total

    union all

    select
        region,
        province,
        city,
        cast(null as varchar) as tech,
        grouping(region) as no_region,
        grouping(province) as no_province,
        grouping(city) as no_city,
        1 as no_tech,
        sum(firms) as firms,
        sum(hightech_firms) as hightech_firms,
        sum(rd_staff) as rd_staff,
        sum(solo_patents) as solo_patents,
        sum(solo_invention_patents) as solo_invention_patents,
        sum(financing_events) as financing_events,
        sum(c_plus_events) as c_plus_events,
        sum(top_vc_leads) as top_vc_leads
    from place_totals
    group by cube(region, province, city)
    having count(*) > 0
),

shared_keys as (
    -- Each shared application with the finest group of each of its selected holders.
    select
        sp.patent_id,
        sp.is_invention,
        fk.key_id
    from fct_shared_patents as sp
    inner join firm_keys as fk on fk.firm_id = sp.firm_id
    cross join params
    where sp.app_year <= params.as_of
),

patent_spread as (
    select
        patent_id,
        is_invention,
        min(key_id) as first_key,
        max(key_id) as last_key
    from shared_keys
    group by patent_id, is_invention
),

one_group_patents as (
    -- Applications whose holders are all in one finest group: once in that group of every grouping.
    select
        k.region,
        k.province,
        k.city,
        k.tech,
        count(*) as patents,
        sum(case when ps.is_invention then 1 else 0 end) as invention_patents
    from patent_spread as ps
    inner join class_keys as k on k.key_id = ps.first_key
    where ps.first_key = ps.last_key
    group by k.region, k.province, k.city, k.tech
),

spread_pairs as (
    -- Applications whose holders are in different finest groups: each (finest group, application) once.
    select distinct
        k.region,
        k.province,
        k.city,
        k.tech,
        sk.patent_id,
        sk.is_invention
    from shared_keys as sk
    inner join patent_spread as ps on ps.patent_id = sk.patent_id
    inner join class_keys as k on k.key_id = sk.key_id
    where ps.first_key <> ps.last_key
),

spread_group_patents as (
    -- Each (group, application) once per grouping (the groups of several of its holders may coincide).
    select
        region,
        province,
        city,
        tech,
        grouping(region) as no_region,
        grouping(province) as no_province,
        grouping(city) as no_city,
        grouping(tech) as no_tech,
        is_invention
    from spread_pairs
    group by patent_id, is_invention, cube(region, province, city, tech)
),

shared_group_counts as (
    select
        region,
        province,
        city,
        tech,
        grouping(region) as no_region,
        grouping(province) as no_province,
        grouping(city) as no_city,
        grouping(tech) as no_tech,
        sum(patents) as patents,
        sum(invention_patents) as invention_patents
    from one_group_patents
    group by cube(region, province, city, tech)

    union all

    select
        region,
        province,
        city,
        tech,
        no_region,
        no_province,
        no_city,
        no_tech,
        count(*) as patents,
        sum(case when is_invention then 1 else 0 end) as invention_patents
    from spread_group_patents
    group by region, province, city, tech, no_region, no_province, no_city, no_tech
),

shared_totals as (
    select
        region,
        province,
        city,
        tech,
        no_region,
        no_province,
        no_city,
        no_tech,
        sum(patents) as patents,
        sum(invention_patents) as invention_patents
    from shared_group_counts
    group by region, province, city, tech, no_region, no_province, no_city, no_tech
),

final as (
    select
        concat_ws(',',
            case when f.no_region = 0 then 'region' end,
            case when f.no_province = 0 then 'province' end,
            case when f.no_city = 0 then 'city' end,
            case when f.no_tech = 0 then 'tech' end) as dimensions,
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
    from firm_groups as f
    left join shared_totals as s
        on f.no_region = s.no_region
        and f.no_province = s.no_province
        and f.no_city = s.no_city
        and f.no_tech = s.no_tech
        and f.region is not distinct from s.region
        and f.province is not distinct from s.province
        and f.city is not distinct from s.city
        and f.tech is not distinct from s.tech
)

select * from final
