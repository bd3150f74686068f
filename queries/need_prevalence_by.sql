-- need_prevalence_by: the share of assessments completed in the period listing each need, by
-- one dimension of the child or family (the needs analysis page's breakdowns).
-- grain: one row per need code and category of $dimension
-- columns: need, need_group, category, assessments_listing (numerator), assessments
--          (denominator), share (0 to 1)
-- parameters: $start, $end (dates, inclusive); $dimension ('locality' | 'age_band' |
--             'imd_decile' | 'thrive_group' | 'all'); filters $locality, $hub, $service
with

denominators as (
    select
        assessment_label(
            $dimension, assessment_key($dimension, locality_id, age_band, imd_decile, thrive_group)
        ) as category,
        count(*) as assessments
    from assessment_facts
    where
        completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by assessment_key($dimension, locality_id, age_band, imd_decile, thrive_group)
),

-- assessment_needs repeats each assessment's date, places, service and child on its need rows.
listed as (
    select
        assessment_label(
            $dimension, assessment_key($dimension, locality_id, age_band, imd_decile, thrive_group)
        ) as category,
        need_order,
        count(*) as assessments_listing
    from assessment_needs
    where
        completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by assessment_key($dimension, locality_id, age_band, imd_decile, thrive_group), need_order
)

select
    need_codes.need,
    need_codes.need_group,
    denominators.category,
    coalesce(listed.assessments_listing, 0) as assessments_listing,
    denominators.assessments,
    coalesce(listed.assessments_listing, 0) / denominators.assessments as share
from denominators
cross join need_codes
left join listed
    on denominators.category = listed.category and need_codes.sort_order = listed.need_order
order by need_codes.sort_order, denominators.category
