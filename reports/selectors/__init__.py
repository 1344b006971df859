"""Dashboard figures for an organisation node (city, district, street, community) or one
branch, for a chosen month, quarter or year. One module per job:

- periods: the period chosen and the months around it;
- figures: a unit's figures and the sorted comparison of sub-units;
- structure: a branch's structure warnings;
- heatmap: the heat map's rows and cells;
- dashboard: what a dashboard holds (pickled by reports.cache);
- area: the rows of an area's queries (`area_rows`);
- build: `node_dashboard` and `branch_dashboard`, assembled from those rows;
- drilldown: the member and meeting lists behind a figure.

Each widget is one aggregate query over the node's subtree (materialized path prefix),
grouped by branch or community and rolled up to the sub-units in Python; cadence
compliance reuses `activities.meetings.compliance` (five queries for any number of
branches). So a dashboard runs the same number of queries whatever the data size:
`node_dashboard` runs NODE_QUERIES, `branch_dashboard` BRANCH_QUERIES (pinned by
tests/reports/test_query_counts.py). The queries' rows (`area_rows`) are keyed by
organisation or branch, so every node inside an area can be assembled from one set of
them with no further query (reports.cache computes a district's streets that way).
The pages read these figures through reports.cache.

Reports never write: everything here is a read.
"""
