-- The FIRE index's scores at every level for each city: one row per (city, year, indicator). A
-- secondary indicator is the weighted sum of its tertiary ones, a first-level one of its secondary
-- ones, the total of the first-level ones (weights from indicators.csv; each parent's sum to 1).
-- An indicator is blank when any of its children is blank (--partial leaves missing inputs blank).
-- Scores of idx_tertiary_scores at a level above tertiary are taken as given and rolled up from
-- there (this is how tests feed the report's published first-level scores).
--
-- One row: a (city, year, indicator) at every level: the weighted roll-up.
-- Parameters: none.

with tree as (
    select
        t.code,
        t.parent,
        t.level,
        cast(t.weight as double) as weight
    from ff_index_tree as t
),

child_counts as (
    select
        tree.parent,
        count(*) as children
    from tree
    where tree.parent is not null
    group by tree.parent
),

given as (
    select
        s.city,
        s.year,
        s.indicator,
        tree.level,
        s.value,
        s.score
    from idx_tertiary_scores as s
    inner join tree on tree.code = s.indicator
),

-- Weighted sums are taken over decimal(38, 18) values: exact, so that the result does not depend on
-- the order in which a parallel plan adds the rows (floating-point addition does, in the last bit)
-- and the same input gives the same bytes. Only absurd magnitudes (no decimal holds them) add as doubles.
secondary_scores as (
    select
        g.city,
        g.year,
        tree.parent as indicator,
        'secondary' as level,
        cast(null as double) as value,
        case when count(g.score) = max(cc.children) then
            case when max(abs(tree.weight * g.score)) < 1e15
                then cast(sum(cast(case when abs(tree.weight * g.score) < 1e15
                                        then tree.weight * g.score end as decimal(38, 18))) as double)
                else sum(tree.weight * g.score) end
        end as score
    from given as g
    inner join tree on tree.code = g.indicator
    inner join child_counts as cc on cc.parent = tree.parent
    where g.level = 'tertiary'
    group by g.city, g.year, tree.parent

    union all

    select g.city, g.year, g.indicator, g.level, g.value, g.score
    from given as g
    where g.level = 'secondary'
),

first_scores as (
    select
        s.city,
        s.year,
        tree.parent as indicator,
        'first' as level,
        cast(null as double) as value,
        case when count(s.score) = max(cc.children) then
            case when max(abs(tree.weight * s.score)) < 1e15
                then cast(sum(cast(case when abs(tree.weight * s.score) < 1e15
                                        then tree.weight * s.score end as decimal(38, 18))) as double)
                else sum(tree.weight * s.score) end
        end as score
    from secondary_scores as s
    inner join tree on tree.code = s.indicator
    inner join child_counts as cc on cc.parent = tree.parent
    group by s.city, s.year, tree.parent

    union all

    select g.city, g.year, g.indicator, g.level, g.value, g.score
    from given as g
    where g.level = 'first'
),

total_scores as (
    select
        f.city,
        f.year,
        tree.parent as indicator,
        'total' as level,
        cast(null as double) as value,
        case when count(f.score) = max(cc.children) then
            case when max(abs(tree.weight * f.score)) < 1e15
                then cast(sum(cast(case when abs(tree.weight * f.score) < 1e15
                                        then tree.weight * f.score end as decimal(38, 18))) as double)
                else sum(tree.weight * f.score) end
        end as score
    from first_scores as f
    inner join tree on tree.code = f.indicator
    inner join child_counts as cc on cc.parent = tree.parent
    group by f.city, f.year, tree.parent

    union all

    select g.city, g.year, g.indicator, g.level, g.value, g.score
    from given as g
    where g.level = 'total'
),

final as (
    select city, year, indicator, level, value, score from given where level = 'tertiary'
    union all
    select city, year, indicator, level, value, score from secondary_scores
    union all
    select city, year, indicator, level, value, score from first_scores
    union all
    select city, year, indicator, level, value, score from total_scores
)

select * from final
