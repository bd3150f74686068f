-- caseload_monthly: open episodes per lead hub at the end of each month of the period (the
-- caseload a hub carries), transfers included as in open_episodes.
-- grain: one row per month end and hub
-- columns: month_end, hub_id, open_episodes
-- parameters: $start, $end (dates, both inclusive); filters $locality, $hub, $service,
--             $area_number, $catchment_number (null = all)
with

month_ends as (
    select unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as month_start
),

ends as (
    select least(last_day(month_start::date), $end::date) as month_end from month_ends
)

select
    ends.month_end,
    episode_facts.hub_id,
    count(*) as open_episodes
from ends
inner join episode_facts
    on ends.month_end >= episode_facts.start_date
    and ends.month_end < episode_facts.end_or_open
where in_filter(episode_facts.locality_id, $locality)
    and in_filter(episode_facts.area_number, $area_number)
    and in_filter(episode_facts.catchment_number, $catchment_number)
    and in_filter(episode_facts.hub_id, $hub)
    and in_filter(episode_facts.service, $service)
group by all
order by ends.month_end, episode_facts.hub_id
