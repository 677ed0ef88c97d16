-- The FIRE index for year $year against base year $base_year: one row per (entity, indicator) with the
-- score of both years, the growth, and the ranks.
--   growth       score / base_score - 1 (the report's 年均增长率, over one year); over n = $year -
--                $base_year > 1 years the annualised rate (score / base_score)^(1/n) - 1; blank when
--                the base score is 0 or blank, or the two years are the same
--   rank         among the entities of the same kind on the same indicator, highest score first;
--                equal scores share the best rank (1, 2, 2, 4); blank scores are not ranked. Scores are
--                compared to 9 decimals: a mean or weighted sum of the same numbers added in another
--                order can differ in the 16th digit, and that must not split a tie
--   rank_change  base_rank - rank: positive when the entity moved up
--   best_city_rank  regions only: ranked by their best city's score, as the report's 表2 orders them
--
-- One row: an (entity, indicator): both years' scores, growth, ranks.
-- Parameters: $year, $base_year.

with params as (
    select
        cast($year as integer) as year,
        cast($base_year as integer) as base_year
),

current_rows as (
    select es.*
    from idx_entity_scores as es
    cross join params
    where es.year = params.year
),

base_rows as (
    select es.*
    from idx_entity_scores as es
    cross join params
    where es.year = params.base_year
),

ranked_current as (
    select
        cy.*,
        case when cy.score is not null then rank() over (
            partition by cy.entity_kind, cy.indicator, cy.score is null order by round(cy.score, 9) desc) end as score_rank,
        case when cy.best_city_score is not null then rank() over (
            partition by cy.entity_kind, cy.indicator, cy.best_city_score is null
            order by round(cy.best_city_score, 9) desc) end as best_rank
    from current_rows as cy
),

ranked_base as (
    select
        br.*,
        case when br.score is not null then rank() over (
            partition by br.entity_kind, br.indicator, br.score is null order by round(br.score, 9) desc) end
            as score_rank
    from base_rows as br
),

final as (
    select
        rc.entity_kind,
        rc.entity,
        rc.region,
        rc.level,
        rc.indicator,
        params.year,
        rc.value,
        rc.score,
        params.base_year,
        rb.value as base_value,
        rb.score as base_score,
        case
            when params.year = params.base_year or rb.score is null or rb.score <= 0 or rc.score is null then null
            when params.year - params.base_year = 1 then rc.score / rb.score - 1
            else power(rc.score / rb.score, 1.0 / (params.year - params.base_year)) - 1
        end as growth,
        rc.score_rank as rank,
        rb.score_rank as base_rank,
        rb.score_rank - rc.score_rank as rank_change,
        case when rc.entity_kind = 'region' then rc.best_city_score end as best_city_score,
        case when rc.entity_kind = 'region' then rc.best_rank end as best_city_rank
    from ranked_current as rc
    cross join params
    left join ranked_base as rb
        on rb.entity_kind = rc.entity_kind
        and rb.entity = rc.entity
        and rb.indicator = rc.indicator
)

select * from final
