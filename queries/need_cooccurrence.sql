-- need_cooccurrence: which needs appear together at assessment. For each pair of needs, of the
-- assessments in the period listing the first (row) need, the share also listing the second.
-- grain: one row per ordered pair of need codes (a need with itself gives its own count)
-- columns: need, also_need, assessments_listing_need, assessments_listing_both, share (0 to 1)
-- parameters: $start, $end (dates, inclusive); filters $locality, $hub, $service (null = all)
with

-- Assessments with the same list of needs count once, weighted: the pairs come from the
-- distinct lists, far fewer than the need rows a self-join would pair up.
need_lists as (
    select
        row_number() over () as list_id,
        needs,
        count(*) as assessments
    from assessment_facts
    where
        completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by needs
),

listed as (
    select
        list_id,
        assessments,
        unnest(needs) as need
    from need_lists
),

pairs as (
    select
        a.need,
        b.need as also_need,
        sum(a.assessments) as assessments_listing_both
    from listed as a
    inner join listed as b on a.list_id = b.list_id
    group by all
),

totals as (
    select
        need,
        sum(assessments) as assessments_listing_need
    from listed
    group by need
)

select
    pairs.need,
    pairs.also_need,
    totals.assessments_listing_need,
    pairs.assessments_listing_both,
    pairs.assessments_listing_both / totals.assessments_listing_need as share
from pairs
inner join totals on pairs.need = totals.need
order by pairs.need, pairs.also_need
