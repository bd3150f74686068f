-- derive_episode_facts: episode_facts, one row per episode, built once at ingest.
-- Adds locality of residence, small area and catchment hub (see derive_child_places), age
-- band at start, length in days, and the child's latest
-- *different* episode that closed on or before this start date (its end date and closure
-- reason). is_re_entry_12m: that closure is on or after start_date minus 12 calendar months.
-- birth_start is kept so assessments can take the age band without a join to children.
-- request_*: the date, decision, locality and hub of the request the episode came from, so the
-- request-to-closure flow needs no join at query time (request_facts is derived first).
-- is_first_of_request marks one episode per request, and is_first_of_request_service one per
-- request and service, so the flow counts requests that led to an episode without a distinct
-- count. They come from a window over the episodes' request columns only, joined back by
-- episode: a window carrying every column costs half the derive (bench/design-measurements.md).
-- Only what queries read is kept, with the episode id as key: the request id is in episodes;
-- the child and family ids are kept for the children and family counts, with the child's sex,
-- ethnic group and SEND.
-- No parameters.
create or replace table episode_facts as
with

episodes_with_child as (
    select
        episodes.*,
        child_places.birth_start,
        child_places.locality_id,
        child_places.imd_decile,
        child_places.area_code,
        child_places.catchment_hub_id,
        child_places.family_id,
        child_places.sex,
        child_places.ethnic_group,
        child_places.send,
        child_places.locality_number,
        hub_numbers.number as hub_number,
        child_places.catchment_number,
        child_places.area_number
    from episodes
    inner join child_places on episodes.child_id = child_places.child_id
    left join place_numbers as hub_numbers
        on hub_numbers.dimension = 'hub' and episodes.hub_id = hub_numbers.code
),

prior_closures as (
    select
        later.episode_id,
        earlier.episode_id as previous_episode_id,
        earlier.end_date as previous_end_date,
        earlier.closure_reason as previous_closure_reason,
        row_number() over (
            partition by later.episode_id
            order by earlier.end_date desc, earlier.episode_id desc
        ) as recency
    from episodes as later
    inner join episodes as earlier
        on
            later.child_id = earlier.child_id
            and later.episode_id <> earlier.episode_id
            and later.start_date >= earlier.end_date
),

-- Windows over each family's and each child's earlier episodes (narrow columns, joined back
-- by episode), so the family and children counts read one row per family or child instead of
-- a distinct count. An open episode counts as ending on 9999-12-31.
-- family_previous_end, child_previous_end: the latest end of the earlier episodes (in start
-- date then id order): an episode is the first of its family (child) open in a period when it
-- is open then and this end is before the period's first day.
-- family_previous_start: the latest start of the earlier non-transfer episodes (same order).
-- family_earlier_end: the latest end of the family's episodes that started on an earlier day.
-- With no earlier episode the previous values are 0001-01-01, never null: the counts filter
-- on them with a plain comparison, which DuckDB evaluates far faster than a coalesce.
family_windows as (
    select
        episodes.episode_id,
        coalesce(
            max(coalesce(episodes.end_date, date '9999-12-31')) over family_order,
            date '0001-01-01'
        ) as family_previous_end,
        coalesce(
            max(episodes.start_date) filter (where episodes.start_reason <> 'transfer')
                over family_order,
            date '0001-01-01'
        ) as family_previous_start,
        max(coalesce(episodes.end_date, date '9999-12-31')) over family_earlier_days
            as family_earlier_end,
        coalesce(
            max(coalesce(episodes.end_date, date '9999-12-31')) over child_order,
            date '0001-01-01'
        ) as child_previous_end
    from episodes
    inner join child_places on episodes.child_id = child_places.child_id
    window
        family_order as (
            partition by child_places.family_id
            order by episodes.start_date, episodes.episode_id
            rows between unbounded preceding and 1 preceding
        ),
        family_earlier_days as (
            partition by child_places.family_id
            order by episodes.start_date
            range between unbounded preceding and interval 1 day preceding
        ),
        child_order as (
            partition by episodes.child_id
            order by episodes.start_date, episodes.episode_id
            rows between unbounded preceding and 1 preceding
        )
),

-- The window sorts the episodes' own columns only (service as its ENUM type, see
-- derive_request_facts); the request's columns are joined after it.
request_firsts as (
    select
        episode_id,
        request_id,
        row_number() over request_order = 1 as is_first_of_request,
        -- service is never null (data contract): the first row of a request has no lag
        coalesce(lag(service) over request_order <> service, true)
            as is_first_of_request_service
    from (
        select request_id, episode_id, service::episodes_service as service, start_date
        from episodes
        where request_id is not null
    ) as with_request
    window request_order as (
        partition by request_id
        order by service, start_date, episode_id
    )
),

