-- The default snapshot year: the latest application year among the patents (data contract §2).
-- Null when the patents table is empty.
--
-- One row: the default Y (`as_of`: the latest `app_year`; null without patents).

with final as (
    select max(app_year) as as_of
    from patents
)

select * from final
