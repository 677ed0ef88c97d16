-- The FIRE index's firm-counted tertiary indicators: one row per indexed city (ff_index_cities) with
-- the counts over its firms of the chapter-4 universe as of $as_of (data contract §2-§3: the firms
-- holding at least $min_patents patents applied for by $as_of). A city without such firms gets zeros.
--   fintech_firms      firms of the universe in the city          (企业实力 > 数量: 金融科技企业数量)
--   financing_events   their financing events dated by $as_of     (投融资总次数)
--   hightech_firms     of the firms, high-tech in $as_of          (企业实力 > 质量: 高新企业的数量)
--   c_plus_events      events of round C or later                 (投融资C轮及C轮以上次数)
--   top_vc_leads       events led by top-tier capital             (头部资本领投的投融资次数)
--   rd_staff           the firms' R&D headcount (blank = 0)       (智力支撑 > 企业研发: 研发人员总数)
--   rd_staff_transfer  that of the firms with patent transfer or licensing (firms.has_patent_transfer)
--
-- One row: an indexed city: its universe firms, their financing events, high-tech firms, C+ rounds, top-tier
--   leads, R&D staff (all, and of firms with patent transfer).
-- Parameters: $as_of (year), $min_patents (whole number >= 0), through dim_firm_universe.

with universe as (
    select
        u.firm_id,
        u.city,
        u.rd_staff,
        u.is_hightech,
        u.financing_events,
        u.c_plus_events,
        u.top_vc_leads,
        coalesce(f.has_patent_transfer, false) as has_patent_transfer
    from dim_firm_universe as u
    inner join firms as f on f.firm_id = u.firm_id
),

final as (
    select
        c.city,
        cast(count(u.firm_id) as double) as fintech_firms,
        cast(coalesce(sum(u.financing_events), 0) as double) as financing_events,
        cast(coalesce(sum(case when u.is_hightech then 1 else 0 end), 0) as double) as hightech_firms,
        cast(coalesce(sum(u.c_plus_events), 0) as double) as c_plus_events,
        cast(coalesce(sum(u.top_vc_leads), 0) as double) as top_vc_leads,
        cast(coalesce(sum(u.rd_staff), 0) as double) as rd_staff,
        cast(coalesce(sum(case when u.has_patent_transfer then u.rd_staff else 0 end), 0) as double)
            as rd_staff_transfer
    from ff_index_cities as c
    left join universe as u on u.city = c.city
    group by c.city
)

select * from final
