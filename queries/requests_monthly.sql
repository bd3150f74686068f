-- requests_monthly: requests received each month of the period, by locality of residence.
-- grain: one row per calendar month and locality with at least one request
-- columns: month (date, first day), locality_id, requests
-- parameters: $start, $end (dates, inclusive); filters $locality, $hub,
--             $area_number, $catchment_number (null = all)
select
    date_trunc('month', received_date)::date as month,
    locality_id,
    count(*) as requests
from request_facts
where
    received_date between $start and $end
    and in_filter(locality_id, $locality)
    and in_filter(area_number, $area_number)
    and in_filter(catchment_number, $catchment_number)
    and in_filter(hub_id, $hub)
group by all
order by month, locality_id
