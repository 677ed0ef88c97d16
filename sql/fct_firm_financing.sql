-- The financing events of firms as of the snapshot year: one row per deduplicated event of a linked
-- firm dated in or before $as_of, with its round and whether it counts as C-and-later and as led by
-- top-tier capital (both decided at ingest, data contract §2).
--
-- One row: a financing event of a linked firm with year ≤ Y, with `is_c_plus` and `is_top_vc_led`.
-- Parameters: $as_of (year).

with params as (
    select cast($as_of as integer) as as_of
),

final as (
    select
        f.firm_id,
        f.date,
        f.year,
        f.round,
        coalesce(f.is_c_plus, false) as is_c_plus,
        coalesce(f.is_top_vc_led, false) as is_top_vc_led
    from financing as f
    cross join params
    where f.firm_id is not null
        and f.year <= params.as_of
)

select * from final
