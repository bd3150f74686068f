-- need_cooccurrence: which needs appear together at assessment. For each pair of needs, of the
-- assessments in the period listing the first (row) need, the share also listing the second.
-- grain: one row per ordered pair of need codes (a need with itself gives its own count)
-- columns: need, also_need, assessments_listing_need, assessments_listing_both, share (0 to 1)
-- parameters: $start, $end (dates, inclusive); filters
--             $locality, $area_number, $catchment_number, $hub, $service (null = all)
with

-- Assessments with the same needs count once, weighted: the pairs come from the distinct
-- need_bits, far fewer than the need rows a self-join would pair up.
need_sets as (
    select
        need_bits,
        count(*) as assessments
    from assessment_facts
    where
        completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by need_bits
),

pairs as (
    select
        a.need,
        b.need as also_need,
        sum(need_sets.assessments)::bigint as assessments_listing_both
    from need_sets
    inner join need_codes as a on need_sets.need_bits & need_bit(a.sort_order) <> 0
    inner join need_codes as b on need_sets.need_bits & need_bit(b.sort_order) <> 0
    group by all
),

-- A need paired with itself: the assessments listing it.
totals as (
    select
        need,
        assessments_listing_both as assessments_listing_need
    from pairs
    where need = also_need
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
