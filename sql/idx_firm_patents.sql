-- The FIRE index's patent indicators of firms: one row per indexed city with the distinct patents of
-- its firms of the universe as of $as_of. A patent counts once per city however many of the city's
-- firms share it (as chapter 4 counts a group), and in every city one of its applicants is in.
--   patents_cumulative  applications of year <= $as_of                    (专利累计申请数量)
--   patents_window      applications of the statistics window: the $window years ending with $as_of
--                       ($as_of - $window + 1 .. $as_of)                   (专利统计周期内申请数量)
--   invention_patents   inventions among the cumulative ones              (发明专利总数)
-- A solo patent (one linked firm) is in one city and is summed from fct_firm_patent_years; only the
-- shared ones need a distinct count per city, as in group_metrics.sql.
--
-- One row: an indexed city: distinct patents of its firms (cumulative, in the `$window`-year statistics
--   window, inventions).
-- Parameters: $as_of (year), $window (years, >= 1), $min_patents (through dim_firm_universe).

with params as (
    select
        cast($as_of as integer) as as_of,
        cast($window as integer) as window_years
),

city_firms as (
    select
        u.firm_id,
        u.city
    from dim_firm_universe as u
    inner join ff_index_cities as c on c.city = u.city
),

solo_counts as (
    select
        cf.city,
        sum(fpy.solo_patents) as patents,
        sum(case when fpy.app_year > params.as_of - params.window_years then fpy.solo_patents else 0 end)
            as window_patents,
        sum(fpy.solo_invention_patents) as invention_patents
    from city_firms as cf
    inner join fct_firm_patent_years as fpy on fpy.firm_id = cf.firm_id
    cross join params
    where fpy.app_year <= params.as_of
    group by cf.city
),

shared_city_patents as (
    select distinct
        cf.city,
        sp.patent_id,
        sp.app_year,
        sp.is_invention
    from city_firms as cf
    inner join fct_shared_patents as sp on sp.firm_id = cf.firm_id
    cross join params
    where sp.app_year <= params.as_of
),

shared_counts as (
    select
        scp.city,
        count(*) as patents,
        sum(case when scp.app_year > params.as_of - params.window_years then 1 else 0 end) as window_patents,
        sum(case when scp.is_invention then 1 else 0 end) as invention_patents
    from shared_city_patents as scp
    cross join params
    group by scp.city
),

final as (
    select
        c.city,
        cast(coalesce(so.patents, 0) + coalesce(sh.patents, 0) as double) as patents_cumulative,
        cast(coalesce(so.window_patents, 0) + coalesce(sh.window_patents, 0) as double) as patents_window,
        cast(coalesce(so.invention_patents, 0) + coalesce(sh.invention_patents, 0) as double)
            as invention_patents
    from ff_index_cities as c
    left join solo_counts as so on so.city = c.city
    left join shared_counts as sh on sh.city = c.city
)

select * from final
