-- derive_request_facts: request_facts, one row per request, built once at ingest.
-- Adds the family's locality of residence, small area and catchment hub (see
-- derive_child_places), the child's age band at receipt, and the
-- re-referral flag: another request for the same child received earlier (same day allowed,
-- ordered by date then id) and on or after the received date minus 12 calendar months, and
-- the family's previous request date (same order) for the family counts.
-- Only what queries read is kept, with the request id as key: the child id is in requests; the
-- family id is kept for the family metrics, with the child's sex, ethnic group and SEND.
-- No parameters.
create or replace table request_facts as
with

-- The window reads only the columns it needs and is joined back: a window carrying every
-- column costs half the derive (bench/design-measurements.md).
previous_requests as (
    select
        requests.request_id,
        lag(requests.received_date) over (
            partition by requests.child_id order by requests.received_date, requests.request_id
        ) as previous_request_date,
        -- The family's previous request (any child): a family's first request in a period is
        -- the one whose previous request is before the period, so families_with_requests
        -- counts rows instead of distinct families.
        -- 0001-01-01 when none: never null, so a period filter on it is a plain comparison
        coalesce(lag(requests.received_date) over (
            partition by child_places.family_id
            order by requests.received_date, requests.request_id
        ), date '0001-01-01') as family_previous_request_date
    from requests
    inner join child_places on requests.child_id = child_places.child_id
),

-- The sort carries the codes as their ENUM types (created by ingest from the contract), cast
-- back to text after it: text codes longer than 15 characters make the sort several times as
-- costly (bench/design-measurements.md).
in_date_order as (
    select
        requests.request_id,
        child_places.locality_id,
        requests.hub_id,
        requests.received_date,
        requests.source::requests_source as source,
        requests.decision::requests_decision as decision,
        child_places.imd_decile,
        age_band(child_places.birth_start, requests.received_date) as age_band,
        previous_requests.previous_request_date,
        previous_requests.family_previous_request_date,
        child_places.area_code,
        child_places.catchment_hub_id,
        child_places.family_id,
        child_places.sex,
        child_places.ethnic_group,
        child_places.send,
        -- numbers to group on (report_key)
        child_places.locality_number,
        hub_numbers.number as hub_number,
        child_places.catchment_number,
        child_places.area_number,
        coalesce(
            previous_requests.previous_request_date
            >= requests.received_date - interval 12 month,
            false
        ) as is_re_referral_12m
    from requests
    inner join previous_requests on requests.request_id = previous_requests.request_id
    inner join child_places on requests.child_id = child_places.child_id
    left join place_numbers as hub_numbers
        on hub_numbers.dimension = 'hub' and requests.hub_id = hub_numbers.code
    -- Date order lets queries skip blocks outside a period; ties need no order (a second key
    -- doubles the sort).
    order by requests.received_date
)

select * replace (
    source::varchar as source,
    decision::varchar as decision,
    area_code::varchar as area_code,
    catchment_hub_id::varchar as catchment_hub_id
)
from in_date_order;
