-- The raw values of the FIRE index's firm-derived tertiary indicators (indicators.csv, source
-- `firms`), in long form: one row per (indexed city, indicator) for the snapshot year $as_of.
--
-- One row: a (city, indicator): the 11 firm-derived raw values of the FIRE index, long form.
-- Parameters: $as_of, $min_patents, $window (through the models it reads).

with count_values as (
    select * from idx_firm_counts
),

patent_values as (
    select * from idx_firm_patents
),

university_values as (
    select * from idx_university_patents
),

final as (
    select city, 'fintech_firms' as indicator, fintech_firms as value from count_values
    union all select city, 'financing_events', financing_events from count_values
    union all select city, 'hightech_firms', hightech_firms from count_values
    union all select city, 'c_plus_events', c_plus_events from count_values
    union all select city, 'top_vc_leads', top_vc_leads from count_values
    union all select city, 'rd_staff', rd_staff from count_values
    union all select city, 'rd_staff_transfer', rd_staff_transfer from count_values
    union all select city, 'patents_cumulative', patents_cumulative from patent_values
    union all select city, 'patents_window', patents_window from patent_values
    union all select city, 'invention_patents', invention_patents from patent_values
    union all select city, 'university_patents', university_patents from university_values
)

select * from final
