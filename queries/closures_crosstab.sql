-- closures_crosstab: episodes closed in the period by locality of residence and closure
-- reason (transfer closures left out, as in the closure metrics).
-- grain: one row per locality and closure reason with at least one closure
-- columns: locality_id, category, episodes
-- parameters: $start, $end (dates, inclusive)
select
    locality_id,
    closure_reason as category,
    count(*) as episodes
from episode_closures
where end_date between $start and $end and closure_reason <> 'transfer'
group by all
order by locality_id, category
