-- derive_request_facts: request_facts, one row per request, built once at ingest.
-- Adds the family's locality of residence, the child's age band at receipt, and the
-- re-referral flag: another request for the same child received earlier (same day allowed,
-- ordered by date then id) and on or after the received date minus 12 calendar months.
-- No parameters.
create or replace table request_facts as
with

requests_with_child as (
    select
        requests.*,
        children.family_id,
        birth_start(children.birth_month) as birth_start,
        families.locality_id,
        families.imd_decile
    from requests
    inner join children on requests.child_id = children.child_id
    inner join families on children.family_id = families.family_id
),

ordered as (
    select
        *,
        lag(received_date) over (
            partition by child_id order by received_date, request_id
        ) as previous_request_date
    from requests_with_child
)

select
    request_id,
    child_id,
    family_id,
    locality_id,
    hub_id,
    received_date,
    source,
    decision,
    imd_decile,
    age_band(birth_start, received_date) as age_band,
    previous_request_date,
    coalesce(
        previous_request_date >= received_date - interval 12 month, false
    ) as is_re_referral_12m
from ordered
-- Date order lets queries skip blocks outside a period; ties need no order (a second key
-- doubles the sort at national scale).
order by received_date;
