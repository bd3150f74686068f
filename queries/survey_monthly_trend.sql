-- survey_monthly_trend: the monthly engagement question's agreement month by month.
-- grain: one row per calendar month with at least one monthly response in the period
-- columns: month (date, first day), agree, responses, share (0 to 1)
-- parameters: $start, $end (dates, inclusive); filters $locality, $hub (null = all)
select
    date_trunc('month', response_date)::date as month,
    count_if(is_agree) as agree,
    count(*) as responses,
    count_if(is_agree) / count(*) as share
from survey_facts
where
    survey = 'monthly'
    and response_date between $start and $end
    and in_filter(locality_id, $locality)
    and in_filter(hub_id, $hub)
group by all
order by month
