-- unknown_share_monthly: each month's share of requests with no receiving hub, and of requests
-- whose family has no known locality or (contract 1.1) no small area, so a drift in recording
-- stands out.
-- grain: one row per month and field
-- columns: month (first day), field ('hub' | 'area'), requests, unknown, share
-- parameters: none
with

monthly as (
    select
        date_trunc('month', received_date)::date as month,
        count(*) as requests,
        count_if(hub_id is null) as no_hub,
        count_if(area_code is null) as no_area
    from request_facts
    group by all
)

select month, 'hub' as field, requests, no_hub as unknown, no_hub / requests as share
from monthly
union all
select month, 'area', requests, no_area, no_area / requests
from monthly
where (select count(*) from areas) > 0
order by field, month
