-- closure_reasons: episodes closed in the period by closure reason and service (transfers
-- shown, so the whole picture is visible; the closure metrics exclude them).
-- grain: one row per closure reason and service with at least one closure
-- columns: closure_reason, service, episodes
-- parameters: $start, $end (dates, inclusive); filters
--             $locality, $area_number, $catchment_number, $hub, $service (null = all)
select
    closure_reason,
    service,
    count(*) as episodes
from episode_closures
where
    end_date between $start and $end
    and in_filter(locality_id, $locality)
    and in_filter(area_number, $area_number)
    and in_filter(catchment_number, $catchment_number)
    and in_filter(hub_id, $hub)
    and in_filter(service, $service)
group by all
order by episodes desc, closure_reason asc, service asc
