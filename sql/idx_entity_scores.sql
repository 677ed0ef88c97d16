-- The FIRE index's scores of cities and regions: one row per (entity, year, indicator). A city's rows
-- are those of idx_node_scores; a region's score is the plain mean of its cities' scores at every
-- level (the report's rule, exact to rounding for 粤港澳大湾区 and 成渝), blank when one of its cities
-- is blank. A region also carries its best city's score, by which the report's 表2 orders regions.
--
-- One row: a (city or region, year, indicator): a region's score is its cities' mean.
-- Parameters: none.

with city_scores as (
    select
        'city' as entity_kind,
        n.city as entity,
        c.region,
        n.year,
        n.indicator,
        n.level,
        n.value,
        n.score,
        n.score as best_city_score
    from idx_node_scores as n
    inner join ff_index_cities as c on c.city = n.city
),

region_scores as (
    select
        'region' as entity_kind,
        cs.region as entity,
        cs.region,
        cs.year,
        cs.indicator,
        cs.level,
        cast(null as double) as value,
        -- The mean from an exact decimal sum, as in idx_node_scores: the same bytes in any order of addition.
        case when count(cs.score) = count(*) then
            case when max(abs(cs.score)) < 1e15
                then cast(sum(cast(case when abs(cs.score) < 1e15 then cs.score end as decimal(38, 18))) as double) / count(*)
                else avg(cs.score) end
        end as score,
        case when count(cs.score) = count(*) then max(cs.score) end as best_city_score
    from city_scores as cs
    group by cs.region, cs.year, cs.indicator, cs.level
),

final as (
    select * from city_scores
    union all
    select * from region_scores
)

select * from final
