-- scorecard_commentary: the newest board commentary per KPI for a period.
-- grain: one row per KPI with commentary for the period: the newest entry.
-- columns: kpi, comment, author, written_at, edits (how many entries the KPI has)
-- parameters: $period (the period label the board reads, e.g. 2025-26-Q2)
with
entries as (
    select
        kpi,
        comment,
        author,
        written_at,
        count(*) over (partition by kpi) as edits,
        row_number() over (partition by kpi order by written_at desc) as newest
    from scorecard_commentary
    where period = $period
),

final as (
    select
        kpi,
        comment,
        author,
        written_at,
        edits
    from entries
    where newest = 1
)

select * from final
order by kpi