request_episodes as (
    select
        request_firsts.episode_id,
        request_facts.received_date,
        request_facts.decision,
        request_facts.locality_id,
        request_facts.hub_id,
        request_firsts.is_first_of_request,
        request_firsts.is_first_of_request_service
    from request_firsts
    inner join request_facts on request_firsts.request_id = request_facts.request_id
),

-- The sort carries the codes as their ENUM types, cast back to text after it (see
-- derive_request_facts).
in_date_order as (
    select
        e.episode_id,
        e.child_id,
        e.locality_id,
        e.hub_id,
        e.service::episodes_service as service,
        e.start_date,
        e.end_date,
        -- end_date, or 9999-12-31 while open: "open on a day" is one comparison on it
        coalesce(e.end_date, date '9999-12-31') as end_or_open,
        e.start_reason::episodes_start_reason as start_reason,
        e.closure_reason::episodes_closure_reason as closure_reason,
        e.imd_decile,
        e.area_code,
        e.catchment_hub_id,
        e.family_id,
        e.sex,
        e.ethnic_group,
        e.send,
        -- numbers to group on (report_key)
        e.locality_number,
        e.hub_number,
        e.catchment_number,
        e.area_number,
        e.birth_start,
        age_band(e.birth_start, e.start_date) as age_band,
        -- 32-bit: median() over it is faster than over the 64-bit date_diff.
        date_diff('day', e.start_date, e.end_date)::integer as episode_days,
        p.previous_end_date,
        p.previous_closure_reason::episodes_closure_reason as previous_closure_reason,
        coalesce(
            p.previous_end_date >= e.start_date - interval 12 month, false
        ) as is_re_entry_12m,
        r.received_date as request_received_date,
        r.decision::requests_decision as request_decision,
        r.locality_id as request_locality_id,
        r.hub_id as request_hub_id,
        coalesce(r.is_first_of_request, false) as is_first_of_request,
        coalesce(r.is_first_of_request_service, false) as is_first_of_request_service,
        f.family_previous_end,
        f.family_previous_start,
        f.child_previous_end,
        -- The family re-enters on this start date: every episode it started on an earlier day
        -- had ended by this day (the latest end is on or before it), the latest within 12
        -- calendar months before it.
        coalesce(
            f.family_earlier_end <= e.start_date
            and f.family_earlier_end >= e.start_date - interval 12 month,
            false
        ) as is_family_re_entry_12m
    from episodes_with_child as e
    left join prior_closures as p
        on e.episode_id = p.episode_id and p.recency = 1
    left join request_episodes as r on e.episode_id = r.episode_id
    inner join family_windows as f on e.episode_id = f.episode_id
    -- Date order lets queries skip blocks outside a period (see derive_request_facts).
    order by e.start_date
)

select * replace (
    service::varchar as service,
    start_reason::varchar as start_reason,
    closure_reason::varchar as closure_reason,
    previous_closure_reason::varchar as previous_closure_reason,
    request_decision::varchar as request_decision,
    area_code::varchar as area_code,
    catchment_hub_id::varchar as catchment_hub_id
)
from in_date_order;

-- The closed episodes again, in end-date order, with only what the closure queries read
-- (step-up, outcomes, length, closure reasons): episode_facts is in start-date order, so a
-- filter on end_date there cannot skip blocks.
-- No episode id: no query reads it here.
create or replace table episode_closures as
select
    locality_id,
    hub_id,
    service,
    end_date,
    closure_reason,
    episode_days,
    area_code,
    catchment_hub_id,
    imd_decile,
    sex,
    ethnic_group,
    send,
    age_band(birth_start, end_date) as end_age_band,
    locality_number,
    hub_number,
    catchment_number,
    area_number
from episode_facts
where end_date is not null
order by end_date;

-- area_closure_medians: median_episode_days by small area for each financial year and each
-- quarter (periods.py's: years from 1 April, quarters of three calendar months), taken once
-- here: by area the query then reads a row per area instead of taking tens of thousands of
-- medians of a year's closures (bench/design-measurements.md). As in median_episode_days,
-- transfer closures are left out. One row per period, locality and area (no area: the
-- locality's families without one), and one per period for every family without an area
-- (all_localities: the authority's unknown group, as a median is not a sum of the
-- localities').
create or replace table area_closure_medians as
with

periods_of as (
    select
        locality_id,
        catchment_number,
        area_number,
        episode_days,
        unnest(year_and_quarter_of(end_date), recursive := true)
    from episode_closures
    where closure_reason <> 'transfer'
)

select
    period_start,
    period_end,
    grouping(locality_id) = 1 as all_localities,
    locality_id,
    catchment_number,
    area_number,
    count(*) as episodes,
    median(episode_days)::double as median_days
from periods_of
group by grouping sets (
    (period_start, period_end, locality_id, catchment_number, area_number),
    (period_start, period_end, area_number)
)
-- the second set only for the families without an area (an area lies in one locality)
having grouping(locality_id) = 0 or area_number is null
order by period_start, period_end;
