-- Which firm holds which patent as of the snapshot year: one row per (firm, application) with the
-- application year at most $as_of. A patent co-applied by several firms has a row for each of them
-- (whole counting); groups count each application once (see group_metrics.sql).
--
-- Parameters: $as_of (year).
-- Reads: patents, patent_applicants.

with params as (
    select cast($as_of as integer) as as_of
),

final as (
    select distinct
        pa.firm_id,
        p.app_no,
        coalesce(p.patent_type = 'invention', false) as is_invention
    from patent_applicants as pa
    inner join patents as p on p.app_no = pa.app_no
    cross join params
    where pa.firm_id is not null
        and p.app_year <= params.as_of
)

select * from final
