"""The usage profile written by hand in DuckDB SQL: the yardstick for the Ibis pipeline.

It computes exactly what ``telcolens.profile.usage_profile`` computes, the way a
DuckDB user would write it, so the benchmark can tell what Ibis costs. The CTEs
over the raw files are NOT MATERIALIZED: DuckDB would otherwise materialise a CTE
used more than once, which costs this query time and twice the memory.
"""

PROFILE_SQL = """
COPY (
WITH
voice AS NOT MATERIALIZED (SELECT * FROM read_parquet('{data}/voice/*.parquet')),
sms AS NOT MATERIALIZED (SELECT * FROM read_parquet('{data}/sms/*.parquet')),
made AS (
    SELECT caller AS subscriber_id,
           count(*) AS calls_out,
           count(DISTINCT callee) AS distinct_callees,
           count(*) FILTER (WHERE duration_s < 10) AS short_calls,
           count(*) FILTER (WHERE hour(start_time) >= 22 OR hour(start_time) < 6) AS night_calls,
           sum(duration_s::BIGINT) AS duration_total
    FROM voice WHERE direction = 'MO' GROUP BY caller),
received AS (
    SELECT callee AS subscriber_id, count(*) AS calls_in
    FROM voice WHERE direction = 'MT' GROUP BY callee),
sms_made AS (
    SELECT sender AS subscriber_id, count(*) AS sms_out
    FROM sms WHERE direction = 'MO' GROUP BY sender),
sms_received AS (
    SELECT recipient AS subscriber_id, count(*) AS sms_in
    FROM sms WHERE direction = 'MT' GROUP BY recipient),
data AS (
    SELECT subscriber_id, sum(bytes_up + bytes_down)::BIGINT AS data_bytes
    FROM read_parquet('{data}/data_sessions/*.parquet') GROUP BY subscriber_id),
seen AS (
    SELECT CASE WHEN direction = 'MO' THEN caller ELSE callee END AS subscriber_id,
           start_time AS seen_at, cell_id FROM voice
    UNION ALL
    SELECT CASE WHEN direction = 'MO' THEN sender ELSE recipient END, send_time, cell_id FROM sms
    UNION ALL
    SELECT subscriber_id, start_time, cell_id
    FROM read_parquet('{data}/data_sessions/*.parquet')
    UNION ALL
    SELECT subscriber_id, event_time, cell_id
    FROM read_parquet('{data}/location_events/*.parquet')),
mobility AS (
    SELECT s.subscriber_id,
           count(DISTINCT s.cell_id) AS distinct_cells,
           count(DISTINCT c.city) AS distinct_cities,
           count(DISTINCT s.seen_at::DATE) AS active_days
    FROM seen s LEFT JOIN read_parquet('{data}/cells/*.parquet') c USING (cell_id)
    GROUP BY s.subscriber_id)
SELECT subscriber_id,
       coalesce(calls_out, 0) AS calls_out,
       coalesce(calls_in, 0) AS calls_in,
       coalesce(distinct_callees, 0) AS distinct_callees,
       CASE WHEN calls_out > 0 THEN short_calls::DOUBLE / calls_out END AS short_call_share,
       CASE WHEN calls_out > 0 THEN night_calls::DOUBLE / calls_out END AS night_share,
       CASE WHEN calls_out > 0 THEN duration_total::DOUBLE / calls_out END
           AS mean_call_duration_s,
       coalesce(sms_out, 0) AS sms_out,
       coalesce(sms_in, 0) AS sms_in,
       coalesce(data_bytes, 0) AS data_bytes,
       coalesce(distinct_cells, 0) AS distinct_cells,
       coalesce(distinct_cities, 0) AS distinct_cities,
       coalesce(active_days, 0) AS active_days
FROM (SELECT DISTINCT subscriber_id FROM read_parquet('{data}/subscribers/*.parquet')) s
LEFT JOIN made USING (subscriber_id)
LEFT JOIN received USING (subscriber_id)
LEFT JOIN sms_made USING (subscriber_id)
LEFT JOIN sms_received USING (subscriber_id)
LEFT JOIN data USING (subscriber_id)
LEFT JOIN mobility USING (subscriber_id)
ORDER BY subscriber_id
) TO '{out}' (FORMAT parquet)
"""
