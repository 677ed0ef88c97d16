-- The technology classes of each firm (data contract §2, --tech-mode):
--   'primary': the class of its first track that the taxonomy knows (firms.tech), one per firm;
--   'any':     every class of any of its tracks, so a firm may have several.
-- A firm with no known track is in class 'unclassified' in both modes.
--
-- One row: a (firm, class) pair: one per firm in mode `primary`, one per class in mode `any`.
-- Parameters: $tech_mode ('primary' or 'any').

with params as (
    select cast($tech_mode as varchar) as tech_mode
),

primary_class as (
    select
        firms.firm_id,
        firms.tech
    from firms
),

track_classes as (
    select distinct
        firm_tracks.firm_id,
        firm_tracks.tech
    from firm_tracks
    where firm_tracks.tech is not null
),

any_class as (
    select
        firms.firm_id,
        coalesce(track_classes.tech, 'unclassified') as tech
    from firms
    left join track_classes on track_classes.firm_id = firms.firm_id
),

final as (
    select primary_class.firm_id, primary_class.tech
    from primary_class
    cross join params
    where params.tech_mode = 'primary'

    union all

    select any_class.firm_id, any_class.tech
    from any_class
    cross join params
    where params.tech_mode = 'any'
)

select * from final
