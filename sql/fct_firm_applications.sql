-- Each (linked firm, application) pair once, with the number of linked firms the application has:
-- what fct_firm_patent_years and fct_shared_patents both start from, computed once for the two.
-- A firm named twice on one application (two spellings linked to it) holds it once.
-- Applications are identified by patent_id, the number ingest gives each application (the 13-character
-- app_no would do the same, several times slower at ten million rows).
--
-- One row: a (linked firm, application) pair once, by `patent_id`, with `linked_firms` (how many linked firms
--   the application has).
-- Parameters: none.

with firm_applications as (
    select
        pa.firm_id,
        pa.patent_id
    from patent_applicants as pa
    where pa.firm_id is not null
    group by pa.firm_id, pa.patent_id
),

-- The count over each application's pairs rather than a second grouping joined back: half the work
-- at ten million pairs.
final as (
    select
        fa.firm_id,
        fa.patent_id,
        count(*) over (partition by fa.patent_id) as linked_firms
    from firm_applications as fa
)

select * from final
