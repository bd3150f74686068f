-- requests_crosstab: requests received in the period by locality of residence and one other
-- dimension, for published cross-tables.
-- grain: one row per locality and category with at least one request
-- columns: locality_id, category, requests
-- parameters: $start, $end (dates, inclusive); $dimension ('source' | 'age_band' | 'decision')
select
    locality_id,
    case $dimension
        when 'source' then source
        when 'age_band' then age_band
        when 'decision' then coalesce(decision, 'undecided')
    end as category,
    count(*) as requests
from request_facts
where received_date between $start and $end
group by all
order by locality_id, category
