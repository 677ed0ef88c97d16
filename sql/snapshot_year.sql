-- The default snapshot year: the latest application year among the patents (data contract §2).
-- Null when the patents table is empty.

with final as (
    select max(app_year) as as_of
    from patents
)

select * from final
