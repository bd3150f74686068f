-- episode_flow: the flow from front door to closure for the period, for a Sankey diagram:
-- requests received in the period by decision, on to the episodes they started (by service),
-- on to how those episodes closed (or 'still open'); step-down starts in the period join at
-- the service stage. An episode carries its request's date, decision, locality and hub from
-- ingest, so no join is needed here (a join was slow: bench/design-measurements.md). A
-- request with no episode (within the service filter) counts once.
-- grain: one row per link between two stages
-- columns: stage (1 or 2), source, target, children (episodes or requests on the link)
-- parameters: $start, $end (dates, inclusive); filters
--             $locality, $area_number, $catchment_number, $hub, $service (null = all)
with

requests_in_period as (
    select
        coalesce(decision, 'undecided') as decision,
        count(*) as requests
    from request_facts
    where
        received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
    group by all
),

request_episodes as (
    select
        is_first_of_request,
        is_first_of_request_service,
        coalesce(request_decision, 'undecided') as decision,
        service,
        coalesce(closure_reason, 'still_open') as outcome
    from episode_facts
    where
        request_received_date between $start and $end
        and in_filter(request_locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(request_hub_id, $hub)
        and in_filter(service, $service)
),

requests_with_episode as (
    select
        decision,
        count_if(
            case when $service is null then is_first_of_request else is_first_of_request_service end
        ) as requests
    from request_episodes
    group by all
),

step_downs as (
    select
        service,
        coalesce(closure_reason, 'still_open') as outcome
    from episode_facts
    where
        start_reason = 'step_down_from_social_care'
        and start_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

journeys as (
    select
        decision,
        service,
        outcome,
        count(*) as n
    from request_episodes
    group by all
    union all
    select
        requests_in_period.decision,
        null as service,
        null as outcome,
        requests_in_period.requests - coalesce(requests_with_episode.requests, 0) as n
    from requests_in_period
    left join requests_with_episode
        on requests_in_period.decision = requests_with_episode.decision
    union all
    select
        'step_down_from_social_care' as decision,
        service,
        outcome,
        count(*) as n
    from step_downs
    group by all
),

links as (
    select
        1 as stage,
        decision as source,
        coalesce(service, 'no_episode') as target,
        sum(n)::bigint as children
    from journeys
    group by all
    having sum(n) > 0
    union all
    select
        2 as stage,
        service as source,
        outcome as target,
        sum(n)::bigint as children
    from journeys
    where service is not null
    group by all
)

select * from links
order by stage asc, children desc, source asc, target asc
