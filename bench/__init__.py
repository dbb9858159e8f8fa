"""`make bench`: the ledger's payment path against pgbench, on one PostgreSQL, in one run.

Not a test. It starts its own embedded PostgreSQL (durable defaults: fsync and
synchronous_commit stay on) in a temporary folder, and compares on that one server:

(a) pgbench tpcb-like at 1, 4 and 16 clients;
(b) ``payments.pay`` at 1, 4 and 16 concurrent sessions over 1,000 wallets / 50 shops;
(c) the same with every payment to one shop (hot shop);
(d) payment latency at 4 sessions before and after bulk-loading a large history;
(e) charges at 16 sessions, all from the one ``issued:coin`` system account into random
    wallets, right after (b) at 16: is the system account a lock hot-spot?
(g) the staff dashboard over a year of daily rollups (~10M transfers' worth, rows
    generated directly) against one read of the same rows (bench/reports.py).

``python -m bench --quick`` does all of it in under 3 minutes; ``--profile`` shows where
the time of one payment goes (client phases and the server's own statement times).
"""
