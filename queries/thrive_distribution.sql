-- thrive_distribution: assessments completed in the period by i-THRIVE grouping and service.
-- grain: one row per i-THRIVE group and service with at least one assessment
-- columns: thrive_group, service, assessments
-- parameters: $start, $end (dates, inclusive); filters
--             $locality, $area_number, $catchment_number, $hub, $service (null = all)
select
    thrive_group,
    service,
    count(*) as assessments
from assessment_facts
where
    completed_date between $start and $end
    and in_filter(locality_id, $locality)
    and in_filter(area_number, $area_number)
    and in_filter(catchment_number, $catchment_number)
    and in_filter(hub_id, $hub)
    and in_filter(service, $service)
group by all
order by thrive_group, service
