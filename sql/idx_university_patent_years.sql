-- The distinct patents of each city's universities, per application year: what idx_university_patents
-- sums up to a snapshot year. It does not depend on the year, so the index computes it once for both of
-- its years (the scan of every applicant's name it needs is most of the index's time at scale 10). A
-- patent has one application year, so the per-year counts add up to the distinct count over the years.
-- Universities are matched as in idx_university_patents (unlinked applicants whose applicant_key is a
-- key of ff_universities).
--
-- One row: a (university city, application year): distinct patents of the city's universities applied for that year.
-- Parameters: none.

with university_patents as (
    select distinct
        uni.city,
        pa.patent_id,
        p.app_year
    from patent_applicants as pa
    inner join ff_universities as uni on uni.name_key = pa.applicant_key
    inner join patents as p on p.patent_id = pa.patent_id
    where pa.firm_id is null
),

final as (
    select
        city,
        app_year,
        count(*) as patents
    from university_patents
    group by city, app_year
)

select * from final
