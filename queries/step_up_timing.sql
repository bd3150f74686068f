-- step_up_timing: how long episodes ran before they were stepped up to social care, for
-- step-ups in the period, in bands of about three months.
-- grain: one row per band with at least one step-up
-- columns: band_order, band, step_ups
-- parameters: $start, $end (dates, inclusive); filters
--             $locality, $area_number, $catchment_number, $hub, $service (null = all)
with

step_ups as (
    select episode_days
    from episode_closures
    where
        closure_reason = 'step_up_to_social_care'
        and end_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

banded as (
    select
        case
            when episode_days < 91 then 1
            when episode_days < 182 then 2
            when episode_days < 274 then 3
            when episode_days < 365 then 4
            else 5
        end as band_order
    from step_ups
)

select
    band_order,
    ['under 3 months', '3 to 6 months', '6 to 9 months', '9 to 12 months', '12 months or more'][
        band_order
    ] as band,
    count(*) as step_ups
from banded
group by band_order
order by band_order
