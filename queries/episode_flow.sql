-- episode_flow: the flow from front door to closure for the period, for a Sankey diagram:
-- requests received in the period by decision, on to the episodes they started (by service),
-- on to how those episodes closed (or 'still open'); step-down starts in the period join at
-- the service stage.
-- grain: one row per link between two stages
-- columns: stage (1 or 2), source, target, children (episodes or requests on the link)
-- parameters: $start, $end (dates, inclusive); filters $locality, $hub, $service (null = all)
with

requests_in_period as (
    select
        request_id,
        coalesce(decision, 'undecided') as decision
    from request_facts
    where
        received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
),

request_episodes as (
    select
        requests_in_period.decision,
        episode_facts.service,
        coalesce(episode_facts.closure_reason, 'still_open') as outcome
    from requests_in_period
    left join episode_facts
        on
            requests_in_period.request_id = episode_facts.request_id
            and in_filter(episode_facts.service, $service)
),

step_downs as (
    select
        'step_down_from_social_care' as decision,
        service,
        coalesce(closure_reason, 'still_open') as outcome
    from episode_facts
    where
        start_reason = 'step_down_from_social_care'
        and start_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

journeys as (
    select * from request_episodes
    union all
    select * from step_downs
),

links as (
    select
        1 as stage,
        decision as source,
        coalesce(service, 'no_episode') as target,
        count(*) as children
    from journeys
    group by all
    union all
    select
        2 as stage,
        service as source,
        outcome as target,
        count(*) as children
    from journeys
    where service is not null
    group by all
)

select * from links
order by stage, children desc
