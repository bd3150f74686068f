-- need_prevalence_by: the share of assessments completed in the period listing each need, by
-- one dimension of the child or family (the needs analysis page's breakdowns).
-- grain: one row per need code and category of $dimension
-- columns: need, need_group, category, assessments_listing (numerator), assessments
--          (denominator), share (0 to 1)
-- parameters: $start, $end (dates, inclusive); $dimension ('locality' | 'age_band' |
--             'imd_decile' | 'thrive_group' | 'all'); filters
--             $locality, $area_number, $catchment_number, $hub, $service
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
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by assessment_key($dimension, locality_id, age_band, imd_decile, thrive_group)
),

-- assessment_needs repeats each assessment's date, places, service and child on its need rows;
-- not the family's small area or catchment: within those filters, each assessment's need_bits
-- are tested need by need instead.
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
        and $area_number is null and $catchment_number is null
    group by assessment_key($dimension, locality_id, age_band, imd_decile, thrive_group), need_order
    union all
    select
        assessment_category(
            $dimension,
            assessment_facts.locality_id,
            assessment_facts.age_band,
            assessment_facts.imd_decile,
            assessment_facts.thrive_group
        ) as category,
        need_codes.sort_order as need_order,
        count(*) as assessments_listing
    from assessment_facts
    inner join need_codes on assessment_facts.need_bits & need_bit(need_codes.sort_order) <> 0
    where
        assessment_facts.completed_date between $start and $end
        and in_filter(assessment_facts.locality_id, $locality)
        and in_filter(assessment_facts.area_number, $area_number)
        and in_filter(assessment_facts.catchment_number, $catchment_number)
        and in_filter(assessment_facts.hub_id, $hub)
        and in_filter(assessment_facts.service, $service)
        and ($area_number is not null or $catchment_number is not null)
    group by all
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
