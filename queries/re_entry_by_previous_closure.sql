-- re_entry_by_previous_closure: episodes started in the period (transfer starts excluded) by
-- how the child's latest earlier episode closed, and how many of them are re-entries within
-- 12 months (closure to start).
-- grain: one row per previous closure reason ('none' when the child had no earlier closure)
-- columns: previous_closure_reason, episodes, re_entries
-- parameters: $start, $end (dates, inclusive); filters
--             $locality, $area_number, $catchment_number, $hub, $service (null = all)
select
    coalesce(previous_closure_reason, 'none') as previous_closure_reason,
    count(*) as episodes,
    count_if(is_re_entry_12m) as re_entries
from episode_facts
where
    start_date between $start and $end
    and start_reason <> 'transfer'
    and in_filter(locality_id, $locality)
    and in_filter(area_number, $area_number)
    and in_filter(catchment_number, $catchment_number)
    and in_filter(hub_id, $hub)
    and in_filter(service, $service)
group by all
order by episodes desc, previous_closure_reason asc
