-- request_to_start: how long families wait from a request to the start of the episode it led
-- to: episodes started in the period that came from a request (transfer starts left out), by
-- the lead hub or by the family's catchment hub, or in all ('none').
-- grain: one row per group ('hub' or 'catchment'; 'unknown' when missing; 'all' for 'none')
-- columns: group, episodes, median_days (request received to episode start), within_28_days
--          (episodes starting no more than 4 weeks after the request), share_within_28_days
-- parameters: $start, $end (dates, both inclusive), $by ('hub' | 'catchment' | 'none');
--             filters $locality, $hub, $service, $area_number, $catchment_number
--             (null = all)
with

waits as (
    select
        case $by
            when 'hub' then hub_id
            when 'catchment' then catchment_hub_id
            else 'all'
        end as report_key,
        date_diff('day', request_received_date, start_date) as days
    from episode_facts
    where start_date between $start and $end
        and start_reason <> 'transfer'
        and request_received_date is not null
        -- an episode recorded as starting before its request is a recording slip, not a wait
        and start_date >= request_received_date
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

final as (
    select
        coalesce(report_key, 'unknown') as "group",
        count(*) as episodes,
        median(days) as median_days,
        count_if(days <= 28) as within_28_days,
        count_if(days <= 28) / count(*) as share_within_28_days
    from waits
    group by report_key
)

select * from final
order by "group" = 'unknown', "group"
