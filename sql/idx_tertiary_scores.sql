-- The FIRE index's tertiary scores: one row per (city, year, tertiary indicator) of ff_index_values,
-- with its raw value and its score on the base year's scale. The base year's best city scores 10 and
-- later years keep that reference, so they can exceed 10 (see docs/index.md for the evidence):
--   linear: 10 * value / max_base
--   log:    10 * ln(1 + value) / ln(1 + max_base)
-- where max_base is the indicator's largest value over the cities in $base_year. An indicator whose
-- base-year values are all 0 has no scale: it scores 0 everywhere. A missing value (allowed only
-- with --partial) has no score.
--
-- One row: a (city, year, tertiary indicator): raw value and score on the base year's scale.
-- Parameters: $base_year (year), $scaling ('linear' or 'log').

with params as (
    select
        cast($base_year as integer) as base_year,
        cast($scaling as varchar) as scaling
),

tertiary_values as (
    select
        v.city,
        v.year,
        v.indicator,
        v.value
    from ff_index_values as v
    inner join ff_index_tree as t on t.code = v.indicator
    where t.level = 'tertiary'
),

base_max as (
    select
        tv.indicator,
        max(tv.value) as max_base
    from tertiary_values as tv
    cross join params
    where tv.year = params.base_year
    group by tv.indicator
),

final as (
    select
        tv.city,
        tv.year,
        tv.indicator,
        tv.value,
        case
            when tv.value is null then null
            when coalesce(bm.max_base, 0) <= 0 then 0.0
            -- the reference value itself: exactly 10, not 10 up to rounding
            when tv.value = bm.max_base then 10.0
            when params.scaling = 'linear' then 10.0 * tv.value / bm.max_base
            -- a base maximum so small that 1 + max_base rounds to 1: ln(1 + x) / ln(1 + m) tends to x / m
            when ln(1.0 + bm.max_base) = 0 then 10.0 * tv.value / bm.max_base
            else 10.0 * ln(1.0 + tv.value) / ln(1.0 + bm.max_base)
        end as score
    from tertiary_values as tv
    left join base_max as bm on bm.indicator = tv.indicator
    cross join params
)

select * from final
