-- survey_agree_by_area: survey agreement (score 4 or 5) by hub and outcome framework area.
-- grain: one row per hub and outcome area with at least one response in the period
-- columns: hub_id, outcome_area (1-9), agree, responses, share (0 to 1)
-- parameters: $start, $end (dates, inclusive); $survey ('annual' | 'monthly' | null = both);
--             filters $locality, $hub (null = all)
select
    hub_id,
    outcome_area,
    count_if(is_agree) as agree,
    count(*) as responses,
    count_if(is_agree) / count(*) as share
from survey_facts
where
    response_date between $start and $end
    and in_filter(survey, $survey)
    and in_filter(locality_id, $locality)
    and in_filter(hub_id, $hub)
group by all
order by hub_id, outcome_area
