-- period — grain: one row: the first and last day with API traffic or GPU cost.
SELECT least(min(a.day), (SELECT min(day) FROM mart_gpu_daily)) AS first_day,
       greatest(max(a.day), (SELECT max(day) FROM mart_gpu_daily)) AS last_day
FROM mart_spend_daily a
