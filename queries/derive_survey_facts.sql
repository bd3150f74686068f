-- derive_survey_facts: survey_facts, one row per survey response, built once at ingest.
-- A response's locality is its hub's locality (citywide teams have none: 'unknown').
-- No parameters.
create or replace table survey_facts as
select
    survey_responses.*,
    hubs.locality_id,
    survey_responses.score >= 4 as is_agree
from survey_responses
inner join hubs on survey_responses.hub_id = hubs.hub_id
order by survey_responses.response_date, survey_responses.response_id;
