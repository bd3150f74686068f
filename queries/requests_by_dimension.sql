-- requests_by_dimension: requests received in the period, counted by one dimension.
-- grain: one row per category of $dimension present in the period
-- columns: category (text; 'unknown' / 'undecided' where missing), requests
-- parameters: $start, $end (dates, inclusive); $dimension ('source' | 'age_band' | 'decision'
--             | 'locality' | 'hub' | 'imd_decile'); filters $locality, $hub,
--             $area_number, $catchment_number (null = all)
with

in_period as (
    select
        case $dimension
            when 'source' then source
            when 'age_band' then age_band
            when 'decision' then coalesce(decision, 'undecided')
            when 'locality' then coalesce(locality_id, 'unknown')
            when 'hub' then coalesce(hub_id, 'unknown')
            when 'imd_decile' then coalesce(imd_decile::varchar, 'unknown')
        end as category
    from request_facts
    where
        received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
)

select
    category,
    count(*) as requests
from in_period
group by category
order by requests desc, category asc
