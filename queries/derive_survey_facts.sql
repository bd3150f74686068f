-- derive_survey_facts: survey_facts, one row per survey response, built once at ingest.
-- A response's locality is its hub's locality (citywide teams have none: 'unknown').
-- No parameters.
create or replace table survey_facts as
select
    survey_responses.*,
    hubs.locality_id,
    survey_responses.score >= 4 as is_agree,
    -- numbers to group on (report_key)
    locality_numbers.number as locality_number,
    hub_numbers.number as hub_number
from survey_responses
inner join hubs on survey_responses.hub_id = hubs.hub_id
left join place_numbers as locality_numbers
    on locality_numbers.dimension = 'locality' and hubs.locality_id = locality_numbers.code
left join place_numbers as hub_numbers
    on hub_numbers.dimension = 'hub' and survey_responses.hub_id = hub_numbers.code
order by survey_responses.response_date, survey_responses.response_id;
