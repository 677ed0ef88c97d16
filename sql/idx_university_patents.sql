-- The FIRE index's 高校科研 indicator (本地高校的专利数量): one row per indexed city with the distinct
-- patents applied for by $as_of that name one of the city's universities among their applicants.
-- An applicant is a university when it is linked to no firm and its normalised name
-- (patent_applicants.applicant_key, the same normalisation as firm names) equals the normalised name
-- or an alias of a university of universities.csv (ff_universities: one row per key). A patent
-- counts once per city, however many of the city's universities share it.
--
-- One row: an indexed city: distinct patents of its universities (applicants matched to universities.csv).
-- Parameters: $as_of (year).

with params as (
    select cast($as_of as integer) as as_of
),

final as (
    -- Summed over the years up to $as_of (idx_university_patent_years: per year, computed once).
    select
        c.city,
        cast(coalesce(sum(uy.patents), 0) as double) as university_patents
    from ff_index_cities as c
    cross join params
    left join idx_university_patent_years as uy
        on uy.city = c.city
        and uy.app_year <= params.as_of
    group by c.city
)

select * from final
